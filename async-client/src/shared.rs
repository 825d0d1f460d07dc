//! What every request of one client shares: the keep-alive pool (the core's
//! bookkeeping holding our connections), the per-host connection limit, the
//! TLS configuration, and the siblings made for requests that ask for other
//! TLS settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_lock::{Semaphore, SemaphoreGuardArc};
use rustls::ClientConfig;
use urlrequest_core::{EnvProxies, Pool, PoolKey};

use crate::net::{Connection, Net};
use urlrequest::Recording;
use urlrequest_tls::TlsSettings;

/// Above this many per-host semaphores, unused ones are forgotten.
const PRUNE_ABOVE: usize = 256;

pub(crate) struct Shared<N: Net> {
    pool: Mutex<Pool<N::Conn>>,
    slots: Mutex<HashMap<PoolKey, Arc<Semaphore>>>,
    per_host: usize,
    idle_timeout: Duration,
    pub(crate) tls: Arc<ClientConfig>,
    pub(crate) settings: TlsSettings,
    /// One sibling per other TLS setting asked for by a request: a
    /// connection verified under one set of roots must never serve a request
    /// that asked for another, so each setting has its own pool.
    siblings: Mutex<HashMap<TlsSettings, Arc<Shared<N>>>>,
    /// Where the transcripts of recorded requests go.
    pub(crate) recording: Option<Recording>,
    /// Proxies chosen per request URL (`ClientBuilder::env_proxies`).
    pub(crate) env_proxies: Option<EnvProxies>,
    /// The client's cookie jar (`ClientBuilder::cookie_jar`).
    pub(crate) cookie_jar: Option<urlrequest_core::CookieJar>,
}

impl<N: Net> Shared<N> {
    pub(crate) fn new(
        per_host: usize,
        idle_timeout: Duration,
        tls: Arc<ClientConfig>,
        settings: TlsSettings,
        recording: Option<Recording>,
    ) -> Shared<N> {
        let per_host = per_host.max(1);
        Shared {
            pool: Mutex::new(Pool::new(idle_timeout, per_host)),
            slots: Mutex::new(HashMap::new()),
            per_host,
            idle_timeout,
            tls,
            settings,
            siblings: Mutex::new(HashMap::new()),
            recording,
            env_proxies: None,
            cookie_jar: None,
        }
    }

    /// The sibling for `settings`, if one was made already.
    pub(crate) fn sibling(&self, settings: &TlsSettings) -> Option<Arc<Shared<N>>> {
        lock(&self.siblings).get(settings).cloned()
    }

    /// The sibling for `settings`, made with `tls` unless one exists (two
    /// requests may race to make it; the first one kept wins).
    pub(crate) fn add_sibling(
        &self,
        settings: &TlsSettings,
        tls: Arc<ClientConfig>,
    ) -> Arc<Shared<N>> {
        lock(&self.siblings)
            .entry(settings.clone())
            .or_insert_with(|| {
                let (per_host, idle) = (self.per_host, self.idle_timeout);
                let recording = self.recording.clone();
                let mut sibling = Shared::new(per_host, idle, tls, settings.clone(), recording);
                sibling.env_proxies = self.env_proxies.clone();
                sibling.cookie_jar = self.cookie_jar.clone();
                Arc::new(sibling)
            })
            .clone()
    }

    /// Waits for one of the `per_host` connection slots of `key`. A slot is
    /// held while a connection is in use, not while it sits idle in the
    /// pool: an idle connection holding a slot could starve a waiter that
    /// already looked in the pool and found nothing.
    pub(crate) async fn slot(&self, key: &PoolKey) -> SemaphoreGuardArc {
        let sem = {
            let mut slots = lock(&self.slots);
            if slots.len() > PRUNE_ABOVE {
                // A semaphore nobody holds or waits on is only referenced here.
                slots.retain(|_, s| Arc::strong_count(s) > 1);
            }
            match slots.get(key) {
                Some(sem) => sem.clone(),
                None => slots
                    .entry(key.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                    .clone(),
            }
        };
        sem.acquire_arc().await
    }

    /// An idle connection for `key`, if one is fresh enough.
    pub(crate) fn check_out(&self, key: &PoolKey) -> Option<N::Conn> {
        loop {
            let conn = lock(&self.pool).check_out(key, Instant::now())?;
            if conn.usable_here() {
                return Some(conn);
            }
            log::debug!("closing an idle connection to {key} that belongs to another executor");
        }
    }

    /// Puts a clean connection back; closes what expired or overflowed.
    pub(crate) fn check_in(&self, key: PoolKey, conn: N::Conn) {
        let now = Instant::now();
        let (expired, evicted) = {
            let mut pool = lock(&self.pool);
            let expired = pool.expire(now);
            (expired, pool.check_in(key, conn, now))
        };
        // Closing sockets outside the lock keeps other requests moving.
        drop(expired);
        drop(evicted);
    }

    /// Drops one idle connection of `key`: the core asked for a fresh
    /// connection, so this one would exceed the per-host limit.
    pub(crate) fn discard_one(&self, key: &PoolKey) {
        let conn = lock(&self.pool).check_out(key, Instant::now());
        drop(conn);
    }

    /// Number of idle connections in the pool and the siblings' pools.
    pub(crate) fn idle_count(&self) -> usize {
        let own = lock(&self.pool).idle_count();
        let siblings: Vec<_> = lock(&self.siblings).values().cloned().collect();
        own + siblings.iter().map(|s| s.idle_count()).sum::<usize>()
    }

    /// Closes every idle connection, the siblings' included.
    pub(crate) fn clear_idle(&self) {
        let far = Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
        let gone = lock(&self.pool).expire(far);
        drop(gone);
        let siblings: Vec<_> = lock(&self.siblings).values().cloned().collect();
        for s in siblings {
            s.clear_idle();
        }
    }
}

/// A poisoned lock only means another request panicked mid-update; the pool
/// and slot map stay consistent (each update is a single call), so go on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
