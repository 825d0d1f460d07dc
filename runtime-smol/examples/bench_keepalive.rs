//! Keep-alive throughput and memory per in-flight request.
//!
//! ```text
//! cargo run --release -p urlrequest-smol --example bench_keepalive [SECONDS]
//! ```
//!
//! 1. Throughput: 64 concurrent tasks (on one executor thread unless
//!    `BENCH_THREADS` says otherwise) on this crate's `Client` doing
//!    keep-alive GETs of a 100-byte body against a loopback server, then 64
//!    threads doing the same with `ureq`, against the same server in the
//!    same run. Prints requests per second for both and the ratio.
//! 2. Memory: 5,000 requests held in flight against a server (a child
//!    process, so its memory is not counted) that reads each request and
//!    never answers; the growth of this process's resident memory divided by
//!    the number of requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use urlrequest_smol::{Client, Request};

const TASKS: usize = 64;
const BODY: [u8; 100] = [b'b'; 100];
const HELD: usize = 5_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--stall-server") {
        return stall_server();
    }
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let url = format!("{}/item", keep_alive_server());

    let smol_rps = run_smol(&url, Duration::from_secs(secs));
    let ureq_rps = run_ureq(&url, Duration::from_secs(secs));
    println!("keep-alive GET, 100-byte body, {TASKS} concurrent, {secs} s each, loopback:");
    println!("  urlrequest-smol ({TASKS} tasks): {smol_rps:>9.0} req/s");
    println!("  ureq 3 ({TASKS} threads):        {ureq_rps:>9.0} req/s");
    println!("  ratio: {:.2}x", smol_rps / ureq_rps);

    let (bytes, n) = memory_per_request();
    println!(
        "memory: {n} requests in flight grew resident memory by {:.1} MiB: {:.1} KiB per request",
        bytes as f64 / (1024.0 * 1024.0),
        bytes as f64 / 1024.0 / n as f64
    );
}

/// Requests per second from `TASKS` tasks on a smol executor run by one
/// thread (`BENCH_THREADS` to change): on a small machine the loopback
/// server needs the other cores.
fn run_smol(url: &str, run_for: Duration) -> f64 {
    let client = Client::builder().per_host_limit(TASKS).build().unwrap();
    let ex = Arc::new(smol::Executor::new());
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, url, stop, done) =
                (client.clone(), url.to_string(), stop.clone(), done.clone());
            ex.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let resp = client.send(Request::get(&url).unwrap()).await.unwrap();
                    assert_eq!(resp.bytes().map(|b| b.len()), Some(BODY.len()));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let threads = std::env::var("BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let (signal, shutdown) = smol::channel::unbounded::<()>();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (ex, shutdown) = (ex.clone(), shutdown.clone());
            std::thread::spawn(move || smol::block_on(ex.run(shutdown.recv())))
        })
        .collect();
    let rps = measure(&done, run_for);
    stop.store(true, Ordering::Relaxed);
    smol::block_on(async {
        for t in tasks {
            t.await;
        }
    });
    drop(signal);
    for w in workers {
        let _ = w.join();
    }
    rps
}

/// Requests per second from `TASKS` threads sharing one ureq agent.
fn run_ureq(url: &str, run_for: Duration) -> f64 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_idle_connections(TASKS)
        .max_idle_connections_per_host(TASKS)
        .build()
        .into();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..TASKS)
        .map(|_| {
            let (agent, url, stop, done) =
                (agent.clone(), url.to_string(), stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut body = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let resp = agent.get(&url).call().unwrap();
                    body.clear();
                    resp.into_body()
                        .into_reader()
                        .read_to_end(&mut body)
                        .unwrap();
                    assert_eq!(body.len(), BODY.len());
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let rps = measure(&done, run_for);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    rps
}

/// Skips a warm-up second, then counts completions over `run_for`.
fn measure(done: &AtomicU64, run_for: Duration) -> f64 {
    std::thread::sleep(Duration::from_secs(1));
    let (start, t0) = (done.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(run_for);
    let n = done.load(Ordering::Relaxed) - start;
    n as f64 / t0.elapsed().as_secs_f64()
}

/// A keep-alive server answering every request with the 100-byte body.
fn keep_alive_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut reply =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", BODY.len()).into_bytes();
    reply.extend_from_slice(&BODY);
    let reply: Arc<[u8]> = reply.into();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let reply = reply.clone();
            std::thread::spawn(move || serve_keep_alive(stream, &reply));
        }
    });
    base
}

fn serve_keep_alive(mut stream: TcpStream, reply: &[u8]) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 16 * 1024];
    let mut have = 0;
    loop {
        // Answer every complete request head in the buffer (no bodies: GETs).
        while let Some(end) = find_head_end(&buf[..have]) {
            if stream.write_all(reply).is_err() {
                return;
            }
            buf.copy_within(end..have, 0);
            have -= end;
        }
        if have == buf.len() {
            return;
        }
        match stream.read(&mut buf[have..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
}

fn find_head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Resident memory growth with `HELD` requests waiting for an answer.
fn memory_per_request() -> (u64, usize) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .arg("--stall-server")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the stall server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = lines.next().unwrap().unwrap().parse().unwrap();
    let url = format!("http://127.0.0.1:{port}/held");
    let client = Client::builder().per_host_limit(HELD).build().unwrap();
    let ex = smol::LocalExecutor::new();
    // Warm the reactor and allocator paths before the baseline.
    let before = smol::block_on(ex.run(async {
        let warm = Request::builder(&url)
            .timeout(Duration::from_millis(50))
            .build()
            .unwrap();
        let _ = client.send(warm).await;
        rss_bytes()
    }));
    let growth = smol::block_on(ex.run(async {
        let tasks: Vec<_> = (0..HELD)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                ex.spawn(async move { client.send(Request::get(&url).unwrap()).await })
            })
            .collect();
        // The child prints a line once it has read every request head.
        let waiting = blocking::unblock(move || {
            for line in lines.by_ref() {
                if line.map(|l| l == "all seen").unwrap_or(true) {
                    break;
                }
            }
        });
        waiting.await;
        let during = rss_bytes();
        drop(tasks);
        during.saturating_sub(before)
    }));
    let _ = child.kill();
    let _ = child.wait();
    (growth, HELD)
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

/// Child process: reads request heads and never answers. Prints its port,
/// then `all seen` once `HELD` heads (plus the warm-up one) have arrived.
fn stall_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    let _ = std::io::stdout().flush();
    let seen = Arc::new(AtomicU64::new(0));
    for stream in listener.incoming().flatten() {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let head_done = line == "\r\n";
                if head_done && seen.fetch_add(1, Ordering::SeqCst) + 1 == HELD as u64 + 1 {
                    println!("all seen");
                    let _ = std::io::stdout().flush();
                }
                line.clear();
            }
        });
    }
}
