//! The async driver: runs the core's [`Exchange`] over real connections.
//!
//! It spawns nothing. All I/O happens inside [`Driver::next_event`], in the
//! task that polls it, so dropping the driver (or the future or stream that
//! owns it) closes its socket and frees its per-host slot right away.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use async_lock::SemaphoreGuardArc;
use futures_lite::future;
use urlrequest::CancelHandle;
use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::{Action, ConnectTarget, Event, Exchange, Request, TransportError};

use crate::deadline::until;
use crate::net::{open, Connection, Net};
use crate::shared::Shared;
use crate::upload::AsyncUpload;

/// One request in flight, with the connection and slot it currently holds.
pub(crate) struct Driver<N: Net> {
    ex: Exchange,
    shared: Arc<Shared<N>>,
    conn: Option<N::Conn>,
    slot: Option<SemaphoreGuardArc>,
    cancel: Option<CancelHandle>,
    /// Whether the exchange has read bytes, and so holds its read buffer
    /// for the rest of its life: reads are then tried at once, waiting for
    /// readiness only on an empty socket (a reactor round trip per read of
    /// a streaming body saved).
    holds_buffer: bool,
    /// The source of a streamed request body.
    upload: Option<AsyncUpload>,
}

impl<N: Net> Driver<N> {
    pub(crate) fn new(shared: Arc<Shared<N>>, request: Request) -> Driver<N> {
        let mut request = request;
        if let Some(env) = &shared.env_proxies {
            env.apply(&mut request);
        }
        if let Some(jar) = &shared.cookie_jar {
            jar.apply(&mut request, std::time::SystemTime::now);
        } else if request.cookie_jar().is_some() && request.wall_time().is_none() {
            request.set_wall_time(std::time::SystemTime::now());
        }
        let ex = match shared.recording {
            Some(_) => Exchange::recording(request, Instant::now()),
            None => Exchange::new(request, Instant::now()),
        };
        Driver {
            ex,
            shared,
            conn: None,
            slot: None,
            cancel: None,
            holds_buffer: false,
            upload: None,
        }
    }

    /// Reads a streamed request body from `upload`.
    pub(crate) fn with_upload(mut self, upload: AsyncUpload) -> Driver<N> {
        self.upload = Some(upload);
        self
    }

    /// Lets `handle` cancel this request from elsewhere.
    pub(crate) fn with_cancel(mut self, handle: CancelHandle) -> Driver<N> {
        self.cancel = Some(handle);
        self
    }

    /// The final response's status and headers once its head arrived.
    pub(crate) fn response_head(&self) -> Option<(StatusCode, &HeaderMap)> {
        self.ex.response_head()
    }

