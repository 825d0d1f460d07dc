//! Cases B and C: many small keep-alive GETs (100-byte body), one after the
//! other on one connection, then from 64 concurrent clients (threads for
//! the blocking clients, tasks for the async ones; urlrequest-tokio and
//! reqwest on the same tokio runtime flavour).

use std::io::Read;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use urlrequest_std::core::Request;

use super::report::{load_cell, ratio_cell, spread_cell, Table, Target};
use super::server::SMALL;
use super::stats::{load_average, per_s, process_cpu, timed, Sample};
use super::Config;

/// Concurrent clients in case C.
pub const CLIENTS: usize = 64;

/// The clients of cases B and C, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// ureq 3 with one agent (threads in case C).
    Ureq,
    /// urlrequest-std with one agent (threads in case C).
    Std,
    /// urlrequest-smol with one client (in case C, tasks on one executor
    /// thread: `smol::block_on(executor.run(..))`, the plain smol program).
    Smol,
    /// Case C only: the same tasks on one executor thread per CPU.
    SmolPerCpu,
    /// urlrequest-tokio with one client, on a current-thread runtime (in
    /// case C, tasks spawned on it).
    Tokio,
    /// Case C only: the same tasks on the multi-thread runtime (a worker
    /// per CPU, tokio's default).
    TokioMulti,
    /// reqwest 0.12 with one client, as `Tokio`.
    Reqwest,
    /// Case C only: reqwest's tasks on the multi-thread runtime.
    ReqwestMulti,
}

impl Client {
    /// Every client, in report order.
    pub const ALL: [Client; 8] = [
        Client::Ureq,
        Client::Std,
        Client::Smol,
        Client::SmolPerCpu,
        Client::Tokio,
        Client::TokioMulti,
        Client::Reqwest,
        Client::ReqwestMulti,
    ];

    fn key(self) -> &'static str {
        match self {
            Client::Ureq => "ureq",
            Client::Std => "std",
            Client::Smol | Client::SmolPerCpu => "smol",
            Client::Tokio | Client::TokioMulti => "tokio",
            Client::Reqwest | Client::ReqwestMulti => "reqwest",
        }
    }

    /// Whether the client runs only in case C (a second thread count).
    fn concurrent_only(self) -> bool {
        matches!(
            self,
            Client::SmolPerCpu | Client::TokioMulti | Client::ReqwestMulti
        )
    }

    fn name(self, concurrent: bool) -> String {
        match (self, concurrent) {
            (Client::Ureq, false) => "ureq 3".into(),
            (Client::Std, false) => "urlrequest-std".into(),
            (Client::Smol | Client::SmolPerCpu, false) => "urlrequest-smol".into(),
            (Client::Ureq, true) => format!("ureq 3, {CLIENTS} threads"),
            (Client::Std, true) => format!("urlrequest-std, {CLIENTS} threads"),
            (Client::Smol, true) => format!("urlrequest-smol, {CLIENTS} tasks on 1 thread"),
            (Client::SmolPerCpu, true) => format!(
                "urlrequest-smol, {CLIENTS} tasks on {} threads (one per CPU)",
                cpus()
            ),
            (Client::Tokio | Client::TokioMulti, false) => "urlrequest-tokio".into(),
            (Client::Reqwest | Client::ReqwestMulti, false) => "reqwest 0.12".into(),
            (Client::Tokio, true) => {
                format!("urlrequest-tokio, {CLIENTS} tasks, current-thread runtime")
            }
            (Client::TokioMulti, true) => format!(
                "urlrequest-tokio, {CLIENTS} tasks, multi-thread runtime ({} workers)",
                cpus()
            ),
            (Client::Reqwest, true) => {
                format!("reqwest 0.12, {CLIENTS} tasks, current-thread runtime")
            }
            (Client::ReqwestMulti, true) => format!(
                "reqwest 0.12, {CLIENTS} tasks, multi-thread runtime ({} workers)",
                cpus()
            ),
        }
    }
}

fn ureq_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_idle_connections(CLIENTS)
        .max_idle_connections_per_host(CLIENTS)
        .build()
        .into()
}

fn std_agent() -> urlrequest_std::Agent {
    urlrequest_std::Agent::builder()
        .max_idle_per_host(CLIENTS)
        .build()
        .expect("client settings")
}

