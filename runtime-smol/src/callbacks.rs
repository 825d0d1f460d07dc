//! Kivy's `UrlRequest` callbacks on top of the async driver, so handlers
//! written for Kivy-style code move to async code unchanged.
//!
//! Routing, as in Kivy: a response with a 1xx or 2xx status goes to
//! `on_success`, 3xx (a redirect not followed) to `on_redirect`, 4xx and 5xx
//! to `on_failure`; a request that did not complete goes to `on_error`, or
//! to `on_cancel` when it was cancelled. `on_finish` runs once after any of
//! them. `on_progress` gets `(received, total)` with `total` `None` when the
//! length is unknown. Callbacks run in the task that awaits
//! [`Callbacks::run`], one at a time, never concurrently.

use std::path::PathBuf;

use urlrequest_core::{Error, Event, Request, Response};

use crate::cancel::CancelHandle;
use crate::client::Client;
use crate::download;

type OnResponse = Box<dyn FnMut(&Response) + Send>;
type OnError = Box<dyn FnMut(&Error) + Send>;
type OnProgress = Box<dyn FnMut(u64, Option<u64>) + Send>;
type OnSignal = Box<dyn FnMut() + Send>;

/// A set of Kivy-style callbacks and options for one request.
///
/// ```no_run
/// use urlrequest_smol::{Callbacks, Client, Request};
/// # smol::block_on(async {
/// let client = Client::new();
/// let outcome = Callbacks::new()
///     .on_progress(|received, total| println!("{received}/{total:?}"))
///     .on_success(|resp| println!("got {}", resp.status()))
///     .on_failure(|resp| println!("server said {}", resp.status()))
///     .on_error(|err| println!("failed: {err}"))
///     .on_finish(|| println!("finished"))
///     .run(&client, Request::get("http://127.0.0.1:8080/")?)
///     .await;
/// # Ok::<(), urlrequest_smol::BuildError>(())
/// # }).unwrap();
/// ```
#[derive(Default)]
pub struct Callbacks {
    on_success: Option<OnResponse>,
    on_redirect: Option<OnResponse>,
    on_failure: Option<OnResponse>,
    on_error: Option<OnError>,
    on_progress: Option<OnProgress>,
    on_cancel: Option<OnSignal>,
    on_finish: Option<OnSignal>,
    file_path: Option<PathBuf>,
    cancel: CancelHandle,
}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callbacks")
            .field("file_path", &self.file_path)
            .field("cancelled", &self.cancel.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl Callbacks {
    /// No callbacks yet.
    pub fn new() -> Callbacks {
        Callbacks::default()
    }

    /// Final response with a 1xx or 2xx status.
    pub fn on_success(mut self, f: impl FnMut(&Response) + Send + 'static) -> Self {
        self.on_success = Some(Box::new(f));
        self
    }

    /// Final response with a 3xx status (a redirect that was not followed).
    pub fn on_redirect(mut self, f: impl FnMut(&Response) + Send + 'static) -> Self {
        self.on_redirect = Some(Box::new(f));
        self
    }

    /// Final response with a 4xx or 5xx status.
    pub fn on_failure(mut self, f: impl FnMut(&Response) + Send + 'static) -> Self {
        self.on_failure = Some(Box::new(f));
        self
    }

    /// The request did not complete (connect, TLS, timeout, bad response...).
    pub fn on_error(mut self, f: impl FnMut(&Error) + Send + 'static) -> Self {
        self.on_error = Some(Box::new(f));
        self
    }

    /// Body progress: bytes received so far and the total when known.
    pub fn on_progress(mut self, f: impl FnMut(u64, Option<u64>) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// The request was cancelled through its [`CancelHandle`].
    pub fn on_cancel(mut self, f: impl FnMut() + Send + 'static) -> Self {
        self.on_cancel = Some(Box::new(f));
        self
    }

    /// Runs once after every outcome.
    pub fn on_finish(mut self, f: impl FnMut() + Send + 'static) -> Self {
        self.on_finish = Some(Box::new(f));
        self
    }

    /// Stream the body into this file (temporary file, renamed on success).
    pub fn file_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.file_path = Some(path.into());
        self
    }

    /// A handle that cancels the request; `on_cancel` then runs. (Dropping
    /// the future of [`run`](Self::run) also stops the request, but runs no
    /// callback.)
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Runs `request` on `client`, calling the callbacks as events arrive,
    /// and returns the outcome as well.
    pub async fn run(mut self, client: &Client, request: Request) -> Result<Response, Error> {
        let result = match self.file_path.take() {
            Some(path) => match download::without_collecting(&request) {
                Ok(request) => {
                    let driver = client.driver(request).with_cancel(self.cancel.clone());
                    download::to_file(driver, &path, &mut |e| self.progress(e)).await
                }
                Err(e) => Err(e),
            },
            None => {
                let mut driver = client.driver(request).with_cancel(self.cancel.clone());
                let mut outcome = None;
                while let Some(event) = driver.next_event().await {
                    match event {
                        Event::Done(r) => outcome = Some(Ok(r)),
                        Event::Failure(e) => outcome = Some(Err(e)),
                        other => self.progress(&other),
                    }
                }
                outcome.expect("the core always ends with a terminal event")
            }
        };
        self.route(&result);
        if let Some(f) = &mut self.on_finish {
            f();
        }
        result
    }

    fn progress(&mut self, event: &Event) {
        if let (Event::Progress { received, total }, Some(f)) = (event, &mut self.on_progress) {
            f(*received, *total);
        }
    }

    fn route(&mut self, result: &Result<Response, Error>) {
        match result {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let handler = if status < 300 {
                    &mut self.on_success
                } else if status < 400 {
                    &mut self.on_redirect
                } else {
                    &mut self.on_failure
                };
                if let Some(f) = handler {
                    f(resp);
                }
            }
            Err(Error::Cancelled) => {
                if let Some(f) = &mut self.on_cancel {
                    f();
                }
            }
            Err(e) => {
                if let Some(f) = &mut self.on_error {
                    f(e);
                }
            }
        }
    }
}
