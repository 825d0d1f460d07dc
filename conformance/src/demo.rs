//! The examples' local demo server: bodies of a few shapes, so an example
//! with no URL runs offline and shows redirects, progress and failures.
//!
//! | path | answer |
//! |---|---|
//! | `/small` | 200, 2,000 bytes |
//! | `/json` | 200, a small JSON object |
//! | `/paced` | 200, 512 KiB with a `Content-Length`, sent in 16 KiB pieces 15 ms apart |
//! | `/chunked` | 200, 48 chunks of 8 KiB, 5 ms apart (no length) |
//! | `/redirect` | 302 to `/small` |
//! | anything else | 404 |
//!
//! ```no_run
//! let server = urlrequest_conformance::demo::serve();
//! println!("try {}", server.url("/paced"));
//! ```

use std::io::{self, Write};
use std::thread;
use std::time::Duration;

use crate::test_server::{respond, serve as serve_with, Req, Server};

/// The paths the demo server answers with a body, in a good order to show.
pub const PATHS: [&str; 6] = [
    "/small",
    "/json",
    "/paced",
    "/chunked",
    "/redirect",
    "/missing",
];

/// Starts the demo server on a free loopback port.
pub fn serve() -> Server {
    serve_with(answer)
}

fn answer(req: &Req, w: &mut dyn Write) -> io::Result<bool> {
    match req.target.as_str() {
        "/small" => respond(w, "200 OK", &[], &[b'x'; 2_000])?,
        "/json" => respond(
            w,
            "200 OK",
            &[("Content-Type", "application/json")],
            br#"{"name":"demo","items":[1,2,3]}"#,
        )?,
        "/redirect" => respond(w, "302 Found", &[("Location", "/small")], b"")?,
        "/paced" => paced(w, 512 * 1024)?,
        "/chunked" => chunked(w, 48, 8 * 1024)?,
        _ => respond(w, "404 Not Found", &[], b"no such thing")?,
    }
    Ok(true)
}

/// A body with a length, sent slowly so progress is visible.
fn paced(w: &mut dyn Write, len: usize) -> io::Result<()> {
    write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n")?;
    let piece = [b'p'; 16 * 1024];
    for _ in 0..len / piece.len() {
        w.write_all(&piece)?;
        w.flush()?;
        thread::sleep(Duration::from_millis(15));
    }
    Ok(())
}

/// A chunked body of unknown length.
fn chunked(w: &mut dyn Write, chunks: usize, size: usize) -> io::Result<()> {
    w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
    let data = vec![b'c'; size];
    for _ in 0..chunks {
        write!(w, "{size:x}\r\n")?;
        w.write_all(&data)?;
        w.write_all(b"\r\n")?;
        w.flush()?;
        thread::sleep(Duration::from_millis(5));
    }
    w.write_all(b"0\r\n\r\n")?;
    w.flush()
}

/// Prints one request's events as the examples show them: redirects,
/// progress about every tenth of the body (or every 64 KiB when the length
/// is unknown), and the outcome with the time since this value was made.
#[derive(Debug)]
pub struct ProgressPrinter {
    label: String,
    started: std::time::Instant,
    last_shown: Option<u64>,
}

impl ProgressPrinter {
    /// A printer whose lines start with `[index] url`.
    pub fn new(index: usize, url: &str) -> ProgressPrinter {
        ProgressPrinter {
            label: format!("[{index}] {url}"),
            started: std::time::Instant::now(),
            last_shown: None,
        }
    }

    /// Prints what `event` says, if it is worth a line.
    pub fn show(&mut self, event: &urlrequest_core::Event) {
        use urlrequest_core::Event;
        let label = &self.label;
        match event {
            Event::Redirect { status, to, .. } => println!("{label}: {status} -> {to}"),
            Event::Progress { received, total } => {
                let step = total.map_or(64 * 1024, |t| (t / 10).max(1));
                let bucket = received / step;
                if self.last_shown != Some(bucket) || Some(*received) == *total {
                    self.last_shown = Some(bucket);
                    match total {
                        Some(t) if *t > 0 => {
                            println!("{label}: {received}/{t} bytes ({}%)", received * 100 / t)
                        }
                        _ => println!("{label}: {received} bytes"),
                    }
                }
            }
            Event::Body(_) => {}
            Event::Done(resp) => println!(
                "{label}: done, {} {} in {:?}",
                resp.status().as_u16(),
                resp.reason(),
                self.started.elapsed()
            ),
            Event::Failure(e) => println!("{label}: failed: {e}"),
        }
    }
}
