//! What a client's requests share: the keep-alive pools (one per TLS
//! setting, the core's [`Pool`] bookkeeping over this crate's
//! connections), the rustls configurations built from the shared TLS
//! settings, and the client's settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use urlrequest::Recording;
use urlrequest_core::{Pool, PoolKey};
use urlrequest_tls::TlsSettings;

use crate::net::Conn;

/// The pools, configurations and settings of one client.
pub(crate) struct Shared {
    /// One pool per TLS setting: a connection verified under one set of
    /// roots never serves a request that asked for another.
    pools: Mutex<HashMap<TlsSettings, Pool<Conn>>>,
    configs: Mutex<HashMap<TlsSettings, Arc<ClientConfig>>>,
    pub(crate) tls: TlsSettings,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_idle_per_host: usize,
    pub(crate) budget: usize,
    pub(crate) recording: Option<Recording>,
    /// Proxies chosen per request URL (`ClientBuilder::env_proxies`).
    pub(crate) env_proxies: Option<urlrequest_core::EnvProxies>,
    /// The client's cookie jar (`ClientBuilder::cookie_jar`).
    pub(crate) cookie_jar: Option<urlrequest_core::CookieJar>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each update is one call on the map: a panic cannot leave it torn.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub(crate) fn new(
        tls: TlsSettings,
        idle_timeout: Duration,
        max_idle_per_host: usize,
        budget: usize,
        recording: Option<Recording>,
    ) -> Shared {
        Shared {
            pools: Mutex::new(HashMap::new()),
            configs: Mutex::new(HashMap::new()),
            tls,
            idle_timeout,
            max_idle_per_host,
            budget,
            recording,
            env_proxies: None,
            cookie_jar: None,
        }
    }

    /// Plain http connections do not depend on TLS settings.
    fn slot(key: &PoolKey, tls: &TlsSettings) -> TlsSettings {
        if key.scheme == "https" {
            tls.clone()
        } else {
            TlsSettings::default()
        }
    }

    /// An idle connection for `key` that still looks alive, if any.
    pub(crate) fn check_out(&self, key: &PoolKey, tls: &TlsSettings, now: Instant) -> Option<Conn> {
        let slot = Shared::slot(key, tls);
        let mut pools = lock(&self.pools);
        let pool = pools.get_mut(&slot)?;
        // One that the server closed while idle is dropped; try the next.
        std::iter::from_fn(|| pool.check_out(key, now)).find(Conn::looks_alive)
    }

    /// Keeps a clean connection for reuse.
    pub(crate) fn check_in(&self, key: PoolKey, tls: &TlsSettings, conn: Conn, now: Instant) {
        if self.max_idle_per_host == 0 {
            return;
        }
        let slot = Shared::slot(&key, tls);
        let mut pools = lock(&self.pools);
        let pool = pools
            .entry(slot)
            .or_insert_with(|| Pool::new(self.idle_timeout, self.max_idle_per_host));
        // Dropping the evicted and expired connections closes them.
        drop(pool.check_in(key, conn, now));
        drop(pool.expire(now));
    }

    /// Idle connections kept for reuse.
    pub(crate) fn idle_connections(&self) -> usize {
        lock(&self.pools).values().map(Pool::idle_count).sum()
    }

    /// The rustls configuration for `tls`, built once per setting.
    pub(crate) fn client_config(&self, tls: &TlsSettings) -> Result<Arc<ClientConfig>, String> {
        let mut configs = lock(&self.configs);
        if let Some(c) = configs.get(tls) {
            return Ok(c.clone());
        }
        let config = tls.client_config().map_err(|e| e.to_string())?;
        configs.insert(tls.clone(), config.clone());
        Ok(config)
    }
}
