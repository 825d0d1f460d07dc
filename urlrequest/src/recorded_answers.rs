//! A [`Recording`] as a client: [`SendRequest`] and [`AsyncSendRequest`]
//! answer each request from the first unused transcript that matches it
//! (method, URL, body and the headers the recording names; see
//! [`Recording::send`]), replayed through the core, with no network. API
//! clients written over those traits are tested from a recorded run.

use std::future::Future;

use urlrequest_core::{Request, Response};

use crate::error::Error;
use crate::replay::Recording;
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
///     "connection failed: replay: GET http://example.com/ has no answer: the recording holds no more requests"
/// );
/// # Ok::<(), urlrequest::Error>(())
/// ```
impl SendRequest for Recording {
    fn send_request(&self, request: Request) -> Result<Response, Error> {
        self.send(request)
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
        std::future::ready(self.send(request))
    }
}
