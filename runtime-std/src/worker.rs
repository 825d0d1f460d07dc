//! The body of a [`UrlRequest`]'s worker thread: drive the exchange, keep
//! the properties current, stream `file_path` downloads, queue callbacks.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use urlrequest::{FileSink, ResultValue};
use urlrequest_core::{Event, Exchange, Request, Response};

use crate::agent::{Agent, DriveOptions};
use crate::callbacks::Item;
use crate::error::Error;
use crate::url_request::UrlRequest;

/// Everything the worker needs, prepared by the builder.
pub(crate) struct Launch {
    pub(crate) request: Request,
    pub(crate) agent: Agent,
    pub(crate) options: DriveOptions,
    pub(crate) file_path: Option<PathBuf>,
    pub(crate) debug: bool,
}

pub(crate) fn run(req: UrlRequest, launch: Launch) {
    let Launch {
        request,
        agent,
        options,
        file_path,
        debug,
    } = launch;
    let options = options.cancel_handle(req.shared().cancel.clone());
    let mut ex = Exchange::new(request, Instant::now());
    let mut sink: Option<FileSink> = None;
    let mut file_error: Option<Error> = None;
    let mut outcome: Option<Result<Response, Error>> = None;
    let mut head_seen = false;
    let file_failed = |path: &PathBuf, e: std::io::Error| Error::File {
        path: path.clone(),
        source: Arc::new(e),
    };

    agent.drive(&mut ex, &options, |event, ex| {
        match event {
            Event::Redirect {
                status, from, to, ..
            } => {
                if debug {
                    log::debug!("redirect {status} {from} -> {to}");
                }
                req.set_url(to);
            }
            Event::Progress { received, total } => {
                if !head_seen {
                    head_seen = true;
                    if let Some((status, headers)) = ex.response_head() {
                        req.set_head(status, headers.clone());
                    }
                    if let Some(path) = &file_path {
                        match FileSink::create(path) {
                            Ok(s) => sink = Some(s),
                            Err(e) => {
                                file_error = Some(file_failed(path, e));
                                return ControlFlow::Break(());
                            }
                        }
                    }
                }
                if req.shared().wants_progress {
                    req.push_progress(received, total);
                }
            }
            Event::Body(bytes) => {
                if let (Some(s), Some(path)) = (&mut sink, &file_path) {
                    if let Err(e) = s.write(&bytes) {
                        file_error = Some(file_failed(path, e));
                        return ControlFlow::Break(());
                    }
                }
            }
            Event::Done(response) => outcome = Some(Ok(response)),
            Event::Failure(error) => outcome = Some(Err(Error::Request(error))),
        }
        ControlFlow::Continue(())
    });

    if let Some(error) = file_error {
        drop(sink); // removes the temporary file
        req.finish(None, Item::Failed(error));
        return;
    }
    match outcome {
        Some(Ok(response)) => {
            let head = Some((response.status(), response.headers().clone()));
            let result = match (sink, &file_path) {
                (Some(s), Some(path)) => match s.commit() {
                    Ok(p) => ResultValue::File(p),
                    Err(e) => {
                        req.finish(head, Item::Failed(file_failed(path, e)));
                        return;
                    }
                },
                _ => ResultValue::from_response(&response),
            };
            req.set_url(response.url().clone());
            let status = response.status();
            req.finish(head, Item::Done { status, result });
        }
        Some(Err(error)) => {
            drop(sink);
            req.finish(None, Item::Failed(error));
        }
        None => {
            // The driver always yields a terminal event; if it ever does
            // not, the request still must end.
            drop(sink);
            let error = Error::Request(urlrequest_core::Error::Cancelled);
            req.finish(None, Item::Failed(error));
        }
    }
}
