//! A Kivy-style [`UrlRequest`] that runs a [`Call`]: built with
//! [`UrlRequest::for_call`], its one typed callback gets the call's value
//! (or why there is none) where the other callbacks would run, on every
//! runtime. The request is the call's; only how it runs is set here.

use std::sync::{Arc, Mutex};

use urlrequest_core::Response;
use urlrequest_tls::TlsSettings;

use crate::builder::UrlRequestBuilder;
use crate::call::Call;
use crate::error::Error;
use crate::runtime::{BlockingRuntime, Runtime};
use crate::url_request::{Dispatch, UrlRequest};

/// The value callback, its parser inside, until the outcome takes it.
type Deliver<R> = Box<dyn FnOnce(&UrlRequest<R>, Result<Response, Error>) + Send>;
type Slot<R> = Arc<Mutex<Option<Deliver<R>>>>;

impl<R: Runtime> UrlRequest<R> {
    /// A request that runs `call` and hands its value to `on_value`, once,
    /// whatever the outcome: the parsed value or the parser's error for a
    /// response of any status, the request's error (a cancel included)
    /// otherwise. It runs where `on_success` would have run (the thread
    /// that waits, the awaiting task, the tick), followed by `on_finish`.
    ///
    /// The request is the call's (its method, headers, body, timeouts);
    /// the builder sets how it runs: the client, progress and finish
    /// callbacks, TLS settings, and for runtimes with threads the
    /// dispatch and autostart.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use urlrequest::{Call, Recording, Replay, Request, UrlRequest};
    ///
    /// let got = Arc::new(Mutex::new(None));
    /// let sink = got.clone();
    /// let call = Call::<Vec<u32>>::json(Request::get("http://example.com/numbers")?);
    /// let req = UrlRequest::<Replay>::for_call(call, move |_, value| {
    ///     *sink.lock().unwrap() = Some(value);
    /// })
    /// .client(&Recording::new())
    /// .build()?;
    /// req.wait(None);
    /// // Nothing was recorded: the value is the error saying so.
    /// let err = got.lock().unwrap().take().unwrap().unwrap_err();
    /// assert!(err.to_string().contains("holds no more requests"));
    /// # Ok::<(), urlrequest::Error>(())
    /// ```
    pub fn for_call<T: 'static>(
        call: Call<T>,
        on_value: impl FnOnce(&UrlRequest<R>, Result<T, Error>) + Send + 'static,
    ) -> CallRequestBuilder<R> {
        let (request, parse) = call.into_parts();
        let deliver: Deliver<R> =
            Box::new(move |req, outcome| on_value(req, outcome.and_then(parse)));
        let slot: Slot<R> = Arc::new(Mutex::new(Some(deliver)));
        let response = |req: &UrlRequest<R>| {
            req.take_response().ok_or_else(|| {
                Error::Request(urlrequest_core::Error::Truncated {
                    what: "the response of the call was not kept".into(),
                })
            })
        };
        let (s, r, f, e, c) = (slot.clone(), slot.clone(), slot.clone(), slot.clone(), slot);
        let inner = UrlRequestBuilder::for_request(request)
            .on_success(move |req, _| give(&s, req, response(req)))
            .on_redirect(move |req, _| give(&r, req, response(req)))
            .on_failure(move |req, _| give(&f, req, response(req)))
            .on_error(move |req, error| give(&e, req, Err(error.clone())))
            .on_cancel(move |req| {
                give(
                    &c,
                    req,
                    Err(Error::Request(urlrequest_core::Error::Cancelled)),
                )
            });
        CallRequestBuilder { inner }
    }
}

/// Runs the value callback, the first time only.
fn give<R: Runtime>(slot: &Slot<R>, req: &UrlRequest<R>, outcome: Result<Response, Error>) {
    let deliver = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(deliver) = deliver {
        deliver(req, outcome);
    }
}

/// Describes how a [`UrlRequest`] made by [`UrlRequest::for_call`] runs.
#[must_use = "a builder does nothing until build() is called"]
pub struct CallRequestBuilder<R: Runtime> {
    inner: UrlRequestBuilder<R>,
}

impl<R: Runtime> CallRequestBuilder<R> {
    /// Run on this client instead of the process-wide one.
    pub fn client(mut self, client: &R::Client) -> Self {
        self.inner = self.inner.client(client);
        self
    }

    /// Called with body bytes received so far and the total when known
    /// (see [`UrlRequestBuilder::on_progress`]).
    pub fn on_progress(
        mut self,
        f: impl FnMut(&UrlRequest<R>, u64, Option<u64>) + Send + 'static,
    ) -> Self {
        self.inner = self.inner.on_progress(f);
        self
    }

    /// Called last, exactly once, after the value callback.
    pub fn on_finish(mut self, f: impl FnMut(&UrlRequest<R>) + Send + 'static) -> Self {
        self.inner = self.inner.on_finish(f);
        self
    }

    /// TLS settings of this request (see [`UrlRequestBuilder::tls`]).
    pub fn tls(mut self, tls: TlsSettings) -> Self {
        self.inner = self.inner.tls(tls);
        self
    }

    /// Log the exchange at `debug` level.
    pub fn debug(mut self, on: bool) -> Self {
        self.inner = self.inner.debug(on);
        self
    }

    /// Returns the request, started as the runtime starts requests (see
    /// [`UrlRequestBuilder::build`]).
    pub fn build(self) -> Result<UrlRequest<R>, Error> {
        self.inner.build()
    }
}

/// The choices of runtimes with threads.
impl<R: BlockingRuntime> CallRequestBuilder<R> {
    /// Where the callbacks run (see [`UrlRequestBuilder::dispatch`]).
    pub fn dispatch(mut self, dispatch: Dispatch) -> Self {
        self.inner = self.inner.dispatch(dispatch);
        self
    }

    /// Start when built (default) or only on [`UrlRequest::start`].
    pub fn autostart(mut self, on: bool) -> Self {
        self.inner = self.inner.autostart(on);
        self
    }
}
