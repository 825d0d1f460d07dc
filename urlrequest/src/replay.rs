//! Record and replay for application tests: a [`Recording`] collects the
//! transcript of every request a client runs (set it on the client: the
//! std runtime's `Agent::builder().record(..)`, smol's
//! `Client::builder().record(..)`), saved as one file of JSON lines; the
//! [`Replay`] runtime then runs `UrlRequest`s from it, in order, with no
//! network, no clock and no thread: the same callbacks with the same
//! arguments and properties as the recorded run.
//!
//! Application code that builds its requests generically (over
//! `R: BlockingRuntime`) is tested deterministically that way; see the
//! README's "Replay in tests".

use std::collections::VecDeque;
use std::io;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use urlrequest_core::http::{HeaderMap, StatusCode};
use urlrequest_core::{Event, Exchange, Request, Transcript, TranscriptError, TransportError};

use crate::error::Error;
use crate::runtime::{AsyncRuntime, BlockingRuntime, EventSource, Job, Runtime};
use crate::url_request::{Dispatch, UrlRequest};

/// The transcripts of a session's requests, in the order they ended.
/// Cloning gives another handle to the same recording.
///
/// ```
/// let recording = urlrequest::Recording::new();
/// assert!(recording.is_empty());
/// let again = urlrequest::Recording::parse(&recording.to_json_lines())?;
/// assert!(again.is_empty());
/// # Ok::<(), urlrequest_core::TranscriptError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Recording {
    transcripts: Arc<Mutex<VecDeque<Transcript>>>,
}

impl Recording {
    /// An empty recording.
    pub fn new() -> Recording {
        Recording::default()
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Transcript>> {
        self.transcripts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds one request's transcript (the runtimes call this when a
    /// recorded request ends).
    pub fn push(&self, transcript: Transcript) {
        self.lock().push_back(transcript);
    }

    /// How many transcripts it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The transcripts, in order.
    pub fn transcripts(&self) -> Vec<Transcript> {
        self.lock().iter().cloned().collect()
    }

    /// Every transcript as JSON lines, one after the other (the format is
    /// documented on [`Transcript`]).
    pub fn to_json_lines(&self) -> String {
        self.lock().iter().map(Transcript::to_json_lines).collect()
    }

    /// Reads a recording written by [`to_json_lines`](Self::to_json_lines).
    pub fn parse(text: &str) -> Result<Recording, TranscriptError> {
        let transcripts = Transcript::parse_all(text)?;
        Ok(Recording {
            transcripts: Arc::new(Mutex::new(transcripts.into())),
        })
    }

    /// Writes the recording to a file.
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.to_json_lines())
    }

    /// Reads a recording from a file.
    pub fn load(path: impl AsRef<Path>) -> io::Result<Recording> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)?;
        Recording::parse(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })
    }

    /// The first unused transcript of the same method and URL as
    /// `request` (requests that ran side by side ended in any order), or
    /// the method and URL of the next unused one.
    fn take_for(&self, request: &Request) -> Result<Transcript, Option<String>> {
        let mut all = self.lock();
        let same = |t: &Transcript| {
            t.request.method() == request.method() && t.request.url() == request.url()
        };
        match all.iter().position(same) {
            Some(i) => Ok(all.remove(i).expect("found above")),
            None => Err(all
                .front()
                .map(|t| format!("{} {}", t.request.method(), t.request.url()))),
        }
    }
}

/// The runtime that runs `UrlRequest`s from a [`Recording`]: each request
/// takes the first unused transcript for its method and URL (requests that
/// ran side by side may have ended in any order) and replays it through
/// the core. No network, no clock, no thread: the
/// request runs inside `build()`, and its callbacks wait, as with threads,
/// for `wait`, `dispatch_pending` or `dispatch_all` on this thread.
///
/// ```
/// use urlrequest::{Recording, UrlRequest, Replay};
/// // Nothing recorded: the request fails, saying so.
/// let req = UrlRequest::<Replay>::builder("http://example.com/")
///     .client(&Recording::new())
///     .build()?;
/// assert!(req.wait(None));
/// assert!(req.error().unwrap().to_string().contains("holds no more requests"));
/// # Ok::<(), urlrequest::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Replay;

impl Runtime for Replay {
    type Client = Recording;
    // Every callback as it comes, inside build(), on this thread: the run
    // is no faster or slower than its callbacks, and nothing is merged.
    const DEFAULT_DISPATCH: Dispatch = Dispatch::Worker;
    const DISPATCHING_THREAD: bool = true;

    fn default_client() -> Recording {
        Recording::new()
    }

    fn on_build(request: &UrlRequest<Self>, autostart: bool) {
        if autostart {
            request.start();
        }
    }
}

impl BlockingRuntime for Replay {
    fn drive(job: Job<Self>, sink: &mut dyn FnMut(Event, &Exchange) -> ControlFlow<()>) {
        let now = Instant::now();
        let wanted = format!("{} {}", job.request.method(), job.request.url());
        let mismatch = match job.client.take_for(&job.request) {
            Ok(t) => return t.replay_with(now, sink),
            Err(Some(next)) => {
                format!("replay: the recording's next request is {next}, not {wanted}")
            }
            Err(None) => {
                format!("replay: the recording holds no more requests (wanted {wanted})")
            }
        };
        // Reported through the core, like any failure of a live run.
        let mut ex = Exchange::new(job.request, now);
        ex.handle_transport_error(now, TransportError::Io(mismatch));
        while let Some(event) = ex.poll_event() {
            if sink(event, &ex).is_break() {
                break;
            }
        }
    }

    fn spawn(work: Box<dyn FnOnce() + Send>) -> io::Result<()> {
        // No thread: the request runs here, now.
        work();
        Ok(())
    }
}

impl AsyncRuntime for Replay {
    type Events = ReplayEvents;

    async fn events(job: Job<Self>) -> Result<ReplayEvents, Error> {
        let mut events = VecDeque::new();
        Replay::drive(job, &mut |event, ex| {
            let head = ex.response_head().map(|(s, h)| (s, h.clone()));
            events.push_back((event, head));
            ControlFlow::Continue(())
        });
        Ok(ReplayEvents { events, head: None })
    }
}

/// A replayed request's events, for async code (see [`Replay`]).
pub struct ReplayEvents {
    events: VecDeque<(Event, Option<(StatusCode, HeaderMap)>)>,
    head: Option<(StatusCode, HeaderMap)>,
}

impl EventSource for ReplayEvents {
    async fn next_event(&mut self) -> Option<Event> {
        let (event, head) = self.events.pop_front()?;
        self.head = head;
        Some(event)
    }

    fn response_head(&self) -> Option<(StatusCode, &HeaderMap)> {
        self.head.as_ref().map(|(s, h)| (*s, h))
    }
}
