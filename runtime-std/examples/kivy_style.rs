//! Kivy-style requests: callbacks, then `wait()` runs them on this thread.
//!
//! Runs offline against a loopback server it starts itself:
//! `cargo run -p urlrequest-std --example kivy_style`

mod common;

use std::time::Duration;

use urlrequest_std::{ResultValue, UrlRequest};

fn show(result: &ResultValue) -> String {
    match result {
        ResultValue::Json(v) => format!("JSON {v}"),
        ResultValue::Bytes(b) => format!("{} bytes: {:?}", b.len(), String::from_utf8_lossy(b)),
        ResultValue::File(p) => format!("saved to {}", p.display()),
    }
}

/// A request to `path` that reports every outcome.
fn request(base: &str, path: &str) -> urlrequest_std::UrlRequestBuilder {
    UrlRequest::builder(format!("{base}{path}"))
        .on_success(|req, r| println!("  on_success  {} -> {}", req.url(), show(r)))
        .on_redirect(|req, r| {
            let to = req.resp_headers().and_then(|h| h.get("location").cloned());
            println!("  on_redirect {} -> {to:?} ({})", req.url(), show(r))
        })
        .on_failure(|req, r| println!("  on_failure  {:?} {}", req.resp_status(), show(r)))
        .on_error(|_, e| println!("  on_error    {e}"))
        .on_finish(|_| println!("  on_finish"))
}

fn main() -> Result<(), urlrequest_std::Error> {
    let addr = common::start();
    let base = format!("http://{addr}");

    println!("GET /json");
    request(&base, "/json")
        .build()?
        .wait(Duration::from_secs(10));

    println!("GET /old (redirect followed to /json)");
    request(&base, "/old")
        .build()?
        .wait(Duration::from_secs(10));

    println!("GET /old with max_redirects(0), as Kivy did");
    request(&base, "/old")
        .max_redirects(0)
        .build()?
        .wait(Duration::from_secs(10));

    println!("GET /missing");
    request(&base, "/missing")
        .build()?
        .wait(Duration::from_secs(10));

    println!("GET a closed port: wait() still returns");
    let closed =
        std::net::TcpListener::bind("127.0.0.1:0").map(|l| l.local_addr().map(|a| a.port()));
    let port = closed.ok().and_then(Result::ok).unwrap_or(9);
    request(&format!("http://127.0.0.1:{port}"), "/")
        .build()?
        .wait(Duration::from_secs(10));

    println!("download to a file with progress");
    let target = std::env::temp_dir().join("urlrequest-kivy-style-example.bin");
    let req = request(&base, "/download/300000")
        .file_path(&target)
        .chunk_size(64 * 1024)
        .on_progress(|_, done, total| {
            println!("  on_progress {done}/{}", total.map_or(-1, |t| t as i64))
        })
        .build()?;
    req.wait(Duration::from_secs(30));
    let _ = std::fs::remove_file(target);
    Ok(())
}
