//! Callbacks that belong to the building thread: `dispatch_all` runs every
//! request's queued callbacks there (no list kept by the caller, handles
//! may be dropped), and `.local()` callbacks need not be `Send` and never
//! run on another thread.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use support::{respond, serve};
use urlrequest_std::{dispatch_all, UrlRequest};

fn server() -> support::Server {
    serve(|req, w| {
        respond(w, "200 OK", &[], req.target.as_bytes())?;
        Ok(true)
    })
}

/// Calls `dispatch_all` until `done` holds, failing after ten seconds.
fn dispatch_until(done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "callbacks never came"
        );
        dispatch_all();
        std::thread::yield_now();
    }
}

#[test]
fn local_callbacks_hold_rc_state_and_reach_dispatch_all_with_the_handle_dropped() {
    let server = server();
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    for path in ["/a", "/b", "/c"] {
        let (s, f) = (seen.clone(), seen.clone());
        let here = std::thread::current().id();
        // Dropped at once: the request runs on and its callbacks wait for
        // this thread.
        let _ = UrlRequest::builder(server.url(path))
            .local()
            .on_success(move |_, r| {
                assert_eq!(std::thread::current().id(), here);
                let body = String::from_utf8_lossy(r.as_bytes().unwrap()).into_owned();
                s.borrow_mut().push(format!("success {body}"));
            })
            .on_finish(move |_| f.borrow_mut().push("finish".into()))
            .build()
            .unwrap();
    }
    dispatch_until(|| seen.borrow().len() == 6);
    let mut got = seen.borrow().clone();
    got.sort();
    assert_eq!(
        got,
        [
            "finish",
            "finish",
            "finish",
            "success /a",
            "success /b",
            "success /c"
        ]
    );
}

#[test]
fn another_thread_never_runs_local_callbacks() {
    let server = server();
    let ran: Rc<RefCell<u32>> = Rc::default();
    let r = ran.clone();
    let req = UrlRequest::builder(server.url("/x"))
        .local()
        .on_finish(move |_| *r.borrow_mut() += 1)
        .build()
        .unwrap();
    let other = req.clone();
    let handled_elsewhere = std::thread::spawn(move || {
        // Waits for the outcome (not for callbacks it may not run), then
        // tries to dispatch them.
        while !other.has_outcome() {
            std::thread::yield_now();
        }
        other.dispatch_pending()
    })
    .join()
    .unwrap();
    assert_eq!(handled_elsewhere, 0, "nothing dispatched on another thread");
    assert_eq!(*ran.borrow(), 0);
    assert!(req.has_pending());
    assert!(
        req.wait(Duration::from_secs(10)),
        "the owner's wait runs them"
    );
    assert_eq!(*ran.borrow(), 1);
}

#[test]
fn dispatch_all_serves_requests_with_send_callbacks_too() {
    let server = server();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for path in ["/1", "/2"] {
        let c = count.clone();
        let _ = UrlRequest::builder(server.url(path))
            .on_finish(move |_| {
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
            .build()
            .unwrap();
    }
    dispatch_until(|| count.load(std::sync::atomic::Ordering::SeqCst) == 2);
    assert_eq!(dispatch_all(), 0, "nothing left once settled");
}
