//! The chaos soak: many requests through a runtime, each sent through the
//! [`ChaosProxy`](crate::chaos::ChaosProxy) with a fault drawn from a seeded generator, and each
//! outcome checked against what its fault implies.
//!
//! A request whose response was relayed whole must end in `Done` with the
//! exact file (compared byte for byte); a broken one must end in a
//! `Failure` of the kind its fault implies, within the timeout plus one
//! second. Requests mix GET, POST, redirects and `file_path` downloads, on
//! clients with keep-alive pools. At the end the process must hold no more
//! descriptors or threads than before, and no download file may be left
//! half-written.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use urlrequest_core::Request;

mod frame;
mod report;
mod resources;

pub use report::SoakReport;
use resources::{open_fds, quiet, settled, thread_names, Resources};

use crate::chaos::{Fault, ProxyProcess, FAULT_HEADER};
use crate::servers::{Nginx, ServerError};

/// How big a soak is.
#[derive(Debug, Clone)]
pub struct SoakPlan {
    /// Requests per runtime.
    pub requests: usize,
    /// Seeds every choice of request kind, file and fault.
    pub seed: u64,
    /// Requests in flight at once (threads for std, tasks for smol, in
    /// flight on the ticking thread for frame).
    pub concurrency: usize,
    /// Each request's inactivity timeout (a stalled response fails after it).
    pub timeout: Duration,
}

/// The runtimes a soak can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoakRuntime {
    /// urlrequest-std: `Agent::send` and `UrlRequest` on threads.
    Std,
    /// urlrequest-smol: `Client::send` and `Client::download` as tasks on
    /// one executor thread.
    Smol,
    /// urlrequest-frame: `Client::start` transfers and `UrlRequest`
    /// downloads, ticked by the calling thread.
    Frame,
}

impl SoakRuntime {
    /// The runtime's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            SoakRuntime::Std => "urlrequest-std",
            SoakRuntime::Smol => "urlrequest-smol",
            SoakRuntime::Frame => "urlrequest-frame",
        }
    }
}

/// The files nginx serves for a soak, and their contents.
pub struct SoakFiles {
    files: Vec<(String, Vec<u8>)>,
}

/// Sizes of the served files: empty-ish to a few hundred KiB.
const FILE_SIZES: [usize; 6] = [1, 100, 1500, 20_000, 100_000, 250_000];

impl SoakFiles {
    /// Writes the soak's files under nginx's `/files/`.
    pub fn put(nginx: &Nginx, seed: u64) -> Result<SoakFiles, ServerError> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut files = Vec::new();
        for (i, size) in FILE_SIZES.into_iter().enumerate() {
            let name = format!("f{i}.bin");
            let content: Vec<u8> = (0..size).map(|_| rng.u8(..)).collect();
            nginx.put(&format!("files/{name}"), &content)?;
            files.push((name, content));
        }
        Ok(SoakFiles { files })
    }
}

/// What one request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Post,
    Redirect,
    Download,
}

/// One planned request.
#[derive(Debug, Clone)]
struct Planned {
    index: usize,
    kind: Kind,
    file: usize,
    fault: Fault,
}

