//! `urlreq` undoes content codings unless `--raw`, and `--connect-timeout`
//! bounds getting a connection ready.

use std::net::TcpListener;
use std::process::{Command, Output};
use std::thread;

use urlrequest_conformance::test_server::{respond, serve, Server};

/// gzip of "hello, gzip\n" (mtime 0).
const GZ: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\xd7\x51\x48\xaf\xca\x2c\xe0\x02\x00\x86\x1f\x82\xa4\x0c\x00\x00\x00";

fn urlreq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_urlreq"))
        .args(args)
        .output()
        .expect("urlreq runs")
}

/// /gz: a gzip body; /ae: the request's Accept-Encoding (or "-").
fn server() -> Server {
    serve(|req, w| {
        match req.target.as_str() {
            "/gz" => respond(w, "200 OK", &[("Content-Encoding", "gzip")], GZ)?,
            "/ae" => {
                let ae = req.header("accept-encoding").unwrap_or("-").to_string();
                respond(w, "200 OK", &[], ae.as_bytes())?
            }
            _ => respond(w, "404 Not Found", &[], b"")?,
        }
        Ok(true)
    })
}

#[test]
fn bodies_are_decoded_unless_raw() {
    let s = server();
    let o = urlreq(&[&s.url("/gz")]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, b"hello, gzip\n");
    let o = urlreq(&[&s.url("/ae")]);
    assert_eq!(o.stdout, b"gzip, deflate, br, zstd");

    let o = urlreq(&["--raw", &s.url("/gz")]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, GZ);
    let o = urlreq(&["--raw", &s.url("/ae")]);
    assert_eq!(o.stdout, b"-", "no Accept-Encoding with --raw");
}

#[test]
fn connect_timeout_names_the_tls_handshake() {
    // Takes connections and never says a word.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for s in listener.incoming().flatten() {
            thread::spawn(move || {
                let _ = std::io::copy(&mut &s, &mut std::io::sink());
            });
        }
    });
    let url = format!("https://127.0.0.1:{port}/");
    let o = urlreq(&["--connect-timeout", "0.3", &url]);
    assert_eq!(o.status.code(), Some(28), "curl's timeout code");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("timed out after 300ms while performing the TLS handshake"),
        "{err}"
    );
}

#[test]
fn connect_timeout_must_be_a_positive_duration() {
    for bad in ["-1", "0", "1e30", "nan"] {
        let o = urlreq(&["http://a/", "--connect-timeout", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
}
