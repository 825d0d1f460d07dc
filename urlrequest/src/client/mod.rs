//! The client, written once for every runtime: everything about a client
//! that is not I/O.
//!
//! - [`ClientSettings`] and its one [`ClientBuilder`]: every setting under
//!   one name in every runtime, one return type;
//! - [`ClientSettings::exchange`]: request preparation (proxies from the
//!   environment or the builder, the cookie jar, the client's timeouts,
//!   recording);
//! - [`ConnectionPool`]: the keep-alive pool keyed by TLS settings, the
//!   rustls configuration cache, the per-host limit;
//! - [`Conductor`]: one request between the core and a runtime, doing
//!   every step that needs no socket and handing out only the I/O
//!   ([`Next`]);
//! - [`FileTarget`]: a download's file, opened at the response head and
//!   committed only on `Done`;
//! - [`Attempts`] and [`resolve`]: the addresses of a connect, tried in
//!   turn, and the failure that lists them.
//!
//! A runtime supplies the I/O (connect, TLS, read, write, sleep, reading
//! an upload) and names the types for its users; it holds a
//! [`ClientCore`] and runs [`Conductor`]s on it. This is the shape of
//! quinn: a sans-IO endpoint shared by many connections, run by any
//! runtime.

mod attempts;
mod conductor;
mod config;
mod download;
mod pool;

use std::sync::Arc;

pub use attempts::{is_ip_literal, resolve, Attempts};
pub use conductor::{Conductor, Next};
pub use config::{
    BuildClient, ClientBuilder, ClientSettings, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_IDLE_PER_HOST,
    DEFAULT_PER_HOST_LIMIT, DEFAULT_TICK_BUDGET,
};
pub use download::FileTarget;
pub use pool::{shutdown_hook, ConnectionPool, Permit, PooledConnection};

use crate::error::Error;

/// A client's settings and the pool its requests share: what a runtime's
/// `Client` holds (behind an `Arc`), with the runtime's connection type.
pub struct ClientCore<C> {
    settings: ClientSettings,
    pool: ConnectionPool<C>,
}

impl<C: PooledConnection> ClientCore<C> {
    /// The shared state for `settings`. The TLS configuration of the
    /// client's own settings is built now, so a `ca_file` that cannot be
    /// used is reported when the client is built, and no request waits
    /// for it later.
    pub fn new(settings: ClientSettings) -> Result<Arc<ClientCore<C>>, Error> {
        let pool = ConnectionPool::new(&settings);
        pool.tls_config(settings.tls()).map_err(Error::TlsConfig)?;
        Ok(Arc::new(ClientCore { settings, pool }))
    }

    /// The client's settings.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// The client's pool.
    pub fn pool(&self) -> &ConnectionPool<C> {
        &self.pool
    }

    /// A conductor for `request`, prepared by this client's settings (the
    /// wall clock is read only when cookies need it).
    pub fn conductor(
        self: &Arc<Self>,
        request: urlrequest_core::Request,
        now: std::time::Instant,
    ) -> Conductor<C> {
        let ex = self
            .settings
            .exchange(request, now, std::time::SystemTime::now);
        Conductor::new(self.clone(), ex)
    }
}

impl<C: PooledConnection> std::fmt::Debug for ClientCore<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCore")
            .field("settings", &self.settings)
            .field("idle_connections", &self.pool.idle_count())
            .finish()
    }
}
