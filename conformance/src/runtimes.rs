//! The shipped runtimes as conformance drivers: runtime-std, runtime-smol,
//! runtime-tokio (on both of tokio's schedulers) and runtime-frame over
//! loopback (each trusting the test CA, so TLS cases run too), and
//! transcript replay of every live runtime-std run.

use std::ops::ControlFlow;
use std::time::Instant;

use urlrequest_core::{trace_line, Event, Exchange, Request, Transcript};
use urlrequest_smol::Client;
use urlrequest_std::{Agent, DriveOptions, TlsSettings};

use crate::case::Case;
use crate::diff::diff_lines;
use crate::driver::{run_over_loopback, Driver};
use crate::pki::TestCa;

/// runtime-std's blocking driver (`Agent::drive`) over loopback, with a
/// fresh agent per case so that keep-alive cases do not inherit a
/// connection from another case.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdDriver;

/// runtime-smol's event stream (`Client::events`) over loopback, with a
/// fresh client per case.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolDriver;

/// runtime-tokio's event stream (`Client::events`) over loopback, with a
/// fresh client per case, on a current-thread or a multi-thread tokio
/// runtime.
#[derive(Debug, Clone, Copy)]
pub struct TokioDriver {
    multi_thread: bool,
}

impl TokioDriver {
    /// On tokio's current-thread scheduler.
    pub const CURRENT_THREAD: TokioDriver = TokioDriver {
        multi_thread: false,
    };
    /// On tokio's multi-thread scheduler (two workers): the request's task
    /// may move between threads at every await.
    pub const MULTI_THREAD: TokioDriver = TokioDriver { multi_thread: true };

