//! The traits of "something that sends a [`Request`]", for library code
//! that works with any client: [`SendRequest`] (blocking) and
//! [`AsyncSendRequest`]. Each runs a [`Call`] with a provided `call`
//! method, so an API client written over them has no line per runtime.
//!
//! The runtimes implement them on their clients (std's `Agent`, the async
//! `Client` of smol and tokio, the frame `Client`); this crate implements
//! them on [`Recording`](crate::Recording), which answers from what it
//! recorded.

use std::future::Future;

use urlrequest_core::{Request, Response};

use crate::call::Call;
use crate::error::Error;

/// A client that sends a request and blocks until its response: std's
/// `Agent`, the frame `Client` (which ticks its loop meanwhile), a
/// [`Recording`](crate::Recording).
///
/// ```
/// use urlrequest::{Call, Error, Recording, Request, SendRequest};
///
/// /// Library code: any blocking client will do.
/// fn health(client: &impl SendRequest, base: &str) -> Result<(), Error> {
///     client.call(Call::empty(Request::get(format!("{base}/health"))?))
/// }
///
/// // Nothing recorded: the recording says so.
/// let err = health(&Recording::new(), "http://127.0.0.1:9").unwrap_err();
/// assert!(err.to_string().contains("holds no more requests"));
/// ```
pub trait SendRequest {
    /// Runs `request` to its end: `Ok` with the final response whatever
    /// its status, `Err` when the exchange did not complete.
    fn send_request(&self, request: Request) -> Result<Response, Error>;

    /// Runs `call`: its request, then its parser on the response.
    fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
        let (request, parse) = call.into_parts();
        parse(self.send_request(request)?)
    }
}

/// A client that sends a request in the task that awaits it: the async
/// `Client` of smol and tokio, a [`Recording`](crate::Recording). The
/// futures are `Send`, so library code runs on multi-threaded executors.
///
/// ```
/// use urlrequest::{AsyncSendRequest, Call, Error, Recording, Request};
///
/// async fn health(client: &impl AsyncSendRequest, base: &str) -> Result<(), Error> {
///     client.call(Call::empty(Request::get(format!("{base}/health"))?)).await
/// }
///
/// let err = futures_lite::future::block_on(health(&Recording::new(), "http://127.0.0.1:9"));
/// assert!(err.unwrap_err().to_string().contains("holds no more requests"));
/// ```
pub trait AsyncSendRequest {
    /// Runs `request` to its end: `Ok` with the final response whatever
    /// its status, `Err` when the exchange did not complete. Dropping the
    /// future cancels the request.
    fn send_request(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, Error>> + Send;

    /// Runs `call`: its request, then its parser on the response.
    fn call<T>(&self, call: Call<T>) -> impl Future<Output = Result<T, Error>> + Send {
        let (request, parse) = call.into_parts();
        let response = self.send_request(request);
        async move { parse(response.await?) }
    }
}

impl<C: SendRequest + ?Sized> SendRequest for &C {
    fn send_request(&self, request: Request) -> Result<Response, Error> {
        (**self).send_request(request)
    }
}

impl<C: AsyncSendRequest + ?Sized> AsyncSendRequest for &C {
    fn send_request(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, Error>> + Send {
        (**self).send_request(request)
    }
}
