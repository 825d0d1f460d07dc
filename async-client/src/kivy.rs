//! What the shared Kivy layer needs from an async runtime, written once:
//! [`job_events`] turns a `UrlRequest`'s job into [`RequestEvents`], the
//! events its run reads. A runtime's `AsyncRuntime` implementation is a
//! call to it.

use std::borrow::Borrow;

use urlrequest::{Error, EventSource, Job, Runtime};
use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::{Event, TransportError};

use crate::client::Client;
use crate::driver::Driver;
use crate::net::Net;

/// Prepares the run of `job` on its client: the rustls configuration of
/// the job's own TLS settings when it has some (its CA file read on the
/// blocking pool), the request, and its cancel handle. Nothing is sent
/// until the events are polled.
pub async fn job_events<R, N>(job: Job<R>) -> Result<RequestEvents<N>, Error>
where
    R: Runtime,
    R::Client: Borrow<Client<N>>,
    N: Net,
{
    let client: &Client<N> = job.client.borrow();
    if let Some(settings) = &job.tls {
        client.prepare_tls(settings).await.map_err(|e| {
            // Reported as the TLS failure it leads to, as the std runtime
            // does when it builds its configuration at connect time.
            Error::Request(urlrequest_core::Error::Transport(TransportError::Tls(
                e.to_string(),
            )))
        })?;
    }
    let mut driver = client
        .driver(job.request)
        .with_tls(job.tls)
        .with_cancel(job.cancel)
        .with_debug(job.debug);
    if let Some(upload) = job.upload {
        driver = driver.with_upload(crate::AsyncUpload::from_blocking(upload));
    }
    Ok(RequestEvents {
        driver: Box::new(driver),
    })
}

/// One `UrlRequest`'s events, as the shared layer reads them.
pub struct RequestEvents<N: Net> {
    // Boxed: moved in and out of each step's future, a pointer is cheaper
    // to move than the whole driver.
    driver: Box<Driver<N>>,
}

impl<N: Net> std::fmt::Debug for RequestEvents<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestEvents")
    }
}

impl<N: Net> EventSource for RequestEvents<N> {
    async fn next_event(&mut self) -> Option<Event> {
        self.driver.next_event().await
    }

    fn response_head(&self) -> Option<(StatusCode, &HeaderMap)> {
        self.driver.response_head()
    }
}