    /// A tokio runtime of this driver's flavour, with I/O and time.
    pub fn runtime(self) -> std::io::Result<tokio::runtime::Runtime> {
        let mut builder = if self.multi_thread {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        builder.enable_all().build()
    }
}
/// runtime-frame's plain API (`Client::start`, a [`Transfer`] of events)
/// over loopback, ticked by this thread alone with `Client::wait` between
/// ticks, with a fresh client per case.
///
/// [`Transfer`]: urlrequest_frame::Transfer
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameDriver;

/// Each case runs live through runtime-std with [`Exchange::recording`];
/// the transcript goes through its JSON-lines form and back
/// ([`Transcript::to_json_lines`], [`Transcript::parse`]) and is replayed
/// with no network and no clock. The replayed trace is the result, and it
/// must equal the live one (otherwise the case is an error).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplayDriver;

fn std_agent() -> Agent {
    Agent::builder()
        .tls(TlsSettings::default().ca_file(TestCa::trusted().pem_file()))
        .build()
        .expect("client settings")
}

/// Runs `ex` to the end with runtime-std, collecting its events (a
/// streamed body comes from the current case's source).
fn drive_std(ex: &mut Exchange) -> Vec<Event> {
    let mut events = Vec::new();
    let mut upload = blocking_upload();
    std_agent().drive_upload(ex, &DriveOptions::new(), upload.as_mut(), |event, _| {
        events.push(event);
        ControlFlow::Continue(())
    });
    events
}

/// The current case's streamed body for the blocking runtimes.
fn blocking_upload() -> Option<urlrequest::Upload> {
    let u = crate::upload::current_upload()?;
    Some(if u.stream.replayable {
        urlrequest::Upload::from_seekable(u.reader(), u.stream.length).expect("a pattern seeks")
    } else {
        urlrequest::Upload::from_reader(u.reader(), u.stream.length)
    })
}

/// The current case's streamed body for the async runtimes.
fn async_upload() -> Option<urlrequest_smol::AsyncUpload> {
    let u = crate::upload::current_upload()?;
    Some(urlrequest_smol::AsyncUpload::new(
        crate::upload::PatternSource(u.reader()),
        u.stream,
    ))
}

fn fetch_std(request: Request) -> Result<Vec<Event>, String> {
    let mut ex = Exchange::new(request, Instant::now());
    Ok(drive_std(&mut ex))
}

fn fetch_smol(request: Request) -> Result<Vec<Event>, String> {
    use smol::stream::StreamExt;
    let client = Client::builder()
        .ca_file(TestCa::trusted().pem_file())
        .build()
        .map_err(|e| format!("smol client: {e}"))?;
    Ok(smol::block_on(match async_upload() {
        Some(upload) => client.events_with_upload(request, upload).collect(),
        None => client.events_collecting(request).collect(),
    }))
}

fn fetch_tokio(driver: TokioDriver, request: Request) -> Result<Vec<Event>, String> {
    use smol::stream::StreamExt;
    let client = urlrequest_tokio::Client::builder()
        .ca_file(TestCa::trusted().pem_file())
        .build()
        .map_err(|e| format!("tokio client: {e}"))?;
    let runtime = driver
        .runtime()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    // Spawned, so that on the multi-thread scheduler the request runs on
    // its workers rather than on this thread.
    let upload = async_upload();
    let events = runtime.spawn(async move {
        match upload {
            Some(upload) => client.events_with_upload(request, upload).collect().await,
            None => client.events_collecting(request).collect().await,
        }
    });
    runtime
        .block_on(events)
        .map_err(|e| format!("tokio task: {e}"))
}

fn fetch_frame(request: Request) -> Result<Vec<Event>, String> {
    let client = urlrequest_frame::Client::builder()
        .ca_file(TestCa::trusted().pem_file())
        .build()
        .expect("client settings");
    let transfer = match blocking_upload() {
        Some(upload) => client.start_streamed(request, upload),
        None => client.start(request),
    };
    let mut events = Vec::new();
    loop {
        client.tick(Instant::now());
        events.extend(std::iter::from_fn(|| transfer.poll_event()));
        if transfer.is_finished() {
            return Ok(events);
        }
        client.wait(None);
    }
}

fn fetch_replayed(request: Request) -> Result<Vec<Event>, String> {
    let mut ex = Exchange::recording(request, Instant::now());
    let live = drive_std(&mut ex);
    let transcript = ex
        .transcript()
        .ok_or("a recording exchange returned no transcript")?;
    let text = transcript.to_json_lines();
    let parsed = Transcript::parse(&text).map_err(|e| format!("{e}\n{text}"))?;
    let replayed = parsed.replay(Instant::now());
    let lines = |events: &[Event]| events.iter().map(trace_line).collect::<Vec<_>>();
    let (live_lines, replay_lines) = (lines(&live), lines(&replayed));
    // A rejected certificate's message holds the current time: compare
    // what the suite compares.
    let normal = |v: &[String]| {
        v.iter()
            .map(|l| crate::normalize_line(l))
            .collect::<Vec<_>>()
    };
    if normal(&live_lines) != normal(&replay_lines) {
        return Err(format!(
            "the replay differs from the live run (- live, + replay):\n{}",
            diff_lines(&live_lines, &replay_lines)
        ));
    }
    Ok(replayed)
}

impl Driver for StdDriver {
    fn name(&self) -> &str {
        "runtime-std"
    }
    fn run(&self, case: &Case) -> Result<Vec<String>, String> {
        run_over_loopback(case, fetch_std)
    }
    fn skip(&self, _case: &Case) -> Option<String> {
        None
    }
}

impl Driver for SmolDriver {
    fn name(&self) -> &str {
        "runtime-smol"
    }
    fn run(&self, case: &Case) -> Result<Vec<String>, String> {
        run_over_loopback(case, fetch_smol)
    }
    fn skip(&self, _case: &Case) -> Option<String> {
        None
    }
}

impl Driver for TokioDriver {
    fn name(&self) -> &str {
        if self.multi_thread {
            "runtime-tokio, multi-thread"
        } else {
            "runtime-tokio"
        }
    }
    fn run(&self, case: &Case) -> Result<Vec<String>, String> {
        let driver = *self;
        run_over_loopback(case, move |request| fetch_tokio(driver, request))
    }
    fn skip(&self, _case: &Case) -> Option<String> {
        None
    }
}

impl Driver for FrameDriver {
    fn name(&self) -> &str {
        "runtime-frame"
    }
    fn run(&self, case: &Case) -> Result<Vec<String>, String> {
        run_over_loopback(case, fetch_frame)
    }
    fn skip(&self, _case: &Case) -> Option<String> {
        None
    }
}

impl Driver for ReplayDriver {
    fn name(&self) -> &str {
        "replay"
    }
    fn run(&self, case: &Case) -> Result<Vec<String>, String> {
        run_over_loopback(case, fetch_replayed)
    }
    fn skip(&self, _case: &Case) -> Option<String> {
        None
    }
}
