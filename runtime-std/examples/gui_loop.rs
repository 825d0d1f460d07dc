//! A GUI-style frame loop: requests run on worker threads, and the loop
//! calls `dispatch_pending()` once a frame so the callbacks run on the "UI"
//! thread without ever blocking it (the analogue of Kivy's Clock).
//!
//! Runs offline against a loopback server it starts itself:
//! `cargo run -p urlrequest-std --example gui_loop`

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use urlrequest_std::UrlRequest;

/// What the "UI" shows; only ever touched from the frame loop's callbacks.
#[derive(Default)]
struct Screen {
    status: Vec<String>,
    progress: Option<(u64, Option<u64>)>,
}

fn main() -> Result<(), urlrequest_std::Error> {
    let addr = common::start();
    let ui_thread = thread::current().id();
    let screen = Arc::new(Mutex::new(Screen::default()));

    let s = screen.clone();
    let json = UrlRequest::builder(format!("http://{addr}/json"))
        .on_success(move |_, r| {
            assert_eq!(thread::current().id(), ui_thread);
            s.lock()
                .unwrap()
                .status
                .push(format!("json: {:?}", r.as_json()));
        })
        .build()?;
    let (s1, s2) = (screen.clone(), screen.clone());
    let download = UrlRequest::builder(format!("http://{addr}/download/4000000"))
        .chunk_size(128 * 1024)
        .on_progress(move |_, done, total| s1.lock().unwrap().progress = Some((done, total)))
        .on_success(move |_, r| {
            let n = r.as_bytes().map_or(0, |b| b.len());
            s2.lock()
                .unwrap()
                .status
                .push(format!("download: {n} bytes"));
        })
        .build()?;

    let frame = Duration::from_millis(16);
    let start = Instant::now();
    let mut frames = 0;
    loop {
        let frame_start = Instant::now();
        // The whole network side of the frame: run what is due, never wait.
        json.dispatch_pending();
        download.dispatch_pending();
        frames += 1;
        if frames % 5 == 0 {
            let s = screen.lock().unwrap();
            if let Some((done, total)) = s.progress {
                println!("frame {frames:4}: downloaded {done} of {total:?}");
            }
        }
        let all_done = [&json, &download]
            .iter()
            .all(|r| r.is_finished() && !r.has_pending());
        if all_done || start.elapsed() > Duration::from_secs(30) {
            break;
        }
        // Stand-in for drawing: the rest of the frame's time budget.
        thread::sleep(frame.saturating_sub(frame_start.elapsed()));
    }
    for line in &screen.lock().unwrap().status {
        println!("{line}");
    }
    println!(
        "{frames} frames in {:?}, the loop never blocked on the network",
        start.elapsed()
    );
    Ok(())
}
