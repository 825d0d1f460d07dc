//! `urlreq --demo`: a loopback server and a short tour (a redirect, a JSON
//! decode, a download with a progress bar), with no network needed.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use urlrequest_std::core::Event;
use urlrequest_std::{ResultValue, UrlRequest};

/// Size of the demo download.
const DOWNLOAD: usize = 48 << 20;

/// Starts the demo server on a free loopback port; returns its origin.
fn start_server() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let origin = format!("http://{}", listener.local_addr()?);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let _ = serve(stream);
            });
        }
    });
    Ok(origin)
}

/// Answers requests on one connection until the client closes it.
fn serve(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" {
                break;
            }
        }
        match path.as_str() {
            "/start" => out.write_all(
                b"HTTP/1.1 302 Found\r\nLocation: /hello.json\r\nContent-Length: 0\r\n\r\n",
            )?,
            "/hello.json" => {
                let body = br#"{"message":"hello from the urlreq demo","redirected":true,"numbers":[1,2,3]}"#;
                write!(
                    out,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )?;
                out.write_all(body)?;
            }
            "/download" => {
                write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {DOWNLOAD}\r\n\r\n")?;
                let block = vec![b'u'; 256 * 1024];
                for _ in 0..DOWNLOAD / block.len() {
                    out.write_all(&block)?;
                    // Paced so the progress bar has something to show.
                    thread::sleep(Duration::from_millis(8));
                }
            }
            _ => out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?,
        }
    }
}

/// Runs the tour. Returns the process exit status.
pub fn run() -> i32 {
    let origin = match start_server() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("urlreq: could not start the demo server: {e}");
            return 1;
        }
    };
    println!("urlreq demo: a local server is listening at {origin}\n");

    println!("1. GET {origin}/start, which redirects; the events as they happen:");
    let agent = urlrequest_std::Agent::new();
    let request = match urlrequest_std::Request::get(format!("{origin}/start")) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("urlreq: {e}");
            return 1;
        }
    };
    let mut ex = urlrequest_std::core::Exchange::new(request, std::time::Instant::now());
    agent.drive(&mut ex, &urlrequest_std::DriveOptions::new(), |event, _| {
        println!("   {}", urlrequest_std::core::trace_line(&event));
        if let Event::Done(r) = &event {
            println!(
                "   -> final URL {}, JSON decoded: {}",
                r.url(),
                r.json_value().is_some()
            );
        }
        std::ops::ControlFlow::Continue(())
    });

    println!("\n2. The same, Kivy style: a UrlRequest with callbacks and wait():");
    let outcome = UrlRequest::builder(format!("{origin}/start"))
        .client(&agent)
        .on_redirect(|_, _| println!("   on_redirect (not expected: redirects are followed)"))
        .on_success(|req, result| {
            let shown = match result {
                ResultValue::Json(v) => format!("JSON {}", v),
                other => format!("{other:?}"),
            };
            println!(
                "   on_success: status {:?}, result = {shown}",
                req.resp_status()
            );
        })
        .on_error(|_, e| println!("   on_error: {e}"))
        .on_finish(|_| println!("   on_finish"))
        .build();
    match outcome {
        Ok(req) => {
            req.wait(Duration::from_secs(10));
        }
        Err(e) => println!("   could not build the request: {e}"),
    }

    println!(
        "\n3. A {} MiB download with a progress bar:",
        DOWNLOAD >> 20
    );
    let dir = std::env::temp_dir().join(format!("urlreq-demo-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let target = dir.join("download.bin");
    let args = crate::args::Args {
        url: Some(format!("{origin}/download")),
        output: Some(target.clone()),
        ..crate::args::Args::default()
    };
    let status = crate::fetch::run(&args, true);
    if let Ok(meta) = std::fs::metadata(&target) {
        println!("   saved {} bytes to {}", meta.len(), target.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("\nTry it on your own URL: urlreq https://example.com/ -i");
    status
}
