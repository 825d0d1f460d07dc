//! Case D, second part: memory per in-flight request of the async clients
//! (urlrequest-smol, urlrequest-tokio, reqwest), each in a child process
//! (this binary re-run with a hidden subcommand) holding `HELD` requests
//! open against a server that reads every request head and never answers.
//! The server is one thread of the same child, keeping only its sockets
//! (an fd and a small buffer each), so nearly all of the growth is the
//! client's: its tasks, exchanges and socket registrations.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use super::report::{load_cell, Table};
use super::stats::{load_average, Sample};

/// The hidden subcommand that holds requests in flight in a child process.
pub const SUBCOMMAND: &str = "__in-flight";

/// Requests held at once.
const HELD: usize = 5_000;

/// The clients, in report order.
const CLIENTS: [(&str, &str); 3] = [
    (
        "smol",
        "urlrequest-smol, a task per request, one executor thread",
    ),
    (
        "tokio",
        "urlrequest-tokio, a task per request, current-thread runtime",
    ),
    (
        "reqwest",
        "reqwest 0.12, a task per request, current-thread runtime",
    ),
];

/// The child's side: `args` is the client. Prints `growth_bytes N` and
/// `held N`.
pub fn child(args: &[String]) -> Result<(), String> {
    let [client] = args else {
        return Err(format!("usage: {SUBCOMMAND} CLIENT"));
    };
    raise_descriptor_limit(2 * HELD as u64 + 256);
    let (url, all_seen) = stall_server(HELD + 1)?;
    let growth = match client.as_str() {
        "smol" => smol_held(&url, all_seen)?,
        "tokio" | "reqwest" => tokio_held(client == "tokio", &url, all_seen)?,
        other => return Err(format!("unknown client {other:?}")),
    };
    println!("growth_bytes {growth}");
    println!("held {HELD}");
    Ok(())
}

fn raise_descriptor_limit(want: u64) {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|c| c < want) {
        limit.current = Some(limit.maximum.map_or(want, |m| want.min(m)));
        let _ = setrlimit(Resource::Nofile, limit);
    }
}

/// A server thread that accepts `expect` connections, reads one request
/// head from each and never answers; the receiver hears once every head
/// arrived.
fn stall_server(expect: usize) -> Result<(String, mpsc::Receiver<()>), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let url = format!("http://{}/held", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::with_capacity(expect);
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::with_capacity(256, &stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            held.push(stream);
            // The warm-up request, then the held ones.
            if held.len() == 1 || held.len() == expect {
                let _ = tx.send(());
            }
        }
    });
    Ok((url, rx))
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn smol_held(url: &str, all_seen: mpsc::Receiver<()>) -> Result<u64, String> {
    use urlrequest_std::core::Request;
    let client = urlrequest_smol::Client::builder()
        .per_host_limit(HELD + 1)
        .build()
        .map_err(|e| e.to_string())?;
    let ex = smol::LocalExecutor::new();
    let all_seen = std::sync::Arc::new(std::sync::Mutex::new(all_seen));
    let wait_seen = || {
        let rx = all_seen.clone();
        smol::unblock(move || rx.lock().unwrap().recv().is_ok())
    };
    smol::block_on(ex.run(async {
        // Warm the reactor and allocator paths before the baseline.
        let warm = Request::builder(url)
            .timeout(Duration::from_millis(50))
            .build()
            .map_err(|e| e.to_string())?;
        let _ = client.send(warm).await;
        wait_seen().await;
        let before = rss_bytes();
        let tasks: Vec<_> = (0..HELD)
            .map(|_| {
                let (client, url) = (client.clone(), url.to_string());
                ex.spawn(async move { client.send(Request::get(&url).unwrap()).await })
            })
            .collect();
        if !wait_seen().await {
            return Err("the server stopped before every request arrived".to_string());
        }
        let during = rss_bytes();
        drop(tasks);
        Ok(during.saturating_sub(before))
    }))
}

fn tokio_held(ours: bool, url: &str, all_seen: mpsc::Receiver<()>) -> Result<u64, String> {
    let runtime = super::download::tokio_current_thread()?;
    let ours_client = urlrequest_tokio::Client::builder()
        .per_host_limit(HELD + 1)
        .build()
        .map_err(|e| e.to_string())?;
    let reqwest_client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())?;
    let all_seen = std::sync::Arc::new(std::sync::Mutex::new(all_seen));
    let wait_seen = || {
        let rx = all_seen.clone();
        async move {
            tokio::task::spawn_blocking(move || rx.lock().unwrap().recv().is_ok())
                .await
                .unwrap_or(false)
        }
    };
    let one = move |url: String| {
        let (ours_client, reqwest_client) = (ours_client.clone(), reqwest_client.clone());
        async move {
            if ours {
                let req = urlrequest_std::core::Request::get(&url).unwrap();
                ours_client
                    .send(req)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            } else {
                reqwest_client
                    .get(&url)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    };
    runtime.block_on(async {
        // Warm the reactor and allocator paths before the baseline.
        let _ = tokio::time::timeout(Duration::from_millis(50), one(url.to_string())).await;
        wait_seen().await;
        let before = rss_bytes();
        let tasks: Vec<_> = (0..HELD)
            .map(|_| tokio::spawn(one(url.to_string())))
            .collect();
        if !wait_seen().await {
            return Err("the server stopped before every request arrived".to_string());
        }
        let during = rss_bytes();
        for t in &tasks {
            t.abort();
        }
        Ok(during.saturating_sub(before))
    })
}

/// Runs one child; returns the bytes its resident memory grew by.
fn run_child(client: &str) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args([SUBCOMMAND, client])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{client} in-flight run failed: {err}{text}"));
    }
    text.lines()
        .find_map(|l| l.strip_prefix("growth_bytes")?.trim().parse().ok())
        .ok_or_else(|| format!("{client}: no growth printed"))
}

/// The table: KiB per in-flight request for each async client.
pub fn section(runs: usize) -> Result<Table, String> {
    let mut t = Table::new(
        format!("#### D. Memory per in-flight request ({HELD} requests held open)"),
        &["client", "KiB per request median (min..max)", "load"],
    );
    for (client, name) in CLIENTS {
        let mut sample = Sample::default();
        for _ in 0..runs {
            let load = load_average();
            let growth = run_child(client)?;
            sample.push(growth as f64 / 1024.0 / HELD as f64, load);
        }
        t.row(vec![
            name.to_string(),
            super::report::spread_cell(&sample, 1),
            load_cell(&sample),
        ]);
    }
    t.note(
        "Growth of a child process's resident memory (`VmRSS`) while it holds the requests \
         open against a server thread of its own that reads each request and never answers, \
         divided by the number of requests.",
    );
    Ok(t)
}
