//! [`Attempts`]: the addresses of one connect, tried in turn, and what
//! each gave; and [`resolve`], the name lookup every runtime does the same
//! way. Written once, so every runtime tries the same addresses in the same
//! order and words a failure the same way ("could not connect to HOST
//! port PORT: ADDR: ..., ADDR: ...").

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use urlrequest_core::TransportError;

/// Whether `host` is an IP address, which needs no lookup (a runtime that
/// looks names up on a blocking pool skips the pool for it).
pub fn is_ip_literal(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok()
}

/// The addresses of `host`, in the resolver's order: an IP address as it
/// is, a name through the system resolver (which blocks while it works).
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, TransportError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(TransportError::unresolved(host, None))
            } else {
                Ok(addrs)
            }
        }
        Err(e) => Err(TransportError::unresolved(host, Some(&e))),
    }
}

/// One connect's addresses, handed out in turn, and the failure of each
/// one tried.
#[derive(Debug)]
pub struct Attempts {
    host: String,
    port: u16,
    addrs: VecDeque<SocketAddr>,
    failures: Vec<(SocketAddr, io::Error)>,
}

impl Attempts {
    /// The attempts for `host:port` over its resolved `addrs`.
    pub fn new(host: &str, port: u16, addrs: Vec<SocketAddr>) -> Attempts {
        Attempts {
            host: host.to_string(),
            port,
            addrs: addrs.into(),
            failures: Vec::new(),
        }
    }

    /// The next address to try, `None` once every one was tried.
    pub fn next_address(&mut self) -> Option<SocketAddr> {
        self.addrs.pop_front()
    }

    /// The attempt on `addr` failed with `error`.
    pub fn failed(&mut self, addr: SocketAddr, error: io::Error) {
        self.failures.push((addr, error));
    }

    /// Every address failed: the error that lists them.
    pub fn error(&self) -> TransportError {
        TransportError::unreachable(&self.host, self.port, &self.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_turn_then_every_failure_listed() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "[::1]:1".parse().unwrap();
        let mut attempts = Attempts::new("example.test", 1, vec![a, b]);
        assert_eq!(attempts.next_address(), Some(a));
        attempts.failed(a, io::ErrorKind::ConnectionRefused.into());
        assert_eq!(attempts.next_address(), Some(b));
        attempts.failed(b, io::ErrorKind::TimedOut.into());
        assert_eq!(attempts.next_address(), None);
        let message = attempts.error().to_string();
        assert!(message.contains("127.0.0.1:1"), "{message}");
        assert!(message.contains("[::1]:1"), "{message}");
    }

    #[test]
    fn an_ip_address_is_not_looked_up() {
        assert!(is_ip_literal("::1") && is_ip_literal("10.0.0.1"));
        assert!(!is_ip_literal("localhost"));
        let addrs = resolve("10.1.2.3", 8080).unwrap();
        assert_eq!(addrs, vec!["10.1.2.3:8080".parse().unwrap()]);
        let e = resolve("no-such-host.invalid", 80).unwrap_err().to_string();
        assert!(e.contains("no-such-host.invalid"), "{e}");
    }
}
