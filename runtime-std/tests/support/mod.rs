//! In-process servers for the tests: the conformance crate's test server
//! (plain or TLS, keep-alive, a count of accepted connections) and two
//! proxies.
#![allow(dead_code)]

pub mod pki;

use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

#[allow(unused_imports)]
pub use urlrequest_conformance::test_server::{
    read_request, respond, serve, serve_on, Handler, Req, Server,
};

/// A proxy on a free port: for every connection, reads the first request,
/// records it, and hands it with the client socket to `handle`. Returns the
/// address and the requests seen.
fn proxy(
    handle: impl Fn(Req, TcpStream) + Send + Sync + 'static,
) -> (SocketAddr, Arc<Mutex<Vec<Req>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let handle = Arc::new(handle);
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let (seen, handle) = (seen2.clone(), handle.clone());
            thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let Ok(Some(req)) = read_request(&mut reader) else {
                    return;
                };
                seen.lock().unwrap().push(req.clone());
                handle(req, client);
            });
        }
    });
    (addr, seen)
}

/// A proxy for `CONNECT` tunnels that demands `Proxy-Authorization: auth`.
/// Returns the address and the CONNECT requests it saw.
pub fn connect_proxy(auth: &'static str) -> (SocketAddr, Arc<Mutex<Vec<Req>>>) {
    proxy(move |req, mut client| {
        if req.method != "CONNECT" {
            let _ = respond(&mut client, "405 Method Not Allowed", &[], b"");
            return;
        }
        if req.header("proxy-authorization") != Some(auth) {
            let _ = respond(
                &mut client,
                "407 Proxy Authentication Required",
                &[("Proxy-Authenticate", "Basic realm=\"test\"")],
                b"",
            );
            return;
        }
        let Ok(upstream) = TcpStream::connect(&req.target) else {
            let _ = respond(&mut client, "502 Bad Gateway", &[], b"");
            return;
        };
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .unwrap();
        pipe(client, upstream);
    })
}

/// An HTTP proxy for absolute-form requests: forwards each request to the
/// origin in origin-form (one request per connection) and relays the answer.
pub fn forward_proxy() -> (SocketAddr, Arc<Mutex<Vec<Req>>>) {
    proxy(|req, mut client| {
        let rest = req.target.strip_prefix("http://").unwrap_or(&req.target);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut upstream = TcpStream::connect(authority).unwrap();
        let mut head = format!(
            "{} {} HTTP/1.1\r\n",
            req.method,
            if path.is_empty() { "/" } else { path }
        );
        for (n, v) in &req.headers {
            if !n.starts_with("proxy-") && n != "connection" {
                head.push_str(&format!("{n}: {v}\r\n"));
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        upstream.write_all(head.as_bytes()).unwrap();
        upstream.write_all(&req.body).unwrap();
        let _ = io::copy(&mut upstream, &mut client);
    })
}

/// Copies both ways until either side closes.
fn pipe(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let t = thread::spawn(move || {
        let _ = io::copy(&mut b2, &mut a2);
        let _ = a2.shutdown(std::net::Shutdown::Write);
    });
    let (mut a, mut b) = (a, b);
    let _ = io::copy(&mut a, &mut b);
    let _ = b.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
}
