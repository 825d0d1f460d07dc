//! The frame [`Client`] as a client of API code: [`Client::start_call`]
//! starts a [`Call`] and its [`CallHandle`] yields the value after the
//! tick that ends it, without blocking the loop; [`SendRequest`] (and so
//! [`SendRequest::call`]) runs one to its end, blocking the loop
//! meanwhile.

use std::fmt;
use std::time::Instant;

use urlrequest::{Call, Error, Parse, SendRequest};
use urlrequest_core::{Event, Request, Response};

use crate::client::Client;
use crate::transfer::Transfer;

/// A [`Call`] in flight on a frame [`Client`]: after each tick,
/// [`poll`](Self::poll) says whether its value is there.
///
/// ```no_run
/// use std::time::Instant;
/// use urlrequest_frame::{Call, Client, Request};
///
/// let client = Client::new();
/// let status = Call::response(Request::get("http://127.0.0.1:8000/")?).map(|r| r.status());
/// let mut status = client.start_call(status);
/// loop {
///     client.tick(Instant::now());
///     if let Some(result) = status.poll() {
///         println!("{}", result?);
///         break;
///     }
///     // ... update and draw the frame ...
/// #   client.wait(None);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the value is only seen through poll()"]
pub struct CallHandle<T> {
    transfer: Transfer,
    parse: Option<Parse<T>>,
}

impl<T> fmt::Debug for CallHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallHandle")
            .field("transfer", &self.transfer)
            .field("taken", &self.parse.is_none())
            .finish()
    }
}

impl<T> CallHandle<T> {
    /// The call's value once a tick ended its request, exactly once;
    /// `None` before, and after it was taken. The request's other events
    /// (progress, body chunks) are taken and dropped here.
    pub fn poll(&mut self) -> Option<Result<T, Error>> {
        self.parse.as_ref()?;
        let outcome = terminal(&self.transfer)?;
        let parse = self.parse.take()?;
        Some(outcome.and_then(parse))
    }

    /// Whether [`poll`](Self::poll) gave the value already.
    pub fn is_taken(&self) -> bool {
        self.parse.is_none()
    }

    /// Cancels the request: the next tick ends it, and `poll` gives the
    /// cancellation error.
    pub fn cancel(&self) {
        self.transfer.cancel();
    }

    /// The transfer underneath (its cancel handle, whether it settled).
    pub fn transfer(&self) -> &Transfer {
        &self.transfer
    }
}

/// The outcome of `transfer` when its terminal event has come, taking the
/// events before it.
fn terminal(transfer: &Transfer) -> Option<Result<Response, Error>> {
    if let Some(error) = transfer.take_error() {
        return Some(Err(error));
    }
    while let Some(event) = transfer.poll_event() {
        match event {
            Event::Done(response) => return Some(Ok(response)),
            Event::Failure(error) => return Some(Err(Error::Request(error))),
            _ => {}
        }
    }
    None
}

impl Client {
    /// Starts `call` at the next tick; the handle gives its value after
    /// the tick that ends it. The loop never blocks on it.
    pub fn start_call<T>(&self, call: Call<T>) -> CallHandle<T> {
        let (request, parse) = call.into_parts();
        CallHandle::new(self.start(request), parse)
    }

    /// Runs `call` (see [`Call`]): the frame loop's form of every client's
    /// `call`, a handle polled after each tick (as
    /// [`start_call`](Self::start_call)).
    pub fn call<T>(&self, call: Call<T>) -> CallHandle<T> {
        self.start_call(call)
    }
}

impl<T> CallHandle<T> {
    pub(crate) fn new(transfer: Transfer, parse: Parse<T>) -> CallHandle<T> {
        CallHandle {
            transfer,
            parse: Some(parse),
        }
    }
}

/// Runs the request to its end by ticking this client and waiting for
/// its sockets: **this blocks the loop** (and runs the other requests'
/// callbacks inside the ticks it makes). For code that has nothing else
/// to do meanwhile, such as a command-line tool or a test; a frame loop
/// uses [`Client::start_call`] instead. Called from inside a callback of
/// this client, where ticks do nothing, it fails at once.
impl SendRequest for Client {
    fn send_request(&self, request: Request) -> Result<Response, Error> {
        let transfer = self.start(request);
        loop {
            let tick = self.tick(Instant::now());
            if let Some(outcome) = terminal(&transfer) {
                return outcome;
            }
            // A tick that ran counts this request as active until it ends;
            // none did only when a tick is already running (a callback).
            if tick.active == 0 {
                transfer.cancel();
                return Err(Error::Request(urlrequest_core::Error::Transport(
                    urlrequest_core::TransportError::Io(
                        "the frame client cannot run a request to its end from inside \
                         its own tick (a callback): use Client::start_call"
                            .into(),
                    ),
                )));
            }
            self.wait(None);
        }
    }
}
