//! A [`Recording`] as a client: [`SendRequest`] and [`AsyncSendRequest`]
//! answer each request from the first unused transcript of the same
//! method and URL, replayed through the core, with no network. API
//! clients written over those traits are tested from a recorded run.

use std::future::Future;
use std::ops::ControlFlow;

use urlrequest_core::{Event, Request, Response};

use crate::cancel::CancelHandle;
use crate::error::Error;
use crate::replay::{Recording, Replay};
use crate::runtime::{BlockingRuntime, Job};
use crate::send_request::{AsyncSendRequest, SendRequest};

/// Answers from the recording: a request the recording does not hold
/// (another method or URL, or none left) is an error saying which it
/// holds next.
///
/// ```
/// use urlrequest::{Recording, Request, SendRequest};
/// let err = Recording::new().send_request(Request::get("http://example.com/")?).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "connection failed: replay: the recording holds no more requests (wanted GET http://example.com/)"
/// );
/// # Ok::<(), urlrequest::Error>(())
/// ```
impl SendRequest for Recording {
    fn send_request(&self, request: Request) -> Result<Response, Error> {
        answer(self, request)
    }
}

impl Recording {
    /// Runs `call` from the recording (see [`SendRequest`]): its request
    /// is answered by the matching transcript, then parsed.
    pub fn call<T>(&self, call: crate::Call<T>) -> Result<T, Error> {
        SendRequest::call(self, call)
    }
}

/// The same answers as the blocking impl, ready at once.
impl AsyncSendRequest for Recording {
    fn send_request(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, Error>> + Send {
        std::future::ready(answer(self, request))
    }
}

/// Replays the transcript that answers `request` (the [`Replay`]
/// runtime's matching and replay) and keeps its outcome.
//
// Stands in for `Recording::send` until that exists.
fn answer(recording: &Recording, request: Request) -> Result<Response, Error> {
    let job = Job::<Replay> {
        client: recording.clone(),
        tls: None,
        request,
        cancel: CancelHandle::new(),
        debug: false,
        upload: None,
    };
    let mut outcome = None;
    Replay::drive(job, &mut |event, _| match event {
        Event::Done(response) => {
            outcome = Some(Ok(response));
            ControlFlow::Break(())
        }
        Event::Failure(error) => {
            outcome = Some(Err(Error::Request(error)));
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    });
    outcome.unwrap_or_else(|| {
        Err(Error::Request(urlrequest_core::Error::Truncated {
            what: "replay: the recorded exchange ended without an outcome".into(),
        }))
    })
}
