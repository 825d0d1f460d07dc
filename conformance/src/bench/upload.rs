//! Case H: peak resident memory of a streamed upload (1 GiB in the full
//! run), measured in a child process (this binary re-run with a hidden
//! subcommand), as case D does for downloads. The body comes from a
//! reader that makes the bytes as they are read (no file on disk); the
//! server reads and discards it, then answers with the byte count.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;

use super::report::{load_cell, Table, Target};
use super::stats::{load_average, peak_rss_kib, Sample};
use urlrequest_conformance::upload::{PatternReader, PatternSource};

/// The hidden subcommand that runs one upload in a child process.
pub const SUBCOMMAND: &str = "__upload-rss";

/// Who uploads, in report order.
const CLIENTS: [(&str, &str); 4] = [
    ("std", "urlrequest-std, `Agent::upload` from a `Read`"),
    (
        "smol",
        "urlrequest-smol, `Client::upload` from an async source",
    ),
    (
        "tokio",
        "urlrequest-tokio, `Client::upload` (current-thread runtime)",
    ),
    ("frame", "urlrequest-frame, `start_upload`, ticked"),
];

/// Limit for peak RSS during a streamed upload.
const LIMIT_KIB: u64 = 32 * 1024;

/// The child's side: `args` are the client, the URL and the size. Prints
/// `peak_rss_kib N` and `server_bytes N`.
pub fn child(args: &[String]) -> Result<(), String> {
    let [client, url, size] = args else {
        return Err(format!("usage: {SUBCOMMAND} CLIENT URL SIZE"));
    };
    let size: u64 = size.parse().map_err(|_| format!("bad size {size:?}"))?;
    let builder = || urlrequest_std::Request::builder(url.as_str()).method("PUT");
    let response = match client.as_str() {
        "std" => urlrequest_std::Agent::new()
            .upload(
                builder(),
                urlrequest_std::Upload::from_reader(PatternReader::new(size), Some(size)),
            )
            .map_err(|e| e.to_string())?,
        "smol" => smol::block_on(urlrequest_smol::Client::new().upload(
            builder(),
            urlrequest_smol::AsyncUpload::new(
                PatternSource(PatternReader::new(size)),
                urlrequest_std::BodyStream::sized(size),
            ),
        ))
        .map_err(|e| e.to_string())?,
        "tokio" => super::download::tokio_current_thread()?
            .block_on(urlrequest_tokio::Client::new().upload(
                builder(),
                urlrequest_tokio::AsyncUpload::new(
                    PatternSource(PatternReader::new(size)),
                    urlrequest_std::BodyStream::sized(size),
                ),
            ))
            .map_err(|e| e.to_string())?,
        "frame" => {
            let client = urlrequest_frame::Client::new();
            let transfer = client
                .start_upload(
                    builder(),
                    urlrequest_std::Upload::from_reader(PatternReader::new(size), Some(size)),
                )
                .map_err(|e| e.to_string())?;
            let mut done = None;
            while done.is_none() {
                client.wait(None);
                client.tick(std::time::Instant::now());
                while let Some(event) = transfer.poll_event() {
                    match event {
                        urlrequest_std::Event::Done(r) => done = Some(r),
                        urlrequest_std::Event::Failure(e) => return Err(e.to_string()),
                        _ => {}
                    }
                }
            }
            done.expect("loop ends on Done")
        }
        other => return Err(format!("unknown client {other:?}")),
    };
    let body = response.bytes().map(|b| b.to_vec()).unwrap_or_default();
    println!("peak_rss_kib {}", peak_rss_kib());
    println!("server_bytes {}", String::from_utf8_lossy(&body));
    Ok(())
}

/// A server that reads each request's `Content-Length` body, discards it,
/// and answers with the number of bytes it read.
fn discard_server() -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || -> std::io::Result<()> {
                let mut w = stream.try_clone()?;
                let mut r = BufReader::with_capacity(256 * 1024, stream);
                loop {
                    let mut length = 0u64;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line)? == 0 {
                            return Ok(());
                        }
                        if line == "\r\n" {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let got = std::io::copy(&mut (&mut r).take(length), &mut std::io::sink())?;
                    let body = got.to_string();
                    write!(
                        w,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )?;
                }
            });
        }
    });
    Ok(format!("http://{addr}/upload"))
}

/// Runs one child; returns its peak RSS in KiB.
fn run_child(client: &str, url: &str, size: u64) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args([SUBCOMMAND, client, url, &size.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{client} upload failed: {err}{text}"));
    }
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
    };
    let got = field("server_bytes").ok_or("no server byte count printed")?;
    if got != size {
        return Err(format!(
            "{client}: the server read {got} bytes, expected {size}"
        ));
    }
    field("peak_rss_kib").ok_or_else(|| "no peak RSS printed".into())
}

/// Case H: a streamed upload of `size` bytes per client, `runs` times.
pub fn section(size: u64, runs: usize, targets: &mut Vec<Target>) -> Result<Table, String> {
    let url = discard_server()?;
    let title = format!("peak RSS, {} MiB upload (MiB)", size >> 20);
    let mut t = Table::new(
        "#### H. Streamed upload: peak resident memory",
        &["client", &title, "load"],
    );
    for (client, name) in CLIENTS {
        let mut sample = Sample::default();
        let mut loads = Sample::default();
        let mut worst = 0u64;
        for _ in 0..runs {
            let load = load_average();
            let kib = run_child(client, &url, size)?;
            worst = worst.max(kib);
            sample.push(kib as f64 / 1024.0, load);
            loads.push(0.0, load);
        }
        t.row(vec![
            name.to_string(),
            super::report::spread_cell(&sample, 1),
            load_cell(&loads),
        ]);
        targets.push(Target {
            what: format!(
                "H: {client} peak RSS < 32 MiB streaming {} MiB up",
                size >> 20
            ),
            measured: format!("{:.1} MiB (worst run)", worst as f64 / 1024.0),
            holds: worst < LIMIT_KIB,
        });
    }
    t.note("Peak RSS (`VmHWM`) of a child process doing one streamed upload (Content-Length, body made as it is read); median (min..max).");
    Ok(t)
}