fn check(len: usize) -> Result<(), String> {
    if len == SMALL {
        Ok(())
    } else {
        Err(format!("{len} body bytes, expected {SMALL}"))
    }
}

/// One GET with ureq; `body` is reused between calls.
fn ureq_get(agent: &ureq::Agent, url: &str, body: &mut Vec<u8>) -> Result<(), String> {
    let resp = agent.get(url).call().map_err(|e| format!("ureq: {e}"))?;
    body.clear();
    resp.into_body()
        .into_reader()
        .read_to_end(body)
        .map_err(|e| format!("ureq: {e}"))?;
    check(body.len())
}

fn std_get(agent: &urlrequest_std::Agent, url: &str) -> Result<(), String> {
    let req = Request::get(url).map_err(|e| e.to_string())?;
    let resp = agent
        .send(req)
        .map_err(|e| format!("urlrequest-std: {e}"))?;
    check(resp.bytes().map_or(0, |b| b.len()))
}

async fn smol_get(client: &urlrequest_smol::Client, url: &str) -> Result<(), String> {
    let req = Request::get(url).map_err(|e| e.to_string())?;
    let resp = client
        .send(req)
        .await
        .map_err(|e| format!("urlrequest-smol: {e}"))?;
    check(resp.bytes().map_or(0, |b| b.len()))
}

async fn tokio_get(client: &urlrequest_tokio::Client, url: &str) -> Result<(), String> {
    let req = Request::get(url).map_err(|e| e.to_string())?;
    let resp = client
        .send(req)
        .await
        .map_err(|e| format!("urlrequest-tokio: {e}"))?;
    check(resp.bytes().map_or(0, |b| b.len()))
}

async fn reqwest_get(client: &reqwest::Client, url: &str) -> Result<(), String> {
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("reqwest: {e}"))?;
    let body = resp.bytes().await.map_err(|e| format!("reqwest: {e}"))?;
    check(body.len())
}

fn tokio_client() -> Result<urlrequest_tokio::Client, String> {
    urlrequest_tokio::Client::builder()
        .per_host_limit(CLIENTS)
        .build()
        .map_err(|e| e.to_string())
}

