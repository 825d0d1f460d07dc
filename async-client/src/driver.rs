//! The async I/O of one request: the shared [`Conductor`] says what to do
//! next, this does it with the runtime's sockets and timer in the task that
//! polls it, each step raced against the exchange's deadline and, when the
//! request can be cancelled from elsewhere, against the cancel.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use futures_lite::future;
use urlrequest::client::{ClientCore, Conductor, Next, PooledConnection};
use urlrequest::CancelHandle;
use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::{Event, Request};
use urlrequest_tls::TlsSettings;

use crate::deadline::until;
use crate::net::{open, Connection, Net};
use crate::upload::AsyncUpload;

/// A runtime's connection as the shared pool keeps it.
pub(crate) struct Pooled<C>(pub(crate) C);

impl<C: Connection> PooledConnection for Pooled<C> {
    fn is_reusable(&self) -> bool {
        self.0.usable_here()
    }
}

/// One request in flight.
pub(crate) struct Driver<N: Net> {
    conductor: Conductor<Pooled<N::Conn>>,
    /// Whether the exchange has read bytes, and so holds its read buffer
    /// for the rest of its life: reads are then tried at once, waiting for
    /// readiness only on an empty socket (a reactor round trip per read of
    /// a streaming body saved).
    holds_buffer: bool,
    /// The source of a streamed request body.
    upload: Option<AsyncUpload>,
    /// The time of the last I/O step: the events that follow it happen at
    /// its time, and the clock is read once a step rather than once an
    /// event.
    now: Instant,
}

impl<N: Net> Driver<N> {
    pub(crate) fn new(core: &Arc<ClientCore<Pooled<N::Conn>>>, request: Request) -> Driver<N> {
        let now = Instant::now();
        Driver {
            conductor: core.conductor(request, now),
            holds_buffer: false,
            upload: None,
            now,
        }
    }

    /// Reads a streamed request body from `upload`.
    pub(crate) fn with_upload(mut self, upload: AsyncUpload) -> Driver<N> {
        self.upload = Some(upload);
        self.conductor = self.conductor.with_body_source(true);
        self
    }

    /// Lets `handle` cancel this request from elsewhere.
    pub(crate) fn with_cancel(mut self, handle: CancelHandle) -> Driver<N> {
        self.conductor = self.conductor.with_cancel(handle);
        self
    }

    /// Runs with these TLS settings instead of the client's.
    pub(crate) fn with_tls(mut self, tls: Option<TlsSettings>) -> Driver<N> {
        self.conductor = self.conductor.with_tls(tls);
        self
    }

    /// Logs the exchange at `debug` level.
    pub(crate) fn with_debug(mut self, debug: bool) -> Driver<N> {
        self.conductor = self.conductor.with_debug(debug);
        self
    }

    /// The final response's status and headers once its head arrived.
    pub(crate) fn response_head(&self) -> Option<(StatusCode, &HeaderMap)> {
        self.conductor.exchange().response_head()
    }

    /// Does I/O until the core has an event; `None` once the terminal event
    /// was returned. Dropping the returned future loses nothing: the core
    /// only learns of I/O after it completed.
    pub(crate) async fn next_event(&mut self) -> Option<Event> {
        loop {
            let next = match self.conductor.poll(self.now) {
                Next::Event(event) => return Some(event),
                Next::Finished => return None,
                next => next,
            };
            let cancel = self.conductor.cancel_handle();
            if !cancel.is_shared() {
                self.perform(next).await;
            } else {
                // Cancellable from elsewhere: the step races the cancel. An
                // interrupted step was never reported to the core, so the
                // cancel seen at the next poll leaves it consistent.
                let cancel = cancel.clone();
                future::or(self.perform(next), cancel.cancelled()).await;
            }
            self.now = Instant::now();
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

    async fn perform(&mut self, next: Next) {
        let c = &mut self.conductor;
        let deadline = c.deadline();
        match next {
            Next::Connect(target) => {
                let opened = until::<N, _>(deadline, open::<N>(&target.host, target.port)).await;
                let now = Instant::now();
                match opened {
                    None => c.timed_out(now),
                    Some(Err(e)) => {
                        log::debug!("connecting to {}:{} failed: {e}", target.host, target.port);
                        c.failed(now, e);
                    }
                    Some(Ok(conn)) => c.connected(now, Pooled(conn)),
                }
            }
            // Polled again after: a passed deadline is seen there.
            Next::WaitForSlot(listener) => drop(until::<N, _>(deadline, listener).await),
            Next::StartTls {
                config,
                server_name,
            } => {
                let Some(Pooled(conn)) = c.take_connection() else {
                    return;
                };
                let started = N::start_tls(conn, config, &server_name);
                match until::<N, _>(deadline, started).await {
                    None => c.timed_out(Instant::now()),
                    Some(Err(e)) => c.failed(Instant::now(), e),
                    Some(Ok(tls)) => c.tls_ready(Instant::now(), Pooled(tls)),
                }
            }
            Next::Write => {
                let (ex, Some(Pooled(conn))) = c.io() else {
                    return;
                };
                // The connection flushes what TLS buffered: the bytes must
                // reach the socket before the response is awaited.
                match until::<N, _>(deadline, conn.write(ex.transmit())).await {
                    None => c.timed_out(Instant::now()),
                    Some(result) => c.write_result(Instant::now(), result),
                }
            }
            Next::Read => {
                let eager = self.holds_buffer;
                let (ex, Some(Pooled(conn))) = c.io() else {
                    return;
                };
                // Straight into the core's buffer (no copy on the body
                // path), taken only once bytes are there unless it is
                // already held.
                let got = until::<N, _>(deadline, async {
                    if !eager {
                        conn.readable().await?;
                    }
                    conn.read(ex.read_buf()).await
                })
                .await;
                match got {
                    None => c.timed_out(Instant::now()),
                    Some(result) => {
                        if matches!(result, Ok(n) if n > 0) {
                            self.holds_buffer = true;
                        }
                        c.read_result(Instant::now(), result);
                    }
                }
            }
            Next::SendBody => {
                let Some(upload) = self.upload.as_mut() else {
                    return;
                };
                let (ex, _) = c.io();
                let buf = ex.body_buf();
                let source = &mut upload.source;
                let read = until::<N, _>(
                    deadline,
                    future::poll_fn(|cx| source.as_mut().poll_read(cx, buf)),
                )
                .await;
                match read {
                    None => c.timed_out(Instant::now()),
                    Some(result) => {
                        if let Some(progress) = c.body_read(Instant::now(), result) {
                            upload.report(Some(progress));
                        }
                    }
                }
            }
            Next::RewindBody => {
                let Some(upload) = self.upload.as_mut() else {
                    return;
                };
                let source = &mut upload.source;
                let result: io::Result<()> =
                    future::poll_fn(|cx| source.as_mut().poll_rewind(cx)).await;
                c.rewound(Instant::now(), result);
            }
            Next::Sleep(at) => N::sleep_until(at).await,
            Next::Event(_) | Next::Finished => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use futures_lite::future::block_on;
    use rustls::ClientConfig;

    use super::*;
    use crate::client::Client;
    use urlrequest_core::TransportError;

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
            let request = Request::get("http://127.0.0.1:1/").unwrap();
            let mut driver = Client::<Refusing>::shared().driver(request);
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
