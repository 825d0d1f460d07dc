//! Streamed request bodies from futures-io readers.

use urlrequest_conformance::test_server::{respond, serve};
use urlrequest_smol::{AsyncUpload, Client, Request};

#[test]
fn an_async_reader_goes_with_content_length() {
    let s = serve(|req, w| {
        let mut body = format!(
            "{} {}|",
            req.method,
            req.header("content-length").unwrap_or("-")
        )
        .into_bytes();
        body.extend_from_slice(&req.body);
        respond(w, "200 OK", &[], &body)?;
        Ok(true)
    });
    let data: Vec<u8> = (0..150_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let upload =
        AsyncUpload::from_async_read(futures_lite::io::Cursor::new(data.clone()), Some(150_000));
    let r = smol::block_on(Client::new().upload(Request::builder(s.url("/up")), upload)).unwrap();
    let mut want = b"POST 150000|".to_vec();
    want.extend_from_slice(&data);
    assert!(r.bytes().unwrap().as_ref() == &want[..]);
}

#[test]
fn an_async_file_is_sent_again_after_a_308() {
    let s = serve(|req, w| {
        if req.target == "/a" {
            respond(w, "308 Permanent Redirect", &[("Location", "/b")], b"")?;
        } else {
            respond(w, "200 OK", &[], &req.body)?;
        }
        Ok(true)
    });
    let upload = AsyncUpload::from_async_file(futures_lite::io::Cursor::new(b"again".to_vec()), 5);
    let r = smol::block_on(Client::new().upload(Request::builder(s.url("/a")), upload)).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().unwrap().as_ref(), b"again");
}

#[test]
fn a_url_request_upload_reports_progress_in_the_task() {
    use std::sync::{Arc, Mutex};
    let s = serve(|req, w| {
        respond(w, "200 OK", &[], format!("{}", req.body.len()).as_bytes())?;
        Ok(true)
    });
    let progress = Arc::new(Mutex::new(Vec::new()));
    let p = progress.clone();
    let req = urlrequest_smol::UrlRequest::builder(s.url("/kivy"))
        .upload(urlrequest_smol::Upload::from_reader(
            &[7u8; 70_000][..],
            Some(70_000),
        ))
        .on_upload_progress(move |sent, total| p.lock().unwrap().push((sent, total)))
        .build()
        .unwrap();
    let result = smol::block_on(req.send()).unwrap();
    assert!(format!("{result:?}").contains("70000"), "{result:?}");
    let progress = progress.lock().unwrap();
    assert_eq!(progress.last(), Some(&(70_000, Some(70_000))));
    assert_eq!(progress.len(), 2, "64 KiB then the rest: {progress:?}");
}