fn planned(seed: u64, index: usize, files: usize) -> Planned {
    let mut rng =
        fastrand::Rng::with_seed(seed ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let kind = match rng.u32(0..100) {
        0..=44 => Kind::Get,
        45..=59 => Kind::Post,
        60..=74 => Kind::Redirect,
        _ => Kind::Download,
    };
    let fault = match rng.u32(0..100) {
        0..=39 => Fault::Pass,
        40..=47 => Fault::PassThenClose,
        48..=55 => Fault::Pieces,
        56..=63 => Fault::Delay,
        64..=71 => Fault::Reset,
        72..=79 => Fault::CloseMidHead,
        80..=88 => Fault::CloseMidBody,
        89..=97 => Fault::CloseMidChunk,
        _ => Fault::Stall,
    };
    // POSTs go through a pool of their own and never meet a connection the
    // proxy closed after a complete response: a POST is not retried on a
    // stale connection (it may not be repeated), so such a failure would
    // not be the one its own fault implies.
    let fault = if kind == Kind::Post && fault == Fault::PassThenClose {
        Fault::Pass
    } else {
        fault
    };
    Planned {
        index,
        kind,
        file: rng.usize(0..files),
        fault,
    }
}

/// How a request ended, as the runtime reported it.
enum Ended {
    /// Done: the status and the body (or the downloaded file's content).
    Done(u16, Vec<u8>),
    /// Failure: its kind and message.
    Failed(&'static str, String),
}

/// Shared state of a run: the tally and the resource high-water mark.
struct Tally {
    report: Mutex<SoakReport>,
    ended: AtomicUsize,
    peak_fds: AtomicUsize,
}

impl Tally {
    fn new(runtime: &'static str, requests: usize) -> Tally {
        Tally {
            report: Mutex::new(SoakReport {
                runtime,
                requests,
                ..SoakReport::default()
            }),
            ended: AtomicUsize::new(0),
            peak_fds: AtomicUsize::new(0),
        }
    }

    /// Counts the warm-up's wrong outcomes too: they are not hidden by
    /// happening before the figures were taken.
    fn absorb_problems(&self, warm: Tally) {
        let warm = warm.report.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut r = self.report.lock().unwrap_or_else(|e| e.into_inner());
        r.wrong_bodies += warm.wrong_bodies;
        r.wrong_outcomes += warm.wrong_outcomes;
        for e in warm.examples {
            if r.examples.len() < 10 {
                r.examples.push(format!("warm-up {e}"));
            }
        }
    }

    fn record(
        &self,
        files: &SoakFiles,
        p: &Planned,
        ended: Ended,
        took: Duration,
        bound: Duration,
    ) {
        let mut r = self.report.lock().unwrap_or_else(|e| e.into_inner());
        let implied = p.fault.implied_failures();
        let mut wrong = None;
        match ended {
            Ended::Done(status, body) if implied.is_empty() => {
                if status != 200 || body != files.files[p.file].1 {
                    r.wrong_bodies += 1;
                    wrong = Some(format!(
                        "status {status}, {} body bytes, not {} of {}",
                        body.len(),
                        files.files[p.file].1.len(),
                        files.files[p.file].0
                    ));
                } else {
                    r.done += 1;
                }
            }
            Ended::Done(status, body) => {
                wrong = Some(format!(
                    "Done {status} ({} bytes) despite the fault",
                    body.len()
                ));
            }
            Ended::Failed(kind, message) if implied.contains(&kind) => {
                *r.failures.entry(kind).or_default() += 1;
                if took > bound {
                    wrong = Some(format!("{kind} after {took:?}: {message}"));
                }
            }
            Ended::Failed(kind, message) => wrong = Some(format!("{kind}: {message}")),
        }
        if let Some(w) = wrong {
            r.wrong_outcomes += 1;
            if r.examples.len() < 10 {
                r.examples.push(format!(
                    "request #{} {:?} with {}: {w}",
                    p.index,
                    p.kind,
                    p.fault.name()
                ));
            }
        }
        drop(r);
        if self.ended.fetch_add(1, Ordering::SeqCst) & 63 == 0 {
            self.peak_fds.fetch_max(open_fds(), Ordering::SeqCst);
        }
    }

    fn wrong(&self, p: &Planned, what: String) {
        let mut r = self.report.lock().unwrap_or_else(|e| e.into_inner());
        r.wrong_outcomes += 1;
        if r.examples.len() < 10 {
            r.examples.push(format!(
                "request #{} {:?} with {}: {what}",
                p.index,
                p.kind,
                p.fault.name()
            ));
        }
    }
}

/// Runs `plan.requests` requests through `runtime` and the proxy.
pub fn run_soak(
    runtime: SoakRuntime,
    proxy: &ProxyProcess,
    files: &SoakFiles,
    plan: &SoakPlan,
    dir: &Path,
) -> SoakReport {
    fs::create_dir_all(dir).expect("download directory");
    let tally = Tally::new(runtime.name(), plan.requests);
    let ctx = Ctx {
        proxy,
        files,
        plan,
        dir,
        bound: plan.timeout + Duration::from_secs(1),
    };
    let started = Instant::now();
    let (before, after) = match runtime {
        SoakRuntime::Std => measured(
            &ctx,
            &tally,
            || (urlrequest_std::Agent::new(), urlrequest_std::Agent::new()),
            std_batch,
        ),
        SoakRuntime::Smol => measured(
            &ctx,
            &tally,
            || {
                (
                    urlrequest_smol::Client::new(),
                    urlrequest_smol::Client::new(),
                )
            },
            smol_batch,
        ),
        SoakRuntime::Frame => measured(
            &ctx,
            &tally,
            || {
                (
                    urlrequest_frame::Client::new(),
                    urlrequest_frame::Client::new(),
                )
            },
            frame::frame_batch,
        ),
    };
    let mut report = tally.report.into_inner().unwrap_or_else(|e| e.into_inner());
    report.elapsed = started.elapsed();
    report.lost = plan.requests - tally.ended.load(Ordering::SeqCst);
    report.fds = (
        before.fds,
        tally.peak_fds.load(Ordering::SeqCst).max(before.fds),
        after.fds,
    );
    report.threads = (before.threads, after.threads);
    report.rss_kib = (before.rss_kib, after.rss_kib);
    report.partial_files = fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    if after.threads > before.threads {
        report
            .examples
            .push(format!("threads left: {}", thread_names().join(", ")));
    }
    report
}

fn request_for(proxy: &ProxyProcess, files: &SoakFiles, p: &Planned, timeout: Duration) -> Request {
    let name = &files.files[p.file].0;
    let path = match p.kind {
        Kind::Redirect => format!("/redirect/{name}"),
        _ => format!("/files/{name}"),
    };
    let mut b = Request::builder(proxy.url(&path))
        .header(FAULT_HEADER, p.fault.name())
        .timeout(timeout);
    if p.kind == Kind::Post {
        b = b.method("POST").body(format!("request {}", p.index));
    }
    b.build().expect("soak request")
}

fn download_path(dir: &Path, p: &Planned) -> PathBuf {
    dir.join(format!("download-{}.bin", p.index))
}

/// A finished download: its content (and the file removed), or a failure
/// that must have left no file.
fn collect_download(path: &Path, status: Result<u16, (&'static str, String)>) -> Ended {
    match status {
        Ok(code) => {
            let content = fs::read(path).unwrap_or_default();
            let _ = fs::remove_file(path);
            Ended::Done(code, content)
        }
        Err((kind, message)) if path.exists() => Ended::Failed(
            kind,
            format!("{message} (and the file {} exists)", path.display()),
        ),
        Err((kind, message)) => Ended::Failed(kind, message),
    }
}

/// What every request of a run shares.
struct Ctx<'a> {
    proxy: &'a ProxyProcess,
    files: &'a SoakFiles,
    plan: &'a SoakPlan,
    dir: &'a Path,
    /// The latest a request may end: its timeout plus one second.
    bound: Duration,
}

/// Requests run (on clients of their own, dropped after) before the
/// "before" figures are taken, so that what a runtime sets up once (a
/// reactor thread, the allocator's arenas) is in them: what the main run
/// leaves on top of that is what it leaks.
fn warm_up_count(plan: &SoakPlan) -> usize {
    (plan.concurrency * 20).min(plan.requests)
}

/// Seeds the warm-up's choices apart from the main run's.
const WARM_UP_SEED: u64 = 0x5EED_0F0F_3A7E;

/// A warm-up on clients of its own, the figures before, the run on fresh
/// clients, the clients dropped, the figures after.
fn measured<C>(
    ctx: &Ctx,
    tally: &Tally,
    clients: impl Fn() -> C,
    batch: impl Fn(&Ctx, &C, u64, usize, &Tally),
) -> (Resources, Resources) {
    let warm = Tally::new("warm-up", 0);
    let warm_clients = clients();
    batch(
        ctx,
        &warm_clients,
        ctx.plan.seed ^ WARM_UP_SEED,
        warm_up_count(ctx.plan),
        &warm,
    );
    drop(warm_clients);
    tally.absorb_problems(warm);
    let before = quiet();
    let run_clients = clients();
    batch(ctx, &run_clients, ctx.plan.seed, ctx.plan.requests, tally);
    drop(run_clients);
    (before, settled(before))
}

/// The next request of a batch, until `count` were taken.
fn next_request(
    ctx: &Ctx,
    next: &AtomicUsize,
    seed: u64,
    count: usize,
) -> Option<(Planned, Request)> {
    let i = next.fetch_add(1, Ordering::SeqCst);
    (i < count).then(|| {
        let p = planned(seed, i, ctx.files.files.len());
        let req = request_for(ctx.proxy, ctx.files, &p, ctx.plan.timeout);
        (p, req)
    })
}

/// How `send` ended.
fn sent(result: Result<urlrequest_core::Response, urlrequest::Error>) -> Ended {
    match result {
        Ok(r) => Ended::Done(
            r.status().as_u16(),
            r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
        ),
        Err(e) => Ended::Failed(e.kind_name(), e.to_string()),
    }
}

fn std_batch(
    ctx: &Ctx,
    agents: &(urlrequest_std::Agent, urlrequest_std::Agent),
    seed: u64,
    count: usize,
    tally: &Tally,
) {
    use urlrequest_std::UrlRequest;
    let next = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..ctx.plan.concurrency {
            s.spawn(|| {
                while let Some((p, req)) = next_request(ctx, &next, seed, count) {
                    let start = Instant::now();
                    let ended = match p.kind {
                        Kind::Download => {
                            let path = download_path(ctx.dir, &p);
                            let calls = Arc::new(AtomicUsize::new(0));
                            let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
                            let built = UrlRequest::builder(req.url().as_str())
                                .header(FAULT_HEADER, p.fault.name())
                                .timeout(ctx.plan.timeout)
                                .file_path(&path)
                                .client(&agents.0)
                                .on_success(move |_, _| {
                                    c1.fetch_add(1, Ordering::SeqCst);
                                })
                                .on_error(move |_, _| {
                                    c2.fetch_add(1, Ordering::SeqCst);
                                })
                                .on_finish(move |_| {
                                    c3.fetch_add(100, Ordering::SeqCst);
                                })
                                .build();
                            let url_request = match built {
                                Ok(r) => r,
                                Err(e) => {
                                    tally.wrong(&p, format!("build: {e}"));
                                    continue;
                                }
                            };
                            if !url_request.wait(None) {
                                tally.wrong(&p, "wait returned before the end".into());
                                continue;
                            }
                            // One outcome callback and one on_finish, exactly.
                            let calls = calls.load(Ordering::SeqCst);
                            if calls != 101 {
                                tally.wrong(&p, format!("callbacks counted {calls}, not 101"));
                            }
                            let status = match url_request.error() {
                                None => Ok(url_request.resp_status().map_or(0, |s| s.as_u16())),
                                Some(e) => Err((e.kind_name(), e.to_string())),
                            };
                            collect_download(&path, status)
                        }
                        _ => {
                            let agent = if p.kind == Kind::Post {
                                &agents.1
                            } else {
                                &agents.0
                            };
                            sent(agent.send(req))
                        }
                    };
                    tally.record(ctx.files, &p, ended, start.elapsed(), ctx.bound);
                }
            });
        }
    });
}

