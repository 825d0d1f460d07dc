//! Record and replay for application tests: a [`Recording`] collects the
//! transcript of every request a client runs (set it on the client: the
//! std runtime's `Agent::builder().record(..)`, smol's
//! `Client::builder().record(..)`), saved as one file of JSON lines; the
//! [`Replay`] runtime then runs `UrlRequest`s from it, and
//! [`Recording::send`] answers bare [`Request`]s from it, with no network,
//! no clock and no thread: the same callbacks with the same arguments and
//! properties, the same responses, as the recorded run.
//!
//! A request gets the first unused transcript of the same method, URL,
//! body and named headers ([`Recording::match_headers`]); a recording made
//! at one address answers for another with [`Recording::rebase`]. A
//! request that none answers fails, naming the nearest recorded ones and
//! what differs. Application code that builds its requests generically
//! (over `R: BlockingRuntime`) is tested deterministically that way; see
//! the README's "Replay in tests".

use std::collections::VecDeque;
use std::io;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use urlrequest_core::http::{HeaderMap, HeaderName, StatusCode};
use urlrequest_core::{
    BuildError, Event, Exchange, Request, Response, Transcript, TranscriptError, TransportError,
};

use crate::error::Error;
use crate::replay_match::MatchRules;
use crate::replay_rebase::{rebase_event, Rebase};
use crate::runtime::{AsyncRuntime, BlockingRuntime, EventSource, Job, Runtime};
use crate::url_request::{Dispatch, UrlRequest};

/// The transcripts of a session's requests, in the order they ended, and
/// the rules that say which one answers a replayed request. Cloning gives
/// another handle to the same recording (and the same rules).
///
/// A replayed request (by the [`Replay`] runtime or [`send`](Self::send))
/// takes the first unused transcript whose request has the same method,
/// the same URL (after [`rebase`](Self::rebase)), the same body (an
/// in-memory body byte for byte; a streamed one by its declared length,
/// as its bytes come later) and the same values of the headers named by
/// [`match_headers`](Self::match_headers). Requests that ran side by side
/// may have ended in any order, so the first *matching* one is taken, not
/// the first one.
///
/// ```
/// let recording = urlrequest::Recording::new();
/// assert!(recording.is_empty());
/// let again = urlrequest::Recording::parse(&recording.to_json_lines())?
///     .match_headers(["authorization"])?
///     .rebase("http://127.0.0.1:40123", "https://api.example.com")?;
/// assert!(again.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Recording {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    transcripts: VecDeque<Transcript>,
    rules: MatchRules,
}

