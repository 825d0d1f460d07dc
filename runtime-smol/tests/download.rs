//! `file_path` downloads: the target appears only complete, never partial.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_lite::future;
use support::server::{response, Reply, Server};
use urlrequest_smol::{Client, Error, Request, ResultValue, UrlRequest};

const SIZE: usize = 700_000;

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 256) as u8).collect()
}

fn download_server() -> Server {
    Server::start(|seen| {
        let body = pattern(SIZE);
        match seen.target.as_str() {
            "/whole" => Reply::Send(response("200 OK", &[], &body)),
            "/cut" => {
                let mut bytes = response("200 OK", &[], &body);
                bytes.truncate(bytes.len() - SIZE / 2);
                Reply::SendClose(bytes)
            }
            "/half-then-stall" => {
                let mut bytes = response("200 OK", &[], &body);
                bytes.truncate(bytes.len() - SIZE / 2);
                Reply::SendThenStall(bytes)
            }
            _ => Reply::Send(response("404 Not Found", &[], b"no such file")),
        }
    })
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_complete_body_is_renamed_into_place() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let client = Client::new();
    let resp =
        smol::block_on(client.download(Request::get(server.url("/whole")).unwrap(), &target))
            .unwrap();
    assert_eq!(resp.status(), 200);
    // Not collected in memory: the file is the body.
    assert!(resp.bytes().is_none());
    assert_eq!(std::fs::read(&target).unwrap(), pattern(SIZE));
    assert_eq!(entries(dir.path()), ["out.bin"]);
}

#[test]
fn a_truncated_body_leaves_no_file() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let client = Client::new();
    let err = smol::block_on(client.download(Request::get(server.url("/cut")).unwrap(), &target))
        .unwrap_err();
    assert_eq!(err.kind_name(), "truncated", "{err}");
    assert!(
        err.request_error().is_some(),
        "an exchange failure, not a file one"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn an_existing_target_is_untouched_by_a_failed_download() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("keep.bin");
    std::fs::write(&target, b"previous").unwrap();
    let client = Client::new();
    let result =
        smol::block_on(client.download(Request::get(server.url("/cut")).unwrap(), &target));
    assert!(result.is_err());
    assert_eq!(std::fs::read(&target).unwrap(), b"previous");
    assert_eq!(entries(dir.path()), ["keep.bin"]);
}

#[test]
fn dropping_a_download_half_way_leaves_no_file() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let (got_bytes, first_bytes) = smol::channel::bounded::<()>(1);
    let finished = Arc::new(Mutex::new(false));
    let f = finished.clone();
    let req = UrlRequest::builder(server.url("/half-then-stall"))
        .file_path(&target)
        .on_progress(move |_, received, _| {
            if received > 0 {
                let _ = got_bytes.try_send(());
            }
        })
        .on_finish(move |_| *f.lock().unwrap() = true)
        .build()
        .unwrap();
    let completed = smol::block_on(future::or(
        async {
            let _ = req.send().await;
            true
        },
        async {
            let _ = first_bytes.recv().await;
            false
        },
    ));
    assert!(!completed);
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    assert!(server.wait_all_closed(Duration::from_secs(5)));
    // Abandoned: reported as a cancel, but no callback ran after the drop.
    assert!(req.is_finished());
    assert!(req.error().unwrap().is_cancelled());
    assert!(!*finished.lock().unwrap());
}

#[test]
fn cancelling_from_on_progress_runs_on_cancel_and_leaves_no_file() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let req = UrlRequest::builder(server.url("/half-then-stall"))
        .file_path(&target)
        .on_success(move |_, _| c1.lock().unwrap().push("success".into()))
        .on_cancel(move |_| c2.lock().unwrap().push("cancel".into()))
        .on_finish(move |_| c3.lock().unwrap().push("finish".into()))
        .on_progress(|req, received, _| {
            if received > 0 {
                req.cancel();
            }
        })
        .build()
        .unwrap();
    let err = smol::block_on(req.send()).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert!(req.cancel_handle().is_cancelled());
    assert_eq!(*calls.lock().unwrap(), ["cancel", "finish"]);
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    assert!(server.wait_all_closed(Duration::from_secs(5)));
}

#[test]
fn on_success_sees_the_renamed_file() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let seen_file = Arc::new(Mutex::new(None));
    let s = seen_file.clone();
    let last_progress = Arc::new(Mutex::new((0, None)));
    let lp = last_progress.clone();
    let req = UrlRequest::builder(server.url("/whole"))
        .file_path(&target)
        .on_progress(move |_, got, total| *lp.lock().unwrap() = (got, total))
        .on_success(move |req, result| {
            let path = result.as_path().unwrap();
            assert_eq!(Some(path), req.file_path());
            *s.lock().unwrap() = Some(std::fs::metadata(path).map(|m| m.len()));
        })
        .build()
        .unwrap();
    let result = smol::block_on(req.send()).unwrap();
    assert_eq!(result, ResultValue::File(target.clone()));
    assert_eq!(req.resp_status().unwrap(), 200);
    assert_eq!(
        *last_progress.lock().unwrap(),
        (SIZE as u64, Some(SIZE as u64))
    );
    let len = seen_file.lock().unwrap().take().unwrap().unwrap();
    assert_eq!(len, SIZE as u64);
    assert_eq!(std::fs::read(&target).unwrap(), pattern(SIZE));
}

#[test]
fn an_unwritable_target_is_a_file_error_naming_the_path() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no-such-dir").join("out.bin");
    let client = Client::new();
    let err = smol::block_on(client.download(Request::get(server.url("/whole")).unwrap(), &target))
        .unwrap_err();
    match &err {
        Error::File { path, source } => {
            assert_eq!(path, &target);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected a file error, got {other:?}"),
    }

    // The same through a UrlRequest: on_error, then on_finish; the response
    // head had arrived, so its status is known.
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let (c1, c2) = (calls.clone(), calls.clone());
    let req = UrlRequest::builder(server.url("/whole"))
        .file_path(&target)
        .on_error(move |_, e| c1.lock().unwrap().push(format!("error {}", e.kind_name())))
        .on_finish(move |_| c2.lock().unwrap().push("finish".into()))
        .build()
        .unwrap();
    let err = smol::block_on(req.send()).unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err:?}");
    assert_eq!(*calls.lock().unwrap(), ["error file", "finish"]);
    assert_eq!(req.resp_status().unwrap(), 200);
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn a_404_is_still_written_like_kivy() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let client = Client::new();
    let resp = smol::block_on(client.download(Request::get(server.url("/nope")).unwrap(), &target))
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(std::fs::read(&target).unwrap(), b"no such file");
}

/// A target that is not a regular file is written straight through, as in
/// the std runtime: `/dev/null` stays the device, and a FIFO's reader gets
/// the whole body (nothing is renamed over either).
#[test]
fn dev_null_and_a_fifo_are_written_straight_through() {
    let server = download_server();
    let client = Client::new();
    let resp =
        smol::block_on(client.download(Request::get(server.url("/whole")).unwrap(), "/dev/null"))
            .unwrap();
    assert_eq!(resp.status(), 200);
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    smol::block_on(client.download(Request::get(server.url("/whole")).unwrap(), &fifo)).unwrap();
    assert_eq!(reader.join().unwrap(), pattern(SIZE));
    assert_eq!(entries(dir.path()), ["pipe"], "no temporary file beside it");
}
