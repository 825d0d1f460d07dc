//! The body of [`UrlRequest::send`]: drive the exchange in the polling task,
//! keep the properties current, stream `file_path` downloads, and call the
//! callbacks as things happen, then route the outcome.

use std::path::PathBuf;

use urlrequest::ResultValue;
use urlrequest_core::{trace_line, Event, Request, TransportError};

use crate::callbacks::{Callbacks, Outcome};
use crate::client::Client;
use crate::download::FileTarget;
use crate::error::Error;
use crate::url_request::UrlRequest;
use urlrequest_tls::TlsSettings;

/// Everything a run needs, prepared by the builder.
pub(crate) struct Launch {
    pub(crate) request: Request,
    pub(crate) client: Option<Client>,
    pub(crate) tls: Option<TlsSettings>,
    pub(crate) file_path: Option<PathBuf>,
    pub(crate) debug: bool,
    pub(crate) callbacks: Callbacks,
}

pub(crate) async fn run(req: &UrlRequest, launch: Launch) -> Result<ResultValue, Error> {
    // Whatever happens from here (completion, a panicking callback, the
    // future dropped half-way), other `send`s waiting on this run wake up.
    let _settle = SettleOnDrop(req);
    let Launch {
        request,
        client,
        tls,
        file_path,
        debug,
        mut callbacks,
    } = launch;
    let client = client.unwrap_or_else(Client::shared);
    let outcome = exchange(req, request, client, tls, file_path, debug, &mut callbacks).await;
    let outcome = req.record(outcome);
    callbacks.finish(req, &outcome);
    outcome.map(|(_, result)| result)
}

async fn exchange(
    req: &UrlRequest,
    request: Request,
    client: Client,
    tls: Option<TlsSettings>,
    file_path: Option<PathBuf>,
    debug: bool,
    callbacks: &mut Callbacks,
) -> Outcome {
    let client = match tls {
        Some(settings) => client.for_tls(&settings).await.map_err(|e| {
            // Reported as the TLS failure it leads to, as the std runtime
            // does when it builds its configuration at connect time.
            Error::Request(urlrequest_core::Error::Transport(TransportError::Tls(
                e.to_string(),
            )))
        })?,
        None => client,
    };
    let mut driver = client.driver(request).with_cancel(req.cancel_handle());
    let mut file = file_path.as_deref().map(FileTarget::new);
    let mut head_seen = false;
    while let Some(event) = driver.next_event().await {
        if debug {
            log::debug!("{} event: {}", req.url(), trace_line(&event));
        }
        match event {
            Event::Redirect { to, .. } => req.set_url(to),
            Event::Progress { received, total } => {
                if !head_seen {
                    head_seen = true;
                    if let Some((status, headers)) = driver.response_head() {
                        req.set_head(status, headers.clone());
                    }
                    if let Some(file) = &mut file {
                        file.open()?;
                    }
                }
                callbacks.progress(req, received, total);
            }
            Event::Body(chunk) => {
                if let Some(file) = &mut file {
                    file.write(&chunk)?;
                }
            }
            Event::Done(response) => {
                req.set_head(response.status(), response.headers().clone());
                req.set_url(response.url().clone());
                let result = match file {
                    Some(file) => ResultValue::File(file.commit()?),
                    None => ResultValue::from_response(&response),
                };
                return Ok((response.status(), result));
            }
            Event::Failure(error) => return Err(Error::Request(error)),
        }
    }
    // The driver always yields a terminal event; if it ever did not, the
    // request must still end.
    Err(Error::Request(urlrequest_core::Error::Cancelled))
}

/// Settles the request when the run ends; if it ends without an outcome
/// (the future was dropped), records a cancel first.
struct SettleOnDrop<'a>(&'a UrlRequest);

impl Drop for SettleOnDrop<'_> {
    fn drop(&mut self) {
        let req = self.0;
        if req.is_settled() {
            return;
        }
        if !req.is_finished() {
            req.cancel_handle().cancel();
            let _ = req.record(Err(Error::Request(urlrequest_core::Error::Cancelled)));
        }
        req.settle();
    }
}