impl Recording {
    /// An empty recording.
    pub fn new() -> Recording {
        Recording::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds one request's transcript (the runtimes call this when a
    /// recorded request ends).
    pub fn push(&self, transcript: Transcript) {
        self.lock().transcripts.push_back(transcript);
    }

    /// How many transcripts it holds (replayed ones are used up).
    pub fn len(&self) -> usize {
        self.lock().transcripts.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.lock().transcripts.is_empty()
    }

    /// The transcripts, in order.
    pub fn transcripts(&self) -> Vec<Transcript> {
        self.lock().transcripts.iter().cloned().collect()
    }

    /// Every transcript as JSON lines, one after the other (the format is
    /// documented on [`Transcript`]).
    pub fn to_json_lines(&self) -> String {
        self.lock()
            .transcripts
            .iter()
            .map(Transcript::to_json_lines)
            .collect()
    }

    /// Reads a recording written by [`to_json_lines`](Self::to_json_lines).
    pub fn parse(text: &str) -> Result<Recording, TranscriptError> {
        let transcripts = Transcript::parse_all(text)?;
        Ok(Recording {
            state: Arc::new(Mutex::new(State {
                transcripts: transcripts.into(),
                rules: MatchRules::default(),
            })),
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

    /// Replayed requests must also have the same values (all of them, in
    /// order; absent on both sides is the same) of these headers as the
    /// recorded ones, e.g. `["authorization"]` so a request with the wrong
    /// credentials does not get the recorded answer. Names are
    /// case-insensitive; each call adds to the list. A mismatch names the
    /// header, never its values.
    ///
    /// The rule is the recording's: every handle to it sees it. Returns
    /// the handle, for chaining; a name that is not a valid header name
    /// is an error.
    pub fn match_headers<I, S>(self, names: I) -> Result<Recording, BuildError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut parsed = Vec::new();
        for name in names {
            let name = name.as_ref();
            parsed.push(HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                BuildError::InvalidHeaderName {
                    name: name.to_string(),
                }
            })?);
        }
        {
            let mut state = self.lock();
            for name in parsed {
                if !state.rules.headers.contains(&name) {
                    state.rules.headers.push(name);
                }
            }
        }
        Ok(self)
    }

    /// Lets what was recorded under the base URL `recorded` answer the
    /// same paths and queries under `live`: with
    /// `rebase("http://127.0.0.1:40123", "https://api.example.com")`, a
    /// recording made against a test server on port 40123 answers
    /// `https://api.example.com/users/7?x=1` with what
    /// `http://127.0.0.1:40123/users/7?x=1` got. A base is a scheme, host,
    /// port (the scheme's default when absent) and an optional path
    /// prefix (`http://h/v1` covers `/v1` and `/v1/...`, not `/v10`).
    ///
    /// The replayed events name the live URL (the response's final URL,
    /// redirects), so code under test sees the address it asked for; the
    /// recorded bytes, and a `Location` header in them, stay as recorded.
    /// Each call adds one base; the first that covers a recorded URL
    /// applies. The rule is the recording's: every handle sees it.
    /// Returns the handle, for chaining; a base that is not a URL with a
    /// host is an error.
    pub fn rebase(
        self,
        recorded: impl AsRef<str>,
        live: impl AsRef<str>,
    ) -> Result<Recording, BuildError> {
        let rebase = Rebase::new(recorded.as_ref(), live.as_ref())?;
        self.lock().rules.rebases.push(rebase);
        Ok(self)
    }

    /// Answers `request` from the recording, with no network: takes the
    /// transcript that matches it (see [`Recording`]), replays it through
    /// the core and returns its response, as a live client's `send` does.
    /// A request that no unused transcript matches is an
    /// [`Error::Request`] whose message shows the request and the nearest
    /// recorded ones, saying what differs; the failure a recorded run
    /// ended with is returned as it was.
    ///
    /// Code written over "something that sends a `Request`" takes a live
    /// client in production and a `Recording` in its tests.
    ///
    /// ```
    /// use urlrequest::Recording;
    /// use urlrequest_core::Request;
    ///
    /// let recording = Recording::new(); // e.g. Recording::load("tests/api.jsonl")?
    /// let err = recording.send(Request::get("http://example.com/users/7")?).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "connection failed: replay: GET http://example.com/users/7 has no answer: \
    ///      the recording holds no more requests"
    /// );
    /// # Ok::<(), urlrequest::Error>(())
    /// ```
    pub fn send(&self, request: Request) -> Result<Response, Error> {
        let mut outcome = None;
        self.replay(request, &mut |event, _| {
            match event {
                Event::Done(response) => outcome = Some(Ok(response)),
                Event::Failure(e) => outcome = Some(Err(Error::Request(e))),
                _ => {}
            }
            ControlFlow::Continue(())
        });
        outcome.unwrap_or_else(|| {
            Err(Error::Request(urlrequest_core::Error::Transport(
                TransportError::Io(
                    "replay: the recorded exchange ends before its response or failure \
                     (a truncated transcript)"
                        .into(),
                ),
            )))
        })
    }

    /// [`send`](Self::send) for async code: the same replay, with nothing
    /// to wait for (it is ready at the first poll).
    pub async fn send_async(&self, request: Request) -> Result<Response, Error> {
        self.send(request)
    }

    /// Replays the transcript that answers `request`, handing its events
    /// (URLs rebased) to `sink`; when none answers, reports why through
    /// the core, as a `Failure`, like any failure of a live run.
    fn replay(&self, request: Request, sink: &mut dyn FnMut(Event, &Exchange) -> ControlFlow<()>) {
        let now = Instant::now();
        let found = {
            let mut state = self.lock();
            let State { transcripts, rules } = &mut *state;
            rules.find(&request, transcripts.iter()).map(|i| {
                let transcript = transcripts.remove(i).expect("found above");
                (transcript, rules.rebases.clone())
            })
        };
        let mismatch = match found {
            Ok((transcript, rebases)) => {
                return transcript.replay_with(now, &mut |mut event, ex| {
                    rebase_event(&rebases, &mut event);
                    sink(event, ex)
                });
            }
            Err(message) => message,
        };
        let mut ex = Exchange::new(request, now);
        ex.handle_transport_error(now, TransportError::Io(mismatch));
        while let Some(event) = ex.poll_event() {
            if sink(event, &ex).is_break() {
                break;
            }
        }
    }
}

/// The runtime that runs `UrlRequest`s from a [`Recording`]: each request
/// takes the first unused transcript that matches it (method, URL, body,
/// named headers: see [`Recording`]) and replays it through the core. No
/// network, no clock, no thread: the request runs inside `build()`, and
/// its callbacks wait, as with threads, for `wait`, `dispatch_pending` or
/// `dispatch_all` on this thread.
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
        job.client.replay(job.request, sink);
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
