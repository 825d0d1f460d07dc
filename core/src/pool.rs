//! Keep-alive connection pool bookkeeping, without I/O: runtimes store their
//! own connection values in it, keyed by [`PoolKey`], and tell it the time.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use urlrequest_core::{Pool, PoolKey};
//! let mut pool: Pool<&str> = Pool::new(Duration::from_secs(30), 4);
//! let key = PoolKey::new("http", "example.com", 80, None);
//! let t0 = Instant::now();
//! pool.check_in(key.clone(), "conn-1", t0);
//! assert_eq!(pool.check_out(&key, t0 + Duration::from_secs(1)), Some("conn-1"));
//! pool.check_in(key.clone(), "conn-2", t0);
//! assert_eq!(pool.check_out(&key, t0 + Duration::from_secs(31)), None); // expired
//! ```

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

/// What makes two connections interchangeable: scheme, host, port and proxy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// `http` or `https`.
    pub scheme: String,
    /// The origin's host.
    pub host: String,
    /// The origin's port.
    pub port: u16,
    /// The proxy's host and port, when one is used.
    pub proxy: Option<(String, u16)>,
}

impl PoolKey {
    /// A key for `scheme://host:port`, optionally through a proxy.
    pub fn new(scheme: &str, host: &str, port: u16, proxy: Option<(&str, u16)>) -> PoolKey {
        PoolKey {
            scheme: scheme.to_string(),
            host: host.to_string(),
            port,
            proxy: proxy.map(|(h, p)| (h.to_string(), p)),
        }
    }
}

impl fmt::Display for PoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)?;
        if let Some((h, p)) = &self.proxy {
            write!(f, " via {h}:{p}")?;
        }
        Ok(())
    }
}

/// Idle connections by key, most recently returned first out.
#[derive(Debug)]
pub struct Pool<C> {
    /// Per key, in the order they were returned (oldest first), so the
    /// expired ones are always a prefix.
    idle: HashMap<PoolKey, Vec<(C, Instant)>>,
    idle_timeout: Duration,
    max_idle_per_key: usize,
    /// No connection expires before this (a lower bound): `expire` has
    /// nothing to do until then.
    next_expiry: Option<Instant>,
}

/// Keys whose idle list is empty are kept (with their allocation) for
/// reuse, as long as there are no more keys than this.
const KEEP_EMPTY_KEYS: usize = 64;

impl<C> Pool<C> {
    /// A pool whose connections expire after `idle_timeout` unused, keeping at
    /// most `max_idle_per_key` per key.
    pub fn new(idle_timeout: Duration, max_idle_per_key: usize) -> Pool<C> {
        Pool {
            idle: HashMap::new(),
            idle_timeout,
            max_idle_per_key,
            next_expiry: None,
        }
    }

    /// Takes an idle, unexpired connection for `key`. Expired ones are dropped.
    pub fn check_out(&mut self, key: &PoolKey, now: Instant) -> Option<C> {
        let keep_empty = self.idle.len() <= KEEP_EMPTY_KEYS;
        let list = self.idle.get_mut(key)?;
        list.drain(..expired_prefix(list, now, self.idle_timeout));
        let conn = list.pop().map(|(c, _)| c);
        if list.is_empty() && !keep_empty {
            self.idle.remove(key);
        }
        conn
    }

    /// Returns a connection whose last response was read completely. Returns
    /// the connection evicted to stay within the per-key limit, if any.
    pub fn check_in(&mut self, key: PoolKey, conn: C, now: Instant) -> Option<C> {
        let expires = now + self.idle_timeout;
        self.next_expiry = Some(self.next_expiry.map_or(expires, |e| e.min(expires)));
        let list = match self.idle.get_mut(&key) {
            Some(list) => list,
            None => self.idle.entry(key).or_default(),
        };
        list.push((conn, now));
        if list.len() > self.max_idle_per_key {
            return Some(list.remove(0).0);
        }
        None
    }

    /// Removes and returns every connection idle for too long, so the runtime
    /// can close them.
    pub fn expire(&mut self, now: Instant) -> Vec<C> {
        let mut gone = Vec::new();
        if !matches!(self.next_expiry, Some(e) if now >= e) {
            return gone;
        }
        let timeout = self.idle_timeout;
        self.idle.retain(|_, list| {
            gone.extend(
                list.drain(..expired_prefix(list, now, timeout))
                    .map(|(c, _)| c),
            );
            !list.is_empty()
        });
        self.next_expiry = self.poll_timeout();
        gone
    }

