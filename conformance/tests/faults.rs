//! Faults through every socket runtime (std, smol, tokio): every fault ends in a `Failure` whose
//! kind and message say what happened, and the client that met it is still
//! good for the next request. Truncation at every stage and stalls are also
//! in the case suite (all drivers); these are the faults that need real
//! sockets: refused, unresolvable, reset, silent servers, trickling servers,
//! TLS failures, dead and refusing proxies, early answers, stray bytes.

mod fault_support;

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use fault_support::{answer, read_head, request, Clients, FaultServer, OK, RUNTIMES};
use urlrequest_conformance::{CertKind, TestCa};
use urlrequest_core::{Proxy, Request};

#[test]
fn refused_connection() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    Clients::new().expect_failure(
        &request(&format!("http://127.0.0.1:{port}/")),
        "connect",
        "refused",
    );
}

#[test]
fn unresolvable_host() {
    Clients::new().expect_failure(
        &request("http://no-such-host.invalid/"),
        "dns",
        "no-such-host.invalid",
    );
}

#[test]
fn server_closes_mid_head() {
    let s = FaultServer::start(answer(b"HTTP/1.1 200 OK\r\nContent-Le", true));
    Clients::new().expect_failure(
        &request(&s.url("/")),
        "truncated",
        "incomplete response head",
    );
}

#[test]
fn server_closes_right_after_the_head() {
    let s = FaultServer::start(answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        true,
    ));
    Clients::new().expect_failure(
        &request(&s.url("/")),
        "truncated",
        "response ended after 0 of 10 body bytes",
    );
}

#[test]
fn server_closes_mid_body() {
    let s = FaultServer::start(answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd",
        true,
    ));
    Clients::new().expect_failure(
        &request(&s.url("/")),
        "truncated",
        "response ended after 4 of 10 body bytes",
    );
}

#[test]
fn server_closes_mid_chunk() {
    let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
    let s = FaultServer::start(answer(reply, true));
    Clients::new().expect_failure(
        &request(&s.url("/")),
        "truncated",
        "inside chunk #1 after 2 of its 5 bytes",
    );
}

#[test]
fn connection_reset_mid_body() {
    let s = FaultServer::start(|s: TcpStream| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        if read_head(&mut r) {
            let mut w = &s;
            let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
            let _ = w.flush();
            // Linger 0: close sends a reset instead of a clean end of stream.
            let sock = linger_zero(&s);
            drop(sock);
        }
    });
    let clients = Clients::new();
    for (runtime, outcome) in clients.all(&request(&s.url("/"))) {
        let err = outcome.expect_err(runtime);
        // A reset may reach the client as a reset or, if it raced the last
        // bytes, as a plain end of stream: both must name what was lost.
        assert!(
            (err.starts_with("io: connection failed: read: ")
                && err.to_lowercase().contains("reset"))
                || err.starts_with("truncated: response ended after 3 of 100"),
            "{runtime}: {err}"
        );
    }
}

/// Sets SO_LINGER to zero through a duplicate of the socket, so dropping
/// both ends the connection with a reset.
fn linger_zero(s: &TcpStream) -> TcpStream {
    let dup = s.try_clone().unwrap();
    rustix::net::sockopt::set_socket_linger(&dup, Some(Duration::ZERO)).unwrap();
    dup
}

#[test]
fn server_that_never_answers_times_out() {
    let s = FaultServer::start(|s: TcpStream| {
        let mut r = BufReader::new(s);
        let _ = read_head(&mut r);
        // Hold the connection open and say nothing until the client leaves.
        let _ = std::io::copy(&mut r, &mut std::io::sink());
    });
    let req = Request::builder(s.url("/"))
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let t = Instant::now();
    Clients::new().expect_failure(
        &req,
        "timeout",
        "timed out after 400ms while waiting for the response head",
    );
    assert!(t.elapsed() < Duration::from_secs(10));
}

