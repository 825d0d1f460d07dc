//! The async [`Client`] as a client of API code: [`AsyncSendRequest`] (its
//! [`send`](Client::send)) and [`Client::call`], which runs a [`Call`].
//! Written once here, so smol and tokio both have it.

use std::future::Future;

use urlrequest::{AsyncSendRequest, Call, Error};
use urlrequest_core::{Request, Response};

use crate::client::Client;
use crate::net::Net;

impl<N: Net> AsyncSendRequest for Client<N> {
    fn send_request(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, Error>> + Send {
        self.send(request)
    }
}

impl<N: Net> Client<N> {
    /// Runs `call` in the task that awaits it: its request, then its
    /// parser on the response (see [`Call`]). Dropping the future cancels
    /// the request.
    pub async fn call<T>(&self, call: Call<T>) -> Result<T, Error> {
        AsyncSendRequest::call(self, call).await
    }
}
