//! A 60 Hz frame loop with no thread and no async runtime: it downloads a
//! large file over https from a local test server into a file while
//! fetching small JSON documents, prints progress every frame, and at the
//! end how long the longest and the median `tick` took (and, apart, the
//! tick that completed the download: it syncs the file to disk, which takes
//! as long as the disk needs).
//!
//! ```text
//! cargo run --release -p urlrequest-frame --example frame_loop [-- SIZE_MIB [BUDGET_KIB]]
//! ```
//!
//! The server (a thread of its own, standing in for the network) presents
//! a certificate of the conformance suite's test CA, which the client
//! trusts. Everything the client does happens inside `client.tick(now)`,
//! once a frame, on this thread.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use urlrequest_conformance::test_server::{respond, serve_on};
use urlrequest_conformance::{CertKind, TestCa};
use urlrequest_frame::{Client, ResultValue, UrlRequest};

const FRAME: Duration = Duration::from_micros(16_667);
const JSON_REQUESTS: usize = 8;

fn main() {
    let mut args = std::env::args().skip(1);
    let size_mib: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let budget_kib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let size = size_mib << 20;

    let server = https_server();
    let client = Client::builder()
        .ca_file(TestCa::trusted().pem_file())
        .tick_budget(budget_kib << 10)
        .build()
        .expect("client settings");
    let path = std::env::temp_dir().join(format!("frame-loop-{}.bin", std::process::id()));

    let received = Arc::new(AtomicU64::new(0));
    let r = received.clone();
    let download = UrlRequest::builder(server.https_url("127.0.0.1", &format!("/big/{size}")))
        .client(&client)
        .file_path(&path)
        .on_progress(move |_, got, _| r.store(got, Ordering::Relaxed))
        .on_error(|_, e| eprintln!("download failed: {e}"))
        .build()
        .expect("a valid request");
    let json_done = Arc::new(AtomicUsize::new(0));
    let json: Vec<UrlRequest> = (0..JSON_REQUESTS)
        .map(|i| {
            let done = json_done.clone();
            UrlRequest::builder(server.https_url("127.0.0.1", &format!("/item/{i}")))
                .client(&client)
                .on_success(move |_, result| {
                    if let ResultValue::Json(v) = result {
                        assert_eq!(v["id"], i);
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .on_error(|_, e| eprintln!("json failed: {e}"))
                .build()
                .expect("a valid request")
        })
        .collect();

    let mut tick_times = Vec::new();
    let started = Instant::now();
    let mut next_frame = started;
    let mut frame = 0u64;
    let mut commit_tick = None;
    while !(download.is_finished() && json.iter().all(UrlRequest::is_finished)) {
        frame += 1;
        let was_running = !download.is_finished();
        let now = Instant::now();
        let tick = client.tick(now);
        let spent = now.elapsed();
        if was_running && download.is_finished() {
            // This tick synced the file to disk and renamed it into place.
            commit_tick = Some(spent);
        } else {
            tick_times.push(spent);
        }
        let got = received.load(Ordering::Relaxed);
        println!(
            "frame {frame:4}: download {:7.1} / {:.1} MiB, json {}/{JSON_REQUESTS}, tick {:6.3} ms, {} KiB read",
            got as f64 / 1048576.0,
            size as f64 / 1048576.0,
            json_done.load(Ordering::Relaxed),
            spent.as_secs_f64() * 1e3,
            tick.bytes_read >> 10,
        );
        // The rest of the frame: update, draw... then wait for the next one.
        next_frame += FRAME;
        std::thread::sleep(next_frame.saturating_duration_since(Instant::now()));
    }
    let elapsed = started.elapsed();

    let written = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&path);
    tick_times.sort();
    let median = tick_times[tick_times.len() / 2];
    let longest = tick_times[tick_times.len() - 1];
    println!(
        "done in {frame} frames ({:.2} s): {:.1} MiB written to the file ({}), {} of {JSON_REQUESTS} JSON requests succeeded",
        elapsed.as_secs_f64(),
        written as f64 / 1048576.0,
        if download.error().is_none() { "ok" } else { "failed" },
        json_done.load(Ordering::Relaxed),
    );
    println!(
        "time inside tick: longest {:.3} ms, median {:.3} ms (budget {budget_kib} KiB a tick)",
        longest.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3
    );
    if let Some(commit) = commit_tick {
        println!(
            "the tick that completed the download (file synced to disk and renamed): {:.3} ms",
            commit.as_secs_f64() * 1e3
        );
    }
    if written != size || json_done.load(Ordering::Relaxed) != JSON_REQUESTS {
        std::process::exit(1);
    }
}

/// A keep-alive https server on 127.0.0.1: `/big/N` sends N bytes, `/item/I`
/// a small JSON document.
fn https_server() -> urlrequest_conformance::test_server::Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let tls = TestCa::trusted().server_config(&["127.0.0.1"], CertKind::Valid);
    let piece = vec![b'x'; 256 << 10];
    serve_on(
        listener,
        Some(tls),
        Arc::new(move |req, w| {
            if let Some(n) = req.target.strip_prefix("/big/") {
                let mut left: u64 = n.parse().unwrap_or(0);
                write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {left}\r\n\r\n")?;
                while left > 0 {
                    let n = left.min(piece.len() as u64) as usize;
                    w.write_all(&piece[..n])?;
                    left -= n as u64;
                }
                w.flush()?;
            } else {
                let id = req.target.rsplit('/').next().unwrap_or("0");
                let body = format!(r#"{{"id":{id},"name":"item {id}"}}"#);
                respond(
                    w,
                    "200 OK",
                    &[("Content-Type", "application/json")],
                    body.as_bytes(),
                )?;
            }
            Ok(true)
        }),
    )
}
