//! The [`Client`] as a client of API code: [`SendRequest`] (its
//! [`send`](Client::send)) and [`Client::call`], which runs a [`Call`].

use urlrequest::{Call, SendRequest};
use urlrequest_core::{Request, Response};

use crate::client::Client;
use crate::error::Error;

impl SendRequest for Client {
    fn send_request(&self, request: Request) -> Result<Response, Error> {
        self.send(request)
    }
}

impl Client {
    /// Runs `call` on this thread: its request, then its parser on the
    /// response (see [`Call`]).
    ///
    /// ```no_run
    /// use urlrequest_std::{Client, Call, Request};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Ip {
    ///     origin: String,
    /// }
    ///
    /// let ip: Ip = Client::new().call(Call::json(Request::get("https://httpbin.org/ip")?))?;
    /// println!("{}", ip.origin);
    /// # Ok::<(), urlrequest_std::Error>(())
    /// ```
    pub fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
        SendRequest::call(self, call)
    }
}
