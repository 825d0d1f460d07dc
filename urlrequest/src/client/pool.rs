//! [`ConnectionPool`]: what every request of one client shares, written
//! once for every runtime: the idle keep-alive connections (one core
//! [`Pool`] per TLS setting, since a connection verified under one set of
//! roots must never serve a request that asked for another), the rustls
//! configuration built once per TLS setting, and the per-host limit on
//! connections in use. A runtime stores its own connection type in it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use event_listener::{Event, EventListener};
use urlrequest_core::{Pool, PoolKey};
use urlrequest_tls::rustls::ClientConfig;
use urlrequest_tls::{TlsConfigError, TlsSettings};

use crate::cancel::CancelHook;
use crate::client::config::ClientSettings;

/// A connection as the shared client keeps it: a runtime's socket (plain or
/// TLS) that can say whether it is still worth reusing.
pub trait PooledConnection: Send + 'static {
    /// Whether this idle connection can serve another request from here:
    /// the peer has not closed it or sent anything unasked, and it belongs
    /// to the executor polling now (a tokio socket belongs to the runtime
    /// that opened it). A connection that says no is closed.
    fn is_reusable(&self) -> bool;

    /// A hook that shuts this connection's socket down, so that a cancel
    /// from another thread wakes a blocked read or write at once. `None`
    /// where the runtime cancels otherwise (async runtimes race the I/O
    /// against the cancel).
    fn shutdown_hook(&self) -> Option<CancelHook> {
        None
    }
}

/// A hook that shuts `socket` down (both directions), for
/// [`PooledConnection::shutdown_hook`] of a runtime whose connections are
/// `std::net` sockets: the blocked read or write it wakes then fails, and
/// the conductor reports the cancel. `None` when the socket cannot be
/// cloned.
pub fn shutdown_hook(socket: &std::net::TcpStream) -> Option<CancelHook> {
    let socket = socket.try_clone().ok()?;
    Some(Box::new(move || {
        let _ = socket.shutdown(std::net::Shutdown::Both);
    }))
}

/// The keep-alive pools, TLS configurations and per-host limit of one
/// client.
pub struct ConnectionPool<C> {
    idle: Mutex<HashMap<TlsSettings, Pool<C>>>,
    configs: Mutex<HashMap<TlsSettings, Arc<ClientConfig>>>,
    slots: Arc<Slots>,
    idle_timeout: Duration,
    max_idle_per_host: usize,
    /// The settings plain http connections are kept under (they do not
    /// depend on TLS), made once rather than for every look-up.
    plain: TlsSettings,
}

/// Above this many origins, the slot counters nobody holds are forgotten.
const PRUNE_ABOVE: usize = 256;

/// Connections in use per origin, and who waits for one to come free.
struct Slots {
    /// One counter per origin, shared with the permits that hold it, so a
    /// permit is given back without taking the lock.
    in_use: Mutex<HashMap<PoolKey, Arc<AtomicUsize>>>,
    limit: usize,
    freed: Event,
    /// Counts the slots ever freed, for a runtime that cannot wait on
    /// [`freed`](Self::freed) (a loop that polls readiness itself).
    generation: AtomicU64,
}

/// One connection slot of an origin, held while a connection to it is in
/// use (not while it sits idle in the pool: an idle connection holding a
/// slot could starve a request that looked in the pool and found nothing).
/// Dropping it frees the slot.
#[must_use = "the slot is freed when the permit is dropped"]
pub struct Permit {
    slots: Arc<Slots>,
    count: Arc<AtomicUsize>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
        self.slots.generation.fetch_add(1, Ordering::Release);
        self.slots.freed.notify(1);
    }
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Permit({} in use)", self.count.load(Ordering::Relaxed))
    }
}