    /// Does I/O until the core has an event; `None` once the terminal event
    /// was returned. Dropping the returned future loses nothing: the core
    /// only learns of I/O after it completed.
    pub(crate) async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.ex.poll_event() {
                if event.is_terminal() {
                    // Release or close now, so a caller that stops polling
                    // after the terminal event still returns the connection.
                    self.settle();
                    if let (Some(recording), Some(t)) =
                        (&self.shared.recording, self.ex.transcript())
                    {
                        recording.push(t);
                    }
                }
                return Some(event);
            }
            if self.ex.is_finished() {
                self.settle();
                return None;
            }
            let Some(handle) = self.cancel.clone() else {
                self.step().await;
                continue;
            };
            if handle.is_cancelled() {
                self.ex.cancel();
                continue;
            }
            let stepped = future::or(
                async {
                    self.step().await;
                    true
                },
                async {
                    handle.cancelled().await;
                    false
                },
            )
            .await;
            if !stepped {
                // The interrupted I/O was never reported to the core, so
                // cancelling leaves it consistent; its socket goes with Close.
                self.ex.cancel();
            }
        }
    }

    /// Like [`next_event`](Self::next_event), for callers that wait for the
    /// terminal event: after it was returned, `Failure(Cancelled)` stands in
    /// for it, so such a caller never finds the events run out.
    pub(crate) async fn next_or_cancelled(&mut self) -> Event {
        match self.next_event().await {
            Some(event) => event,
            None => Event::Failure(urlrequest_core::Error::Cancelled),
        }
    }

    async fn step(&mut self) {
        match self.ex.poll_action() {
            Some(action) => self.perform(action).await,
            None => self.wait_for_deadline().await,
        }
    }

    /// Handles the actions left after the terminal event (only `Close` and
    /// `Release` can remain), then lets go of the connection and slot.
    fn settle(&mut self) {
        while let Some(action) = self.ex.poll_action() {
            match action {
                Action::Release(key) => self.release(key),
                _ => self.close(),
            }
        }
        self.close();
    }

    async fn perform(&mut self, action: Action) {
        log::trace!("{} {:?}", self.ex.state(), action);
        match action {
            Action::Connect(target) => self.connect(target).await,
            Action::StartTls { server_name } => self.start_tls(&server_name).await,
            Action::Write => self.write().await,
            Action::Read => self.read().await,
            Action::SendBody => self.send_body().await,
            Action::RewindBody => self.rewind_body().await,
            Action::Close => self.close(),
            Action::Release(key) => self.release(key),
        }
    }

    fn close(&mut self) {
        self.conn = None;
        self.slot = None;
    }

    fn release(&mut self, key: urlrequest_core::PoolKey) {
        if let Some(conn) = self.conn.take() {
            self.shared.check_in(key, conn);
        }
        self.slot = None;
    }

    async fn connect(&mut self, target: ConnectTarget) {
        self.close();
        let deadline = self.ex.poll_timeout();
        let Some(slot) = until::<N, _>(deadline, self.shared.slot(&target.key)).await else {
            self.ex.handle_timeout(Instant::now());
            return;
        };
        // Looked up only once a slot is held, so a connection released
        // while this request waited is found instead of opening another.
        if target.reuse {
            if let Some(conn) = self.shared.check_out(&target.key) {
                self.conn = Some(conn);
                self.slot = Some(slot);
                log::debug!("reusing a connection to {}", target.key);
                self.ex.handle_connected(Instant::now(), true);
                return;
            }
        } else {
            self.shared.discard_one(&target.key);
        }
        let opened = until::<N, _>(deadline, open::<N>(&target.host, target.port)).await;
        let now = Instant::now();
        match opened {
            None => self.ex.handle_timeout(now),
            Some(Err(e)) => {
                log::debug!("connecting to {}:{} failed: {e}", target.host, target.port);
                self.ex.handle_transport_error(now, e);
            }
            Some(Ok(conn)) => {
                log::debug!("connected to {}:{}", target.host, target.port);
                self.conn = Some(conn);
                self.slot = Some(slot);
                self.ex.handle_connected(now, false);
            }
        }
    }

    async fn start_tls(&mut self, server_name: &str) {
        let Some(conn) = self.conn.take() else {
            return self.no_connection();
        };
        let config = self.shared.tls.clone();
        let deadline = self.ex.poll_timeout();
        match until::<N, _>(deadline, N::start_tls(conn, config, server_name)).await {
            None => self.ex.handle_timeout(Instant::now()),
            Some(Err(e)) => self.ex.handle_transport_error(Instant::now(), e),
            Some(Ok(tls)) => {
                self.conn = Some(tls);
                self.ex.handle_tls_ready(Instant::now());
            }
        }
    }

    async fn write(&mut self) {
        if self.conn.is_none() {
            return self.no_connection();
        }
        let deadline = self.ex.poll_timeout();
        let Driver { ex, conn, .. } = self;
        let conn = conn.as_mut().expect("checked above");
        let data = ex.transmit();
        // The connection flushes what TLS buffered: the bytes must reach
        // the socket before the response is awaited.
        let done = until::<N, _>(deadline, conn.write(data)).await;
        let now = Instant::now();
        match done {
            None => ex.handle_timeout(now),
            Some(Ok(n)) => ex.handle_written(now, n),
            Some(Err(e)) => ex.handle_transport_error(now, TransportError::write(&e)),
        }
    }

    async fn send_body(&mut self) {
        let deadline = self.ex.poll_timeout();
        let Driver { ex, upload, .. } = self;
        let Some(upload) = upload.as_mut() else {
            ex.handle_body_error(
                Instant::now(),
                "the request declares a streamed body but no source was given",
            );
            return;
        };
        let buf = ex.body_buf();
        let source = &mut upload.source;
        let read = until::<N, _>(
            deadline,
            future::poll_fn(|cx| source.as_mut().poll_read(cx, buf)),
        )
        .await;
        let now = Instant::now();
        match read {
            None => ex.handle_timeout(now),
            Some(Ok(n)) => {
                ex.handle_body_read(now, n);
                if n > 0 {
                    upload.report(ex.upload_progress());
                }
            }
            Some(Err(e)) => ex.handle_body_error(now, e.to_string()),
        }
    }

    async fn rewind_body(&mut self) {
        let Driver { ex, upload, .. } = self;
        let Some(upload) = upload.as_mut() else {
            return;
        };
        let source = &mut upload.source;
        if let Err(e) = future::poll_fn(|cx| source.as_mut().poll_rewind(cx)).await {
            ex.handle_body_error(Instant::now(), e.to_string());
        }
    }

    async fn read(&mut self) {
        if self.conn.is_none() {
            return self.no_connection();
        }
        let deadline = self.ex.poll_timeout();
        let Driver {
            ex,
            conn,
            holds_buffer,
            ..
        } = self;
        let conn = conn.as_mut().expect("checked above");
        // Straight into the core's buffer (no copy on the body path), taken
        // only once bytes are there unless it is already held.
        let eager = *holds_buffer;
        let got = until::<N, _>(deadline, async {
            if !eager {
                conn.readable().await?;
            }
            conn.read(ex.read_buf()).await
        })
        .await;
        let now = Instant::now();
        match got {
            None => ex.handle_timeout(now),
            Some(Ok(0)) => ex.handle_eof(now),
            Some(Ok(n)) => {
                *holds_buffer = true;
                ex.handle_read(now, n)
            }
            // A TLS peer that closes without close_notify: the core's
            // framing still decides whether the body was complete.
            Some(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => ex.handle_eof(now),
            Some(Err(e)) => ex.handle_transport_error(now, TransportError::read(&e)),
        }
    }

    async fn wait_for_deadline(&mut self) {
        match self.ex.poll_timeout() {
            Some(at) => {
                N::sleep_until(at).await;
                self.ex.handle_timeout(Instant::now());
            }
            // The core waits for nothing but time, and has no deadline: it
            // would never move again. Fail rather than hang.
            None => self.ex.handle_transport_error(
                Instant::now(),
                TransportError::Io(format!("request stalled in state {}", self.ex.state())),
            ),
        }
    }

    fn no_connection(&mut self) {
        self.ex.handle_transport_error(
            Instant::now(),
            TransportError::Io("no open connection for the requested I/O".into()),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use futures_lite::future::block_on;
    use rustls::ClientConfig;

    use super::*;
    use crate::client::Client;

    /// A runtime whose every connection attempt is refused at once.
    struct Refusing;

    struct NoConn;

    impl Connection for NoConn {
        async fn readable(&self) -> io::Result<()> {
            Ok(())
        }
        async fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Ok(0)
        }
        async fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            Ok(data.len())
        }
    }

    impl Net for Refusing {
        type Conn = NoConn;
        async fn connect(_: std::net::SocketAddr) -> io::Result<NoConn> {
            Err(io::ErrorKind::ConnectionRefused.into())
        }
        async fn start_tls(
            conn: NoConn,
            _: Arc<ClientConfig>,
            _: &str,
        ) -> Result<NoConn, TransportError> {
            Ok(conn)
        }
        async fn sleep_until(_: Instant) {
            std::future::pending().await
        }
        async fn unblock<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
            work()
        }
        fn shared_client() -> Client<Refusing> {
            static SHARED: OnceLock<Client<Refusing>> = OnceLock::new();
            SHARED.get_or_init(Client::new).clone()
        }
    }

    /// A caller that asks again after the terminal event gets a
    /// `Failure(Cancelled)`, not a panic or a stream that never ends.
    #[test]
    fn asking_past_the_terminal_event_gives_cancelled() {
        block_on(async {
            let shared = Client::<Refusing>::shared().shared_state();
            let request = Request::get("http://127.0.0.1:1/").unwrap();
            let mut driver = Driver::new(shared, request);
            let mut first = driver.next_or_cancelled().await;
            while !first.is_terminal() {
                first = driver.next_or_cancelled().await;
            }
            assert!(
                matches!(&first, Event::Failure(e) if e.kind_name() == "connect"),
                "{first:?}"
            );
            for _ in 0..2 {
                let again = driver.next_or_cancelled().await;
                assert!(
                    matches!(again, Event::Failure(urlrequest_core::Error::Cancelled)),
                    "{again:?}"
                );
            }
        });
    }
}
