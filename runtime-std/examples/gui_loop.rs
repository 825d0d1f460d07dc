//! A GUI-style frame loop: requests run on worker threads, and the loop
//! calls `dispatch_all()` once a frame so every request's callbacks run on
//! the "UI" thread without ever blocking it (the analogue of Kivy's Clock).
//! The callbacks touch `Rc<RefCell<..>>` state, as widget code does: they
//! are built with `.local()`, so they need not be `Send`, and they only
//! ever run on this thread. The loop keeps no list of its requests.
//!
//! Runs offline against a loopback server it starts itself:
//! `cargo run -p urlrequest-std --example gui_loop`

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use urlrequest_std::UrlRequest;

/// What the "UI" shows; only ever touched on the UI thread.
#[derive(Default)]
struct Screen {
    status: Vec<String>,
    progress: Option<(u64, Option<u64>)>,
    finished: usize,
}

fn main() -> Result<(), urlrequest_std::Error> {
    let addr = common::start();
    let screen = Rc::new(RefCell::new(Screen::default()));

    let (s, f) = (screen.clone(), screen.clone());
    // The handle is not kept: the request runs on, and its callbacks reach
    // this thread's dispatch_all.
    let _ = UrlRequest::builder(format!("http://{addr}/json"))
        .local()
        .on_success(move |_, r| {
            s.borrow_mut()
                .status
                .push(format!("json: {:?}", r.as_json()))
        })
        .on_finish(move |_| f.borrow_mut().finished += 1)
        .build()?;
    let (s1, s2, f) = (screen.clone(), screen.clone(), screen.clone());
    let _ = UrlRequest::builder(format!("http://{addr}/download/4000000"))
        .chunk_size(128 * 1024)
        .local()
        .on_progress(move |_, done, total| s1.borrow_mut().progress = Some((done, total)))
        .on_success(move |_, r| {
            let n = r.as_bytes().map_or(0, |b| b.len());
            s2.borrow_mut().status.push(format!("download: {n} bytes"));
        })
        .on_finish(move |_| f.borrow_mut().finished += 1)
        .build()?;

    let frame = Duration::from_millis(16);
    let start = Instant::now();
    let mut frames = 0;
    loop {
        let frame_start = Instant::now();
        // The whole network side of the frame: run what is due, never wait.
        urlrequest_std::dispatch_all();
        frames += 1;
        if frames % 5 == 0 {
            if let Some((done, total)) = screen.borrow().progress {
                println!("frame {frames:4}: downloaded {done} of {total:?}");
            }
        }
        if screen.borrow().finished == 2 || start.elapsed() > Duration::from_secs(30) {
            break;
        }
        // Stand-in for drawing: the rest of the frame's time budget.
        thread::sleep(frame.saturating_sub(frame_start.elapsed()));
    }
    for line in &screen.borrow().status {
        println!("{line}");
    }
    println!(
        "{frames} frames in {:?}, the loop never blocked on the network",
        start.elapsed()
    );
    Ok(())
}
