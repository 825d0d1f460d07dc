//! The [`Agent`] as a client of API code: [`SendRequest`] (its
//! [`send`](Agent::send)) and [`Agent::call`], which runs a [`Call`].

use urlrequest::{Call, SendRequest};
use urlrequest_core::{Request, Response};

use crate::agent::Agent;
use crate::error::Error;

impl SendRequest for Agent {
    fn send_request(&self, request: Request) -> Result<Response, Error> {
        self.send(request)
    }
}

impl Agent {
    /// Runs `call` on this thread: its request, then its parser on the
    /// response (see [`Call`]).
    ///
    /// ```no_run
    /// use urlrequest_std::{Agent, Call, Request};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Ip {
    ///     origin: String,
    /// }
    ///
    /// let ip: Ip = Agent::new().call(Call::json(Request::get("https://httpbin.org/ip")?))?;
    /// println!("{}", ip.origin);
    /// # Ok::<(), urlrequest_std::Error>(())
    /// ```
    pub fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
        SendRequest::call(self, call)
    }
}
