//! Multipart bodies streamed from disk: the same bytes as the in-memory
//! encoder, sent with their length, resent after a 307, and a given
//! boundary that occurs in a file refused.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use urlrequest_conformance::test_server::{respond, serve};
use urlrequest_std::{Agent, Multipart, MultipartUpload, Request};

/// A fresh directory for one test.
fn tempdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mp-upload-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read_all(upload: &mut urlrequest_std::Upload) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 7]; // small pieces: reads cross segment ends
    loop {
        let n = upload.read(&mut buf).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Files: text, binary over a read size, empty, and one holding text that
/// looks like delimiters.
fn files(dir: &std::path::Path) -> Vec<(PathBuf, Vec<u8>)> {
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut tricky = b"x--".to_vec();
    tricky.extend_from_slice(b"urlrequest-0123456789abcdef\r\n--XYZ--");
    vec![
        (dir.join("a.txt"), b"hello\r\n".to_vec()),
        (dir.join("big.bin"), big),
        (dir.join("empty"), Vec::new()),
        (dir.join("tricky.txt"), tricky),
    ]
}

fn forms(dir: &std::path::Path) -> (MultipartUpload, Multipart) {
    let mut streamed = MultipartUpload::new().text("title", "Notes \"1\"");
    let mut memory = Multipart::new().text("title", "Notes \"1\"");
    for (i, (path, data)) in files(dir).into_iter().enumerate() {
        std::fs::write(&path, &data).unwrap();
        let ct = if i == 1 { "" } else { "text/plain" };
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        streamed = streamed.file(format!("f{i}"), &path, ct);
        memory = memory.file(format!("f{i}"), name, ct, data);
    }
    (streamed.text("tail", "end"), memory.text("tail", "end"))
}

#[test]
fn streamed_bytes_equal_the_in_memory_encoding() {
    let dir = tempdir("equal");
    let (streamed, memory) = forms(&dir);
    let (boundary, body) = memory.encode().unwrap();
    let (content_type, mut upload) = streamed.into_upload().unwrap();
    assert_eq!(
        content_type,
        format!("multipart/form-data; boundary={boundary}")
    );
    assert_eq!(upload.body_stream().length, Some(body.len() as u64));
    assert!(upload.body_stream().replayable);
    assert_eq!(read_all(&mut upload), body.as_ref());
    // Again from the start, as for a redirect.
    upload.rewind().unwrap();
    assert_eq!(read_all(&mut upload), body.as_ref());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn given_boundary_equal_bytes_and_a_derived_one_avoids_file_contents() {
    let dir = tempdir("given");
    let (streamed, memory) = forms(&dir);
    let (_, body) = memory.clone().boundary("XY Z").encode().unwrap();
    let (ct, mut upload) = streamed.boundary("XY Z").into_upload().unwrap();
    assert_eq!(ct, "multipart/form-data; boundary=XY Z");
    assert_eq!(read_all(&mut upload), body.as_ref());

    // A file made of boundaries the encoder derived for earlier versions of
    // its content (would-be boundaries): the streamed body still equals the
    // in-memory encoding and its boundary is not in the file.
    let first = {
        let (b, _) = Multipart::new()
            .file("f", "c.bin", "", Vec::new())
            .encode()
            .unwrap();
        b
    };
    let path = dir.join("c.bin");
    let mut content = Vec::new();
    let mut planted = first;
    for _ in 0..8 {
        content.extend_from_slice(planted.as_bytes());
        let (b, _) = Multipart::new()
            .file("f", "c.bin", "", content.clone())
            .encode()
            .unwrap();
        planted = b;
    }
    std::fs::write(&path, &content).unwrap();
    let (b, body) = Multipart::new()
        .file("f", "c.bin", "", content.clone())
        .encode()
        .unwrap();
    let (ct, mut upload) = MultipartUpload::new()
        .file("f", &path, "")
        .into_upload()
        .unwrap();
    assert_eq!(ct, format!("multipart/form-data; boundary={b}"));
    let sent = read_all(&mut upload);
    assert_eq!(sent, body.as_ref());
    assert!(!content.windows(b.len()).any(|w| w == b.as_bytes()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_given_boundary_found_in_a_file_or_text_is_refused() {
    let dir = tempdir("refused");
    let path = dir.join("f.bin");
    // The boundary straddles the scanner's 64 KiB pieces.
    let mut data = vec![b'a'; 65536 - 2];
    data.extend_from_slice(b"BOUND");
    data.extend_from_slice(&[b'a'; 100]);
    std::fs::write(&path, &data).unwrap();
    let e = MultipartUpload::new()
        .boundary("BOUND")
        .file("f", &path, "")
        .into_upload()
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(e.to_string(), "the boundary \"BOUND\" occurs in a part");
    let e = MultipartUpload::new()
        .boundary("BOUND")
        .text("t", "xBOUNDx")
        .into_upload()
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    let e = MultipartUpload::new()
        .boundary("bad\"")
        .text("t", "x")
        .into_upload()
        .unwrap_err();
    assert!(e.to_string().contains("outside RFC 2046"), "{e}");
    let e = MultipartUpload::new()
        .file("f", dir.join("missing"), "")
        .into_upload()
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_server_receives_the_encoded_bytes_and_a_307_resends_them() {
    let dir = tempdir("server");
    let (streamed, memory) = forms(&dir);
    let (boundary, body) = memory.encode().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = serve(move |req, w| {
        log.lock().unwrap().push(req.clone());
        if req.target == "/first" {
            respond(w, "307 Temporary Redirect", &[("Location", "/second")], b"")?;
        } else {
            respond(w, "200 OK", &[], b"ok")?;
        }
        Ok(true)
    });
    let (ct, upload) = streamed.into_upload().unwrap();
    let builder = Request::builder(server.url("/first"))
        .method("POST")
        .header("Content-Type", ct.as_str());
    let response = Agent::new().upload(builder, upload).unwrap();
    assert_eq!(response.status(), 200);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for (req, target) in seen.iter().zip(["/first", "/second"]) {
        assert_eq!(req.target, target);
        assert_eq!(req.method, "POST");
        assert_eq!(
            req.header("content-type").unwrap(),
            format!("multipart/form-data; boundary={boundary}")
        );
        assert_eq!(
            req.header("content-length").unwrap(),
            body.len().to_string()
        );
        assert!(req.header("transfer-encoding").is_none());
        assert_eq!(req.body, body.as_ref());
    }
    drop(seen);
    std::fs::remove_dir_all(&dir).unwrap();
}
