//! `file_path` downloads: the target appears only complete, never partial.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_lite::future;
use support::server::{response, Reply, Server};
use urlrequest_smol::{Callbacks, Client, Error, Request};

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
    let client = Client::new();
    let (got_bytes, first_bytes) = smol::channel::bounded::<()>(1);
    let callbacks = Callbacks::new()
        .file_path(&target)
        .on_progress(move |received, _| {
            if received > 0 {
                let _ = got_bytes.try_send(());
            }
        });
    let req = Request::get(server.url("/half-then-stall")).unwrap();
    let finished = smol::block_on(future::or(
        async {
            let _ = callbacks.run(&client, req).await;
            true
        },
        async {
            let _ = first_bytes.recv().await;
            false
        },
    ));
    assert!(!finished);
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    assert!(server.wait_all_closed(Duration::from_secs(5)));
}

#[test]
fn cancelling_a_callback_download_runs_on_cancel_and_leaves_no_file() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let client = Client::new();
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let callbacks = Callbacks::new()
        .file_path(&target)
        .on_success(move |_| c1.lock().unwrap().push("success".into()))
        .on_cancel(move || c2.lock().unwrap().push("cancel".into()))
        .on_finish(move || c3.lock().unwrap().push("finish".into()));
    let cancel = callbacks.cancel_handle();
    let cancel_on_progress = cancel.clone();
    let callbacks = callbacks.on_progress(move |received, _| {
        if received > 0 {
            cancel_on_progress.cancel();
        }
    });
    let req = Request::get(server.url("/half-then-stall")).unwrap();
    let err = smol::block_on(callbacks.run(&client, req)).unwrap_err();
    assert_eq!(err, Error::Cancelled);
    assert!(cancel.is_cancelled());
    assert_eq!(*calls.lock().unwrap(), ["cancel", "finish"]);
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    assert!(server.wait_all_closed(Duration::from_secs(5)));
}

#[test]
fn callbacks_with_file_path_report_success_after_the_rename() {
    let server = download_server();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let client = Client::new();
    let seen_file = Arc::new(Mutex::new(None));
    let (t, s) = (target.clone(), seen_file.clone());
    let last_progress = Arc::new(Mutex::new((0, None)));
    let lp = last_progress.clone();
    let result = smol::block_on(
        Callbacks::new()
            .file_path(&target)
            .on_progress(move |got, total| *lp.lock().unwrap() = (got, total))
            .on_success(move |_| *s.lock().unwrap() = Some(std::fs::metadata(&t).map(|m| m.len())))
            .run(&client, Request::get(server.url("/whole")).unwrap()),
    );
    assert_eq!(result.unwrap().status(), 200);
    assert_eq!(
        *last_progress.lock().unwrap(),
        (SIZE as u64, Some(SIZE as u64))
    );
    let len = seen_file.lock().unwrap().take().unwrap().unwrap();
    assert_eq!(len, SIZE as u64);
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