/// A poisoned lock only means another request panicked mid-update; each
/// update here is a single call on the map, so the state stays consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<C: PooledConnection> ConnectionPool<C> {
    /// An empty pool with the limits of `settings`.
    pub fn new(settings: &ClientSettings) -> ConnectionPool<C> {
        ConnectionPool {
            idle: Mutex::new(HashMap::new()),
            configs: Mutex::new(HashMap::new()),
            plain: TlsSettings::default(),
            slots: Arc::new(Slots {
                in_use: Mutex::new(HashMap::new()),
                limit: settings.per_host_limit().max(1),
                freed: Event::new(),
                generation: AtomicU64::new(0),
            }),
            idle_timeout: settings.idle_timeout(),
            max_idle_per_host: settings.max_idle_per_host(),
        }
    }

    /// A slot for a connection to `key`, unless the per-host limit is
    /// reached.
    pub fn try_acquire(&self, key: &PoolKey) -> Option<Permit> {
        let count = {
            let mut in_use = lock(&self.slots.in_use);
            match in_use.get(key) {
                Some(count) => count.clone(),
                None => {
                    if in_use.len() > PRUNE_ABOVE {
                        // A counter no permit holds is only referenced here.
                        in_use.retain(|_, c| Arc::strong_count(c) > 1);
                    }
                    in_use.entry(key.clone()).or_default().clone()
                }
            }
        };
        let limit = self.slots.limit;
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()?;
        Some(Permit {
            slots: self.slots.clone(),
            count,
        })
    }

    /// Notified each time a slot comes free. Listen first, then try
    /// [`try_acquire`](Self::try_acquire) again, then wait: a slot freed in
    /// between is not missed.
    pub fn slot_freed(&self) -> EventListener {
        self.slots.freed.listen()
    }

    /// How many slots were freed so far: a loop that cannot wait on
    /// [`slot_freed`](Self::slot_freed) compares it to know whether to try
    /// again.
    pub fn slots_freed(&self) -> u64 {
        self.slots.generation.load(Ordering::Acquire)
    }

    /// An idle connection for `key` under `tls` that is still reusable, if
    /// any; those that are not are closed on the way.
    pub fn check_out(&self, key: &PoolKey, tls: &TlsSettings, now: Instant) -> Option<C> {
        let slot = self.tls_slot(key, tls);
        loop {
            let conn = lock(&self.idle).get_mut(slot)?.check_out(key, now)?;
            if conn.is_reusable() {
                return Some(conn);
            }
            log::debug!("closing an idle connection to {key} that cannot be reused");
        }
    }

    /// Keeps a clean connection for reuse; closes what expired or
    /// overflowed.
    pub fn check_in(&self, key: PoolKey, tls: &TlsSettings, conn: C, now: Instant) {
        if self.max_idle_per_host == 0 {
            return;
        }
        let slot = self.tls_slot(&key, tls);
        let (evicted, expired) = {
            let mut idle = lock(&self.idle);
            if !idle.contains_key(slot) {
                let pool = Pool::new(self.idle_timeout, self.max_idle_per_host);
                idle.insert(slot.clone(), pool);
            }
            let pool = idle.get_mut(slot).expect("inserted above");
            (pool.check_in(key, conn, now), pool.expire(now))
        };
        // Closing sockets outside the lock keeps other requests moving.
        drop(evicted);
        drop(expired);
    }

    /// Closes one idle connection of `key`: the core asked for a fresh
    /// connection, and the idle ones are likely as stale as the one that
    /// just failed.
    pub fn discard_one(&self, key: &PoolKey, tls: &TlsSettings, now: Instant) {
        let slot = self.tls_slot(key, tls);
        let conn = lock(&self.idle)
            .get_mut(slot)
            .and_then(|p| p.check_out(key, now));
        drop(conn);
    }

    /// The settings a connection for `key` is kept under: plain http
    /// connections do not depend on TLS settings.
    fn tls_slot<'a>(&'a self, key: &PoolKey, tls: &'a TlsSettings) -> &'a TlsSettings {
        if key.scheme == "https" {
            tls
        } else {
            &self.plain
        }
    }

    /// Idle connections kept now.
    pub fn idle_count(&self) -> usize {
        lock(&self.idle).values().map(Pool::idle_count).sum()
    }

    /// Closes every idle connection.
    pub fn clear_idle(&self) {
        let gone: Vec<Pool<C>> = lock(&self.idle).drain().map(|(_, p)| p).collect();
        drop(gone);
    }

    /// The rustls configuration for `tls`, built once per setting (reading
    /// its CA file the first time).
    pub fn tls_config(&self, tls: &TlsSettings) -> Result<Arc<ClientConfig>, TlsConfigError> {
        if let Some(c) = lock(&self.configs).get(tls) {
            return Ok(c.clone());
        }
        // Built outside the lock: reading a CA file must not hold up
        // requests that need a configuration already made.
        let config = tls.client_config()?;
        Ok(lock(&self.configs)
            .entry(tls.clone())
            .or_insert(config)
            .clone())
    }

    /// Whether the configuration for `tls` was built already.
    pub fn has_tls_config(&self, tls: &TlsSettings) -> bool {
        lock(&self.configs).contains_key(tls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::config::{BuildClient, ClientBuilder};
    use std::sync::atomic::AtomicBool;

    struct Fake(Arc<AtomicBool>);
    impl PooledConnection for Fake {
        fn is_reusable(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    struct Settings(ClientSettings);
    impl BuildClient for Settings {
        fn from_config(config: ClientSettings) -> Result<Self, crate::Error> {
            Ok(Settings(config))
        }
    }

    fn settings(per_host: usize) -> ClientSettings {
        ClientBuilder::<Settings>::new()
            .no_env_proxies()
            .per_host_limit(per_host)
            .build()
            .unwrap()
            .0
    }

    #[test]
    fn the_per_host_limit_counts_connections_in_use_and_wakes_a_waiter() {
        let pool: ConnectionPool<Fake> = ConnectionPool::new(&settings(2));
        let key = PoolKey::new("http", "a", 80, None);
        let other = PoolKey::new("http", "b", 80, None);
        let one = pool.try_acquire(&key).unwrap();
        let _two = pool.try_acquire(&key).unwrap();
        assert!(pool.try_acquire(&key).is_none());
        // Another origin has slots of its own.
        let _b = pool.try_acquire(&other).unwrap();
        let listener = pool.slot_freed();
        let before = pool.slots_freed();
        drop(one);
        assert_eq!(pool.slots_freed(), before + 1);
        // The waiter was notified: waiting returns at once.
        use event_listener::Listener;
        assert!(listener
            .wait_deadline(Instant::now() + Duration::from_secs(5))
            .is_some());
        assert!(pool.try_acquire(&key).is_some());
    }

    #[test]
    fn connections_are_kept_per_tls_setting_and_dead_ones_are_skipped() {
        let pool: ConnectionPool<Fake> = ConnectionPool::new(&settings(4));
        let key = PoolKey::new("https", "a", 443, None);
        let plain = TlsSettings::default();
        let custom = TlsSettings::default().verify(false);
        let now = Instant::now();
        let alive = Arc::new(AtomicBool::new(true));
        pool.check_in(key.clone(), &custom, Fake(alive.clone()), now);
        assert!(pool.check_out(&key, &plain, now).is_none());
        assert!(pool.check_out(&key, &custom, now).is_some());
        pool.check_in(key.clone(), &custom, Fake(alive.clone()), now);
        alive.store(false, Ordering::SeqCst);
        assert!(pool.check_out(&key, &custom, now).is_none());
        assert_eq!(pool.idle_count(), 0);
    }

    #[test]
    fn a_tls_configuration_is_built_once_per_setting() {
        let pool: ConnectionPool<Fake> = ConnectionPool::new(&settings(4));
        let tls = TlsSettings::default();
        assert!(!pool.has_tls_config(&tls));
        let a = pool.tls_config(&tls).unwrap();
        let b = pool.tls_config(&tls).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let missing = TlsSettings::default().ca_file("/nonexistent/ca.pem");
        let e = pool.tls_config(&missing).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }
}