fn smol_batch(
    ctx: &Ctx,
    clients: &(urlrequest_smol::Client, urlrequest_smol::Client),
    seed: u64,
    count: usize,
    tally: &Tally,
) {
    let next = AtomicUsize::new(0);
    let executor = smol::LocalExecutor::new();
    let next = &next;
    let tasks: Vec<_> = (0..ctx.plan.concurrency)
        .map(|_| {
            executor.spawn(async move {
                while let Some((p, req)) = next_request(ctx, next, seed, count) {
                    let start = Instant::now();
                    let ended = match p.kind {
                        Kind::Download => {
                            let path = download_path(ctx.dir, &p);
                            let status = match clients.0.download(req, &path).await {
                                Ok(r) => Ok(r.status().as_u16()),
                                Err(e) => Err((e.kind_name(), e.to_string())),
                            };
                            collect_download(&path, status)
                        }
                        _ => {
                            let client = if p.kind == Kind::Post {
                                &clients.1
                            } else {
                                &clients.0
                            };
                            sent(client.send(req).await)
                        }
                    };
                    tally.record(ctx.files, &p, ended, start.elapsed(), ctx.bound);
                }
            })
        })
        .collect();
    smol::block_on(executor.run(async {
        for t in tasks {
            t.await;
        }
    }));
}
