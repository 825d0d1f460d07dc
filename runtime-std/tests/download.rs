//! `file_path` downloads: atomic rename on success, nothing left behind on
//! failure or cancel, and cancel that takes effect mid-body at once.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{respond, serve};
use urlrequest_std::{ResultValue, UrlRequest};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("urlrequest-download-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[test]
fn download_is_renamed_into_place_and_result_is_the_path() {
    let body = pattern(300_000);
    let served = body.clone();
    let server = serve(move |_, w| {
        respond(w, "200 OK", &[], &served)?;
        Ok(true)
    });
    let dir = scratch("ok");
    let target = dir.join("data.bin");
    fs::write(&target, b"previous").unwrap();
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = progress.clone();
    let req = UrlRequest::builder(server.url("/data"))
        .file_path(&target)
        .chunk_size(65536)
        .on_progress(move |_, cur, total| p.lock().unwrap().push((cur, total)))
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(20)));
    assert_eq!(req.result(), Some(ResultValue::File(target.clone())));
    assert_eq!(fs::read(&target).unwrap(), body);
    assert_eq!(listing(&dir), vec!["data.bin"], "no temporary file left");
    let last = *progress.lock().unwrap().last().unwrap();
    assert_eq!(last, (300_000, Some(300_000)));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cancel_mid_body_stops_at_once_and_leaves_no_file() {
    // The server sends part of a large body and then holds the connection
    // open without sending more, until the test ends: only a cancel that
    // closes the socket can end the request.
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let server = serve(move |_, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n")?;
        w.write_all(&pattern(200_000))?;
        w.flush()?;
        let _ = rx.lock().unwrap().recv();
        Ok(false)
    });
    let dir = scratch("cancel");
    let target = dir.join("big.bin");
    fs::write(&target, b"keep me").unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let cancelled_at = Arc::new(Mutex::new(None));
    let c = cancelled_at.clone();
    let req = UrlRequest::builder(server.url("/big"))
        .file_path(&target)
        .on_progress(move |req, cur, _| {
            if cur >= 100_000 && c.lock().unwrap().is_none() {
                *c.lock().unwrap() = Some(Instant::now());
                req.cancel();
            }
        })
        .on_cancel(move |_| l1.lock().unwrap().push("cancel"))
        .on_error(move |_, _| l2.lock().unwrap().push("error"))
        .on_finish(move |_| l3.lock().unwrap().push("finish"))
        .build()
        .unwrap();
    assert!(
        req.wait(Duration::from_secs(20)),
        "cancel must end a stalled download"
    );
    let took = cancelled_at.lock().unwrap().unwrap().elapsed();
    assert!(took < Duration::from_secs(5), "cancel took {took:?}");
    assert_eq!(*log.lock().unwrap(), vec!["cancel", "finish"]);
    assert!(req.error().unwrap().is_cancelled());
    assert!(req.result().is_none());
    assert_eq!(fs::read(&target).unwrap(), b"keep me", "target untouched");
    assert_eq!(listing(&dir), vec!["big.bin"], "no temporary file left");
    let _ = tx.send(());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cancel_from_another_thread_without_progress_callback() {
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let started_tx = Mutex::new(started_tx);
    let server = serve(move |_, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc")?;
        w.flush()?;
        started_tx.lock().unwrap().send(()).unwrap();
        let _ = rx.lock().unwrap().recv();
        Ok(false)
    });
    let dir = scratch("cancel2");
    let target = dir.join("x.bin");
    let req = UrlRequest::builder(server.url("/"))
        .file_path(&target)
        .build()
        .unwrap();
    started_rx.recv().unwrap();
    let handle = req.cancel_handle();
    std::thread::spawn(move || handle.cancel()).join().unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert!(req.error().unwrap().is_cancelled());
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
    let _ = tx.send(());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn truncated_download_leaves_nothing() {
    let server = serve(|_, w| {
        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")?;
        w.write_all(&pattern(1234))?;
        Ok(false) // close early
    });
    let dir = scratch("trunc");
    let target = dir.join("t.bin");
    let req = UrlRequest::builder(server.url("/"))
        .file_path(&target)
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(req.error().unwrap().kind_name(), "truncated");
    assert!(listing(&dir).is_empty());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unwritable_target_is_an_error() {
    let server = serve(|_, w| {
        respond(w, "200 OK", &[], b"data")?;
        Ok(true)
    });
    let dir = scratch("nodir");
    let target = dir.join("missing-dir").join("f.bin");
    let req = UrlRequest::builder(server.url("/"))
        .file_path(&target)
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    let err = req.error().unwrap();
    assert_eq!(err.kind_name(), "file");
    assert!(err.to_string().contains("missing-dir"), "{err}");
    fs::remove_dir_all(dir).unwrap();
}
