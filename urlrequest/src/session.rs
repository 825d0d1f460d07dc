//! The Kivy layer's own sans-IO step: one request's state fed with the
//! core's events. It follows the URL and the final response head (which
//! the properties show when the callbacks reporting them are dispatched),
//! writes the `file_path` sink, and says which callback is due, the
//! outcome carrying the last progress update for Kivy's repeat. Every
//! runtime feeds it the same way, so the callbacks a request makes are a
//! function of its events.

use std::path::PathBuf;

use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::{trace_line, Event};

use crate::callbacks::Outcome;
use crate::error::Error;
use crate::file_sink::FileSink;
use crate::outcome::ResultValue;
use crate::url_request::Properties;

/// A callback that is due.
#[derive(Debug)]
pub(crate) enum Call {
    /// `on_progress`.
    Progress { received: u64, total: Option<u64> },
    /// The outcome: routed to one of `on_success`, `on_redirect`,
    /// `on_failure`, `on_error`, `on_cancel`, then `on_finish`.
    /// `repeat` is the last progress update, to be reported once more
    /// right before the outcome (Kivy's final update after the body; see
    /// `UrlRequestBuilder::repeat_final_progress`).
    Finish {
        outcome: Outcome,
        repeat: Option<(u64, Option<u64>)>,
    },
}

impl Call {
    /// The outcome call, with no progress update repeated.
    pub(crate) fn finish(outcome: Outcome) -> Call {
        Call::Finish {
            outcome,
            repeat: None,
        }
    }
}

/// One request's Kivy-side state while it runs.
pub(crate) struct Session {
    file_path: Option<PathBuf>,
    sink: Option<FileSink>,
    head_seen: bool,
    debug: bool,
    /// Hand the final response to the properties (see `Launch`).
    keep_response: bool,
    /// Report the last progress update again before a completed
    /// response's outcome.
    repeat_final_progress: bool,
    /// The last progress update reported.
    last_progress: Option<(u64, Option<u64>)>,
}

impl Session {
    pub(crate) fn new(
        file_path: Option<PathBuf>,
        debug: bool,
        keep_response: bool,
        repeat_final_progress: bool,
    ) -> Session {
        Session {
            file_path,
            sink: None,
            head_seen: false,
            debug,
            keep_response,
            repeat_final_progress,
            last_progress: None,
        }
    }

    /// Feeds one event; `head` is the exchange's response head when known.
    /// Returns the callback due, if any. After a `Finish` the request is
    /// over (a failing file ends it before the exchange does: the runtime
    /// then stops driving it).
    pub(crate) fn handle(
        &mut self,
        event: Event,
        head: Option<(StatusCode, &HeaderMap)>,
        props: &Properties,
    ) -> Option<Call> {
        if self.debug {
            log::debug!("{} event: {}", props.url(), trace_line(&event));
        }
        match event {
            Event::Redirect { to, .. } => {
                props.set_url(to);
                None
            }
            Event::Progress { received, total } => {
                if !self.head_seen {
                    self.head_seen = true;
                    if let Some((status, headers)) = head {
                        props.set_head(status, headers.clone());
                    }
                    if let Some(path) = &self.file_path {
                        match FileSink::create(path) {
                            Ok(sink) => self.sink = Some(sink),
                            Err(e) => return Some(self.file_failed(e)),
                        }
                    }
                }
                self.last_progress = Some((received, total));
                Some(Call::Progress { received, total })
            }
            Event::Body(bytes) => {
                let written = match &mut self.sink {
                    Some(sink) => sink.write(&bytes),
                    None => Ok(()),
                };
                written.err().map(|e| self.file_failed(e))
            }
            Event::Done(response) => {
                props.set_head(response.status(), response.headers().clone());
                props.set_url(response.url().clone());
                let result = match self.sink.take() {
                    Some(sink) => match sink.commit() {
                        Ok(path) => ResultValue::File(path),
                        Err(e) => return Some(self.file_failed(e)),
                    },
                    None => ResultValue::from_response(&response),
                };
                let status = response.status();
                if self.keep_response {
                    props.set_response(response);
                }
                let repeat = self.last_progress.filter(|_| self.repeat_final_progress);
                Some(Call::Finish {
                    outcome: Ok((status, result)),
                    repeat,
                })
            }
            Event::Failure(error) => {
                // Dropping the sink removes the temporary file.
                self.sink = None;
                Some(Call::finish(Err(Error::Request(error))))
            }
        }
    }

    /// The events ran out with no terminal one: the request still ends.
    pub(crate) fn ended_without_outcome(&mut self) -> Call {
        self.sink = None;
        Call::finish(Err(Error::Request(urlrequest_core::Error::Cancelled)))
    }

    fn file_failed(&mut self, e: std::io::Error) -> Call {
        self.sink = None;
        let path = self.file_path.clone().unwrap_or_default();
        Call::finish(Err(Error::file(path, e)))
    }
}
