//! `urlreq -T FILE`: the body streamed from a file.

use std::process::Command;

use urlrequest_conformance::test_server::{respond, serve};

#[test]
fn upload_file_is_put_with_its_length_and_bytes() {
    let server = serve(|req, w| {
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
    let dir = std::env::temp_dir().join(format!("urlreq-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.bin");
    let data: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::write(&file, &data).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_urlreq"))
        .args(["-T", file.to_str().unwrap(), &server.url("/up")])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut want = b"PUT 200000|".to_vec();
    want.extend_from_slice(&data);
    assert!(out.stdout == want, "got {} bytes", out.stdout.len());
}

#[test]
fn a_missing_upload_file_is_a_read_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_urlreq"))
        .args(["-T", "/nonexistent/urlreq-upload", "http://127.0.0.1:9/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(26), "curl's read error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read /nonexistent/urlreq-upload"),
        "{err}"
    );
}
