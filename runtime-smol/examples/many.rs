//! Fetches several URLs at once and prints a progress line per URL.
//!
//! ```text
//! cargo run -p urlrequest-smol --example many -- https://example.com/ http://127.0.0.1:8000/big
//! cargo run -p urlrequest-smol --example many     # no arguments: a local demo server
//! ```
//!
//! With no arguments it starts its own loopback server, so it runs offline.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use urlrequest_smol::{Client, Event, Request};

fn main() {
    let mut urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        let base = demo_server();
        urls = ["small", "paced", "chunked", "redirect", "missing"]
            .iter()
            .map(|p| format!("{base}/{p}"))
            .collect();
        println!("no URLs given: fetching from a local demo server at {base}");
    }
    let client = Client::new();
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let tasks: Vec<_> = urls
            .iter()
            .enumerate()
            .map(|(i, url)| ex.spawn(fetch(client.clone(), i, url.clone())))
            .collect();
        for t in tasks {
            t.await;
        }
    }));
}

/// Streams one URL's events, printing progress about every tenth of the
/// body (or every 64 KiB when the length is unknown) and the outcome.
async fn fetch(client: Client, i: usize, url: String) {
    let request = match Request::builder(&url)
        .collect_body(false)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(r) => r,
        Err(e) => return println!("[{i}] {url}: {e}"),
    };
    let started = Instant::now();
    let mut last_shown = None;
    let mut events = client.events(request);
    while let Some(event) = events.next().await {
        match event {
            Event::Redirect { status, to, .. } => println!("[{i}] {status} -> {to}"),
            Event::Progress { received, total } => {
                let step = match total {
                    Some(t) => (t / 10).max(1),
                    None => 64 * 1024,
                };
                let bucket = received / step;
                if last_shown != Some(bucket) || Some(received) == total {
                    last_shown = Some(bucket);
                    match total {
                        Some(t) if t > 0 => println!(
                            "[{i}] {url}: {received}/{t} bytes ({}%)",
                            received * 100 / t
                        ),
                        _ => println!("[{i}] {url}: {received} bytes"),
                    }
                }
            }
            Event::Body(_) => {}
            Event::Done(resp) => println!(
                "[{i}] {url}: done, {} {} in {:?}",
                resp.status().as_u16(),
                resp.reason(),
                started.elapsed()
            ),
            Event::Failure(e) => println!("[{i}] {url}: failed: {e}"),
        }
    }
}

/// A loopback server with bodies of several shapes. Returns its base URL.
fn demo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    base
}

fn serve(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
        }
        let ok = match path.as_str() {
            "/small" => send(&mut stream, "200 OK", &[b'x'; 2_000]),
            "/redirect" => stream
                .write_all(b"HTTP/1.1 302 Found\r\nLocation: /small\r\nContent-Length: 0\r\n\r\n")
                .is_ok(),
            "/paced" => paced(&mut stream, 512 * 1024),
            "/chunked" => chunked(&mut stream, 48, 8 * 1024),
            _ => send(&mut stream, "404 Not Found", b"no such thing"),
        };
        if !ok {
            return;
        }
    }
}

fn send(stream: &mut TcpStream, status: &str, body: &[u8]) -> bool {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).is_ok() && stream.write_all(body).is_ok()
}

/// A body with a length, sent slowly so progress is visible.
fn paced(stream: &mut TcpStream, len: usize) -> bool {
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return false;
    }
    let piece = [b'p'; 16 * 1024];
    for _ in 0..len / piece.len() {
        if stream.write_all(&piece).is_err() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    true
}

/// A chunked body of unknown length.
fn chunked(stream: &mut TcpStream, chunks: usize, size: usize) -> bool {
    let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).is_err() {
        return false;
    }
    let data = vec![b'c'; size];
    for _ in 0..chunks {
        let ok = stream.write_all(format!("{size:x}\r\n").as_bytes()).is_ok()
            && stream.write_all(&data).is_ok()
            && stream.write_all(b"\r\n").is_ok();
        if !ok {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    stream.write_all(b"0\r\n\r\n").is_ok()
}