/// Sends `reply` one byte every 100 ms.
fn trickle(reply: &'static [u8]) -> impl Fn(TcpStream) + Send + Sync {
    move |s: TcpStream| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        if read_head(&mut r) {
            let mut w = &s;
            for b in reply {
                if w.write_all(&[*b]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

#[test]
fn slowloris_head_fails_at_the_timeout() {
    let s = FaultServer::start(trickle(
        b"HTTP/1.1 200 OK\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
    ));
    let req = Request::builder(s.url("/"))
        .timeout(Duration::from_millis(700))
        .build()
        .unwrap();
    let t = Instant::now();
    Clients::new().expect_failure(&req, "timeout", "while waiting for the response head");
    // Three runtimes, each bounded by the 700 ms head deadline (not by the
    // 4.5 s the whole head would take), plus the health check.
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

#[test]
fn slowloris_body_fails_at_the_total_timeout() {
    let s = FaultServer::start(|s: TcpStream| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        if read_head(&mut r) {
            let mut w = &s;
            let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            for _ in 0..1000 {
                if w.write_all(b"z").is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
    });
    let req = Request::builder(s.url("/"))
        .timeout(Duration::from_millis(700))
        .total_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    Clients::new().expect_failure(
        &req,
        "timeout",
        "timed out after 1s while reading the response body",
    );
}

#[test]
fn tls_handshake_failure() {
    // A plain-HTTP server where the client expects TLS.
    let s = FaultServer::start(answer(OK, false));
    let url = format!("https://127.0.0.1:{}/", s.port);
    Clients::new().expect_failure(&request(&url), "tls", "");
}

/// A TLS server presenting a certificate of `kind` from the test CA.
fn tls_server(kind: CertKind) -> FaultServer {
    let config = TestCa::trusted().server_config(&["127.0.0.1"], kind);
    FaultServer::start(move |s: TcpStream| {
        let conn = rustls::ServerConnection::new(config.clone()).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, s);
        // The handshake runs inside the first read; it fails for every
        // certificate the client refuses.
        let mut r = BufReader::new(&mut tls);
        if read_head(&mut r) {
            let _ = tls.write_all(OK);
        }
    })
}

#[test]
fn tls_certificate_failures_read_the_same_in_every_runtime() {
    let clients = Clients::trusting_test_ca();
    let valid = tls_server(CertKind::Valid);
    let url = format!("https://127.0.0.1:{}/", valid.port);
    for (runtime, outcome) in clients.all(&request(&url)) {
        assert_eq!(outcome, Ok(200), "{runtime}");
    }
    for (kind, says) in [
        (
            CertKind::WrongHost,
            "the certificate belongs to another host name",
        ),
        (CertKind::UnknownCa, "not signed by a trusted authority"),
        (CertKind::Expired, "the certificate has expired"),
    ] {
        let s = tls_server(kind);
        let url = format!("https://127.0.0.1:{}/", s.port);
        clients.expect_failure(&request(&url), "tls", says);
    }
}

#[test]
fn server_that_hangs_up_mid_handshake() {
    // Reads the client's hello, then closes without a word.
    let s = FaultServer::start(|s: TcpStream| {
        let mut hello = [0u8; 5];
        let _ = (&s).read_exact(&mut hello);
        let _ = s.shutdown(Shutdown::Both);
    });
    let url = format!("https://127.0.0.1:{}/", s.port);
    Clients::new().expect_failure(
        &request(&url),
        "tls",
        "TLS handshake with 127.0.0.1 failed: the server closed the connection",
    );
}

fn refusing_proxy(status: &'static str) -> FaultServer {
    FaultServer::start(move |s: TcpStream| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        if read_head(&mut r) {
            let mut w = &s;
            let _ = write!(w, "HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
        }
    })
}

#[test]
fn dead_proxy_is_named_with_its_source() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for url in ["http://example.test/", "https://example.test/"] {
        let req = Request::builder(url)
            .timeout(Duration::from_secs(2))
            .proxy(Proxy::new("127.0.0.1", port).unwrap())
            .build()
            .unwrap();
        Clients::new().expect_failure(
            &req,
            "connect",
            &format!("could not connect to proxy 127.0.0.1:{port} (from the proxy setting): "),
        );
    }
}

#[test]
fn proxy_refuses_connect_403_and_407() {
    for (status, code) in [
        ("403 Forbidden", "403"),
        ("407 Proxy Authentication Required", "407"),
    ] {
        let proxy = refusing_proxy(status);
        let req = Request::builder("https://example.test/")
            .timeout(Duration::from_secs(2))
            .proxy(Proxy::new("127.0.0.1", proxy.port).unwrap())
            .build()
            .unwrap();
        Clients::new().expect_failure(
            &req,
            "proxy-refused",
            &format!(
                "proxy 127.0.0.1:{} (from the proxy setting) refused CONNECT with status {code}",
                proxy.port
            ),
        );
    }
}

#[test]
fn early_response_before_the_body_is_written() {
    // The server answers 413 after the head and closes without reading the
    // 8 MiB body: the client either reads the answer or says that the
    // server hung up while the request was being written.
    let s = FaultServer::start(|s: TcpStream| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        if read_head(&mut r) {
            let mut w = &s;
            let _ = w.write_all(
                b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            );
            let _ = s.shutdown(Shutdown::Both);
        }
    });
    let req = Request::builder(s.url("/upload"))
        .timeout(Duration::from_secs(2))
        .body(vec![b'x'; 8 << 20])
        .build()
        .unwrap();
    let clients = Clients::new();
    for (runtime, outcome) in clients.all(&req) {
        match outcome {
            Ok(status) => assert_eq!(status, 413, "{runtime}"),
            Err(e) => assert!(
                e.starts_with("io: ") || e.starts_with("truncated: "),
                "{runtime}: a clear write failure, not {e:?}"
            ),
        }
    }
}

#[test]
fn extra_bytes_after_a_response_are_never_the_next_response() {
    // Every response is followed by a forged second one; a client that
    // reused the connection would read it as the answer to its next request.
    let s = FaultServer::start(answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 299 Forged\r\nContent-Length: 0\r\n\r\n",
        false,
    ));
    let clients = Clients::new();
    for _ in 0..3 {
        for (runtime, outcome) in clients.all(&request(&s.url("/"))) {
            assert_eq!(outcome, Ok(200), "{runtime}");
        }
    }
    assert_eq!(
        s.accepted.load(Ordering::SeqCst),
        3 * RUNTIMES.len(),
        "no connection was reused"
    );
}

#[test]
fn tls_server_that_never_answers_the_handshake_meets_the_connect_timeout() {
    // Takes the connection and the client's hello, and says nothing.
    let s = FaultServer::start(|s: TcpStream| {
        let _ = std::io::copy(&mut &s, &mut std::io::sink());
    });
    let req = Request::builder(format!("https://127.0.0.1:{}/", s.port))
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let t = Instant::now();
    Clients::new().expect_failure(
        &req,
        "timeout",
        "timed out after 300ms while performing the TLS handshake",
    );
    // Four runtimes and the health check: far less than the 20 s timeout.
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn proxy_that_never_answers_connect_meets_the_connect_timeout() {
    let proxy = FaultServer::start(|s: TcpStream| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let _ = read_head(&mut r);
        let _ = std::io::copy(&mut r, &mut std::io::sink());
    });
    let req = Request::builder("https://example.test/")
        .proxy(Proxy::new("127.0.0.1", proxy.port).unwrap())
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    Clients::new().expect_failure(
        &req,
        "timeout",
        &format!(
            "proxy 127.0.0.1:{} (from the proxy setting): \
             timed out after 300ms while setting up the proxy tunnel",
            proxy.port
        ),
    );
}