    /// When the next idle connection expires.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.idle
            .values()
            .flatten()
            .map(|(_, since)| *since + self.idle_timeout)
            .min()
    }

    /// Number of idle connections.
    pub fn idle_count(&self) -> usize {
        self.idle.values().map(Vec::len).sum()
    }
}

/// How many of `list` (oldest first) have been idle for `timeout` at `now`.
fn expired_prefix<C>(list: &[(C, Instant)], now: Instant, timeout: Duration) -> usize {
    list.partition_point(|(_, since)| now.saturating_duration_since(*since) >= timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_connections() {
        let mut pool = Pool::new(Duration::from_secs(10), 2);
        let t = Instant::now();
        let a = PoolKey::new("http", "a", 80, None);
        let a_proxy = PoolKey::new("http", "a", 80, Some(("p", 3128)));
        pool.check_in(a.clone(), 1, t);
        assert_eq!(pool.check_out(&a_proxy, t), None);
        assert_eq!(
            pool.check_out(&PoolKey::new("https", "a", 80, None), t),
            None
        );
        assert_eq!(pool.check_out(&a, t), Some(1));
        assert_eq!(pool.check_out(&a, t), None);
    }

    #[test]
    fn per_key_limit_evicts_oldest() {
        let mut pool = Pool::new(Duration::from_secs(10), 2);
        let t = Instant::now();
        let k = PoolKey::new("http", "a", 80, None);
        assert_eq!(pool.check_in(k.clone(), 1, t), None);
        assert_eq!(pool.check_in(k.clone(), 2, t), None);
        assert_eq!(pool.check_in(k.clone(), 3, t), Some(1));
        assert_eq!(pool.idle_count(), 2);
    }

    #[test]
    fn expiry_is_driven_by_now() {
        let mut pool = Pool::new(Duration::from_secs(10), 4);
        let t = Instant::now();
        let k = PoolKey::new("http", "a", 80, None);
        pool.check_in(k.clone(), 1, t);
        pool.check_in(k.clone(), 2, t + Duration::from_secs(5));
        assert_eq!(pool.poll_timeout(), Some(t + Duration::from_secs(10)));
        assert_eq!(pool.expire(t + Duration::from_secs(10)), vec![1]);
        assert_eq!(pool.idle_count(), 1);
        assert_eq!(pool.expire(t + Duration::from_secs(16)), vec![2]);
        assert_eq!(pool.poll_timeout(), None);
    }

    #[test]
    fn check_out_skips_expired_and_takes_the_newest() {
        let mut pool = Pool::new(Duration::from_secs(10), 8);
        let t = Instant::now();
        let k = PoolKey::new("http", "a", 80, None);
        for (i, at) in [0, 2, 4, 12].into_iter().enumerate() {
            pool.check_in(k.clone(), i, t + Duration::from_secs(at));
        }
        // At 13 s the first two (returned at 0 and 2 s) have expired.
        assert_eq!(pool.check_out(&k, t + Duration::from_secs(13)), Some(3));
        assert_eq!(pool.check_out(&k, t + Duration::from_secs(13)), Some(2));
        assert_eq!(pool.check_out(&k, t + Duration::from_secs(13)), None);
        assert_eq!(pool.idle_count(), 0);
    }

    #[test]
    fn expire_before_the_first_expiry_finds_nothing() {
        let mut pool = Pool::new(Duration::from_secs(10), 8);
        let t = Instant::now();
        let k = PoolKey::new("http", "a", 80, None);
        pool.check_in(k.clone(), 1, t);
        assert!(pool.expire(t + Duration::from_secs(9)).is_empty());
        assert_eq!(pool.idle_count(), 1);
        assert_eq!(pool.expire(t + Duration::from_secs(10)), vec![1]);
        // A connection returned later is expired on its own schedule.
        pool.check_in(k.clone(), 2, t + Duration::from_secs(20));
        assert!(pool.expire(t + Duration::from_secs(29)).is_empty());
        assert_eq!(pool.expire(t + Duration::from_secs(30)), vec![2]);
    }
}