/// A tokio runtime: current-thread, or multi-thread with a worker per CPU.
fn tokio_runtime(multi: bool) -> Result<tokio::runtime::Runtime, String> {
    let mut builder = if multi {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

/// `n` GETs one after the other on this thread.
fn sequential(client: Client, url: &str, n: u64) -> Result<u64, String> {
    match client {
        Client::Ureq => {
            let agent = ureq_agent();
            let mut body = Vec::new();
            for _ in 0..n {
                ureq_get(&agent, url, &mut body)?;
            }
        }
        Client::Std => {
            let agent = std_agent();
            for _ in 0..n {
                std_get(&agent, url)?;
            }
        }
        Client::Smol | Client::SmolPerCpu => smol::block_on(async {
            let client = urlrequest_smol::Client::new();
            for _ in 0..n {
                smol_get(&client, url).await?;
            }
            Ok::<_, String>(())
        })?,
        Client::Tokio | Client::TokioMulti => {
            let client = tokio_client()?;
            tokio_runtime(false)?.block_on(async {
                for _ in 0..n {
                    tokio_get(&client, url).await?;
                }
                Ok::<_, String>(())
            })?
        }
        Client::Reqwest | Client::ReqwestMulti => {
            let client = reqwest::Client::new();
            tokio_runtime(false)?.block_on(async {
                for _ in 0..n {
                    reqwest_get(&client, url).await?;
                }
                Ok::<_, String>(())
            })?
        }
    }
    Ok(n)
}

/// `n` GETs shared by `CLIENTS` threads or tasks, each taking the next
/// request number until none is left; the time from the start signal to the
/// last answer.
fn concurrent(client: Client, url: &str, n: u64) -> Result<Duration, String> {
    let left = Arc::new(AtomicI64::new(n as i64));
    let take = |left: &AtomicI64| left.fetch_sub(1, Ordering::Relaxed) > 0;
    match client {
        Client::Ureq => {
            let agent = ureq_agent();
            on_threads(|| {
                let (agent, url, left) = (agent.clone(), url.to_string(), left.clone());
                move || {
                    let mut body = Vec::new();
                    while take(&left) {
                        ureq_get(&agent, &url, &mut body)?;
                    }
                    Ok(())
                }
            })
        }
        Client::Std => {
            let agent = std_agent();
            on_threads(|| {
                let (agent, url, left) = (agent.clone(), url.to_string(), left.clone());
                move || {
                    while take(&left) {
                        std_get(&agent, &url)?;
                    }
                    Ok(())
                }
            })
        }
        Client::Smol | Client::SmolPerCpu => {
            let threads = if client == Client::Smol { 1 } else { cpus() };
            let client = urlrequest_smol::Client::builder()
                .per_host_limit(CLIENTS)
                .build()
                .map_err(|e| e.to_string())?;
            let ex = Arc::new(smol::Executor::new());
            let tasks: Vec<_> = (0..CLIENTS)
                .map(|_| {
                    let (client, url, left) = (client.clone(), url.to_string(), left.clone());
                    ex.spawn(async move {
                        while take(&left) {
                            smol_get(&client, &url).await?;
                        }
                        Ok::<_, String>(())
                    })
                })
                .collect();
            // Spawned tasks start only once an executor thread runs them:
            // this thread plus `threads - 1` helpers.
            let (stop, stopped) = smol::channel::bounded::<()>(1);
            let helpers: Vec<_> = (1..threads)
                .map(|_| {
                    let (ex, stopped) = (ex.clone(), stopped.clone());
                    std::thread::spawn(move || smol::block_on(ex.run(stopped.recv())))
                })
                .collect();
            let t = Instant::now();
            let result = smol::block_on(ex.run(async {
                for task in tasks {
                    task.await?;
                }
                Ok::<_, String>(())
            }));
            let took = t.elapsed();
            drop(stop);
            for h in helpers {
                let _ = h.join();
            }
            result?;
            Ok(took)
        }
        Client::Tokio | Client::TokioMulti => {
            let runtime = tokio_runtime(client == Client::TokioMulti)?;
            let client = tokio_client()?;
            on_tokio(&runtime, || {
                let (client, url, left) = (client.clone(), url.to_string(), left.clone());
                async move {
                    while take(&left) {
                        tokio_get(&client, &url).await?;
                    }
                    Ok(())
                }
            })
        }
        Client::Reqwest | Client::ReqwestMulti => {
            let runtime = tokio_runtime(client == Client::ReqwestMulti)?;
            let client = reqwest::Client::new();
            on_tokio(&runtime, || {
                let (client, url, left) = (client.clone(), url.to_string(), left.clone());
                async move {
                    while take(&left) {
                        reqwest_get(&client, &url).await?;
                    }
                    Ok(())
                }
            })
        }
    }
}

/// Spawns `CLIENTS` tasks running what `make` returns on `runtime` and
/// times them from the spawn to the last one's end.
fn on_tokio<F>(
    runtime: &tokio::runtime::Runtime,
    mut make: impl FnMut() -> F,
) -> Result<Duration, String>
where
    F: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    runtime.block_on(async {
        let t = Instant::now();
        let tasks: Vec<_> = (0..CLIENTS).map(|_| tokio::spawn(make())).collect();
        let mut result = Ok(());
        for task in tasks {
            let r = task
                .await
                .unwrap_or_else(|_| Err("a client task panicked".into()));
            result = result.and(r);
        }
        result.map(|()| t.elapsed())
    })
}

/// CPUs this process may run on.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Starts `CLIENTS` threads running what `make` returns, releases them at
/// once and times them to the last one's end.
fn on_threads<F>(mut make: impl FnMut() -> F) -> Result<Duration, String>
where
    F: FnOnce() -> Result<(), String> + Send + 'static,
{
    let start = Arc::new(Barrier::new(CLIENTS + 1));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (work, start) = (make(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                work()
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    let mut result = Ok(());
    for th in threads {
        let r = th
            .join()
            .unwrap_or_else(|_| Err("a client thread panicked".into()));
        result = result.and(r);
    }
    result.map(|()| t.elapsed())
}

/// The server of a case B or C table.
pub struct Served<'a> {
    /// Its name with details, for the title; up to " (" for the targets.
    pub name: &'a str,
    /// Whether it runs in this process (its CPU time then counts in the
    /// process CPU column of case C).
    pub in_process: bool,
}

/// Case B (`concurrent_clients == false`) or C: `n` GETs of `url` served
/// by `served`, each client
/// `cfg.runs` times.
pub fn section(
    served: &Served,
    url: &str,
    n: u64,
    cfg: &Config,
    concurrent_clients: bool,
    targets: &mut Vec<Target>,
) -> Result<Table, String> {
    let server = served.name;
    let mut samples = vec![Sample::default(); Client::ALL.len()];
    // CPU per request (µs): of the client's thread when sequential; of the
    // whole process (clients and server) when concurrent.
    let mut cpu = vec![Sample::default(); Client::ALL.len()];
    for _ in 0..cfg.runs {
        for (i, &c) in Client::ALL.iter().enumerate() {
            // One row per async client when sequential: the thread count
            // does not apply.
            let not_here = c.concurrent_only() && !concurrent_clients;
            if !cfg.runs_client(c.key()) || not_here {
                continue;
            }
            let load = load_average();
            let took = if concurrent_clients {
                let before = process_cpu();
                let took = concurrent(c, url, n)?;
                let spent = process_cpu().saturating_sub(before);
                cpu[i].push(spent.as_secs_f64() * 1e6 / n as f64, load);
                took
            } else {
                let run = timed(|| sequential(c, url, n))?;
                cpu[i].push(run.cpu.as_secs_f64() * 1e6 / n as f64, load);
                run.wall
            };
            samples[i].push(per_s(n, took), load);
        }
    }
    let ureq = samples[0].median();
    let reqwest = samples[6].median();
    let title = if concurrent_clients {
        format!(
            "#### C. {n} keep-alive GETs of a {SMALL}-byte body from {CLIENTS} concurrent clients, {server}"
        )
    } else {
        format!("#### B. {n} sequential keep-alive GETs of a {SMALL}-byte body, {server}")
    };
    let cpu_column = if concurrent_clients && served.in_process {
        "process CPU µs/req (clients + server)"
    } else if concurrent_clients {
        "process CPU µs/req (clients only)"
    } else {
        "client CPU µs/req"
    };
    let header = [
        "client",
        "req/s median (min..max)",
        "to ureq",
        "to reqwest",
        cpu_column,
        "load",
    ];
    let mut t = Table::new(title, &header);
    for ((&c, s), cpu) in Client::ALL.iter().zip(&samples).zip(&cpu) {
        if s.is_empty() {
            continue;
        }
        t.row(vec![
            c.name(concurrent_clients),
            spread_cell(s, 0),
            ratio_cell(s.median(), ureq),
            ratio_cell(s.median(), reqwest),
            format!("{:.1}", cpu.median()),
            load_cell(s),
        ]);
    }
    let (std, smol) = (samples[1].median(), samples[2].median());
    // The server's name without its details, for the targets list.
    let server = server.split(" (").next().unwrap_or(server);
    if cfg.clients.is_some() {
        // Some client left out: the targets cannot be judged.
    } else if concurrent_clients {
        targets.push(Target::ratio(
            format!("C: smol (1 thread) ≥ 1.2x ureq-64-threads ({server})"),
            smol / ureq,
            1.2,
        ));
        targets.push(Target::ratio(
            format!("C: smol (a thread per CPU) ≥ 1.2x ureq-64-threads ({server})"),
            samples[3].median() / ureq,
            1.2,
        ));
        targets.push(Target::ratio(
            format!("C: tokio ≥ 1.2x reqwest, current-thread runtime ({server})"),
            samples[4].median() / reqwest,
            1.2,
        ));
        targets.push(Target::ratio(
            format!("C: tokio ≥ 1.2x reqwest, multi-thread runtime ({server})"),
            samples[5].median() / samples[7].median(),
            1.2,
        ));
    } else {
        let b = |what: &str| format!("B: {what} ({server})");
        targets.push(Target::ratio(b("std ≥ 1.05x ureq"), std / ureq, 1.05));
        targets.push(Target::ratio(b("smol ≥ 1.00x ureq"), smol / ureq, 1.0));
        let tokio = samples[4].median();
        targets.push(Target::ratio(
            b("tokio ≥ 1.05x reqwest"),
            tokio / reqwest,
            1.05,
        ));
    }
    Ok(t)
}
