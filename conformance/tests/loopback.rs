//! Every case over real loopback sockets: the scripted TCP server, driven by
//! a minimal blocking client written here (plain `std::net::TcpStream` and the
//! core's `Exchange`), must give exactly the in-memory traces.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use urlrequest_conformance::{
    builtin_cases, run_in_memory, run_over_loopback, run_suite, LoopbackDriver, Role,
    ScriptedServer,
};
use urlrequest_core::{Action, Event, Exchange, Pool, Request, TransportError};

/// How long the test driver waits for a silent server when the request has
/// no timeout of its own, before calling the run broken.
const SAFETY: Duration = Duration::from_secs(10);

/// Runs one request to completion with blocking sockets.
fn fetch_blocking(request: Request) -> Result<Vec<Event>, String> {
    let started = Instant::now();
    let mut ex = Exchange::new(request, started);
    let mut pool: Pool<TcpStream> = Pool::new(Duration::from_secs(30), 4);
    let mut conn: Option<TcpStream> = None;
    let mut events = Vec::new();
    // A streamed request body: the suite says which one for the case.
    let mut source = urlrequest_conformance::upload::current_upload().map(|u| u.reader());
    loop {
        while let Some(e) = ex.poll_event() {
            events.push(e);
        }
        if ex.is_finished() {
            return Ok(events);
        }
        if started.elapsed() > 3 * SAFETY {
            return Err(format!("no end after {:?}: {ex:?}", 3 * SAFETY));
        }
        let now = Instant::now();
        // Time left before the core's deadline, or the safety limit.
        let budget = match ex.poll_timeout() {
            Some(deadline) if deadline <= now => {
                ex.handle_timeout(now);
                continue;
            }
            Some(deadline) => deadline - now,
            None => SAFETY,
        };
        match ex.poll_action() {
            Some(Action::Connect(target)) => {
                if target.reuse {
                    if let Some(s) = pool.check_out(&target.key, now) {
                        conn = Some(s);
                        ex.handle_connected(now, true);
                        continue;
                    }
                }
                match TcpStream::connect((target.host.as_str(), target.port)) {
                    Ok(s) => {
                        let _ = s.set_nodelay(true);
                        conn = Some(s);
                        ex.handle_connected(Instant::now(), false);
                    }
                    Err(e) => ex.handle_transport_error(
                        Instant::now(),
                        TransportError::Connect(e.to_string()),
                    ),
                }
            }
            Some(Action::StartTls { .. }) => return Err("this test driver has no TLS".into()),
            Some(Action::Write) => {
                let s = conn.as_mut().ok_or("write with no connection")?;
                s.set_write_timeout(Some(budget))
                    .map_err(|e| e.to_string())?;
                match s.write(ex.transmit()) {
                    Ok(n) => ex.handle_written(Instant::now(), n),
                    Err(e) if is_timeout(&e) => ex.handle_timeout(Instant::now()),
                    Err(e) => {
                        ex.handle_transport_error(Instant::now(), TransportError::Io(e.to_string()))
                    }
                }
            }
            Some(Action::Read) => {
                let s = conn.as_mut().ok_or("read with no connection")?;
                s.set_read_timeout(Some(budget))
                    .map_err(|e| e.to_string())?;
                match s.read(ex.read_buf()) {
                    Ok(n) => ex.handle_read(Instant::now(), n),
                    Err(e) if is_timeout(&e) => {
                        if ex.poll_timeout().is_none() {
                            return Err(format!(
                                "no bytes for {SAFETY:?} and the request has no timeout: {ex:?}"
                            ));
                        }
                        ex.handle_timeout(Instant::now());
                    }
                    Err(e) => {
                        ex.handle_transport_error(Instant::now(), TransportError::Io(e.to_string()))
                    }
                }
            }
            Some(Action::SendBody) => match source.as_mut() {
                Some(r) => match r.read(ex.body_buf()) {
                    Ok(n) => ex.handle_body_read(Instant::now(), n),
                    Err(e) => ex.handle_body_error(Instant::now(), e.to_string()),
                },
                None => ex.handle_body_error(Instant::now(), "no body source"),
            },
            Some(Action::RewindBody) => {
                if let Some(r) = source.as_mut() {
                    let _ = std::io::Seek::seek(r, std::io::SeekFrom::Start(0));
                }
            }
            Some(Action::Close) => conn = None,
            Some(Action::Release(key)) => {
                if let Some(s) = conn.take() {
                    let _ = pool.check_in(key, s, Instant::now());
                }
            }
            None => {
                return Err(format!(
                    "the core has nothing to do and no deadline: {ex:?}"
                ))
            }
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

#[test]
fn every_case_over_loopback_gives_the_in_memory_trace() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let report = run_suite(&LoopbackDriver::new("blocking test driver", fetch_blocking));
    assert!(report.is_success(), "{report}");
    let tls = cases.iter().filter(|c| c.needs_tls()).count();
    assert_eq!(report.skipped(), tls, "{report}");
    assert_eq!(report.passed(), cases.len() - tls, "{report}");
    // Passing means equal to the case's trace, which the in-memory driver
    // also produces; check the two directly too, for a sample.
    for case in cases.iter().filter(|c| !c.needs_tls()).step_by(9) {
        let memory = run_in_memory(case, None).unwrap();
        let live = run_over_loopback(case, fetch_blocking).unwrap();
        assert_eq!(memory, live, "{}", case.full_name());
    }
}

#[test]
fn server_reports_the_requests_it_received() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let case = cases
        .iter()
        .find(|c| c.full_name() == "keep-alive/stale-connection-retried")
        .expect("case exists");
    let server = ScriptedServer::start(case).unwrap();
    let request = case.request(server.origins()).unwrap();
    let events = fetch_blocking(request).unwrap();
    assert!(matches!(events.last(), Some(Event::Done(_))));
    let got = server.finish().unwrap();
    let summary: Vec<(usize, bool, &str)> = got
        .iter()
        .map(|r| (r.connection, r.reused, r.request_line.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, false, "GET /a HTTP/1.1"),
            (1, true, "GET /b HTTP/1.1"),
            (2, false, "GET /b HTTP/1.1"),
        ]
    );
    assert!(got.iter().all(|r| r.role == Role::Origin));
}

/// Reads until `needle` has arrived (or the stream ends).
fn read_until(s: &mut TcpStream, needle: &str) -> String {
    s.set_read_timeout(Some(SAFETY)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&got).contains(needle) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn server_reports_a_request_that_breaks_the_script() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let case = cases
        .iter()
        .find(|c| c.full_name() == "redirect/302-post-becomes-get")
        .expect("case exists");
    let server = ScriptedServer::start(case).unwrap();
    let host = server.origins().host(Role::Origin).unwrap().to_string();
    let mut s = TcpStream::connect(&host).unwrap();
    // A client that keeps POST across the 302, as a buggy runtime might.
    let req = format!(
        "POST /form HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2"
    );
    s.write_all(req.as_bytes()).unwrap();
    assert!(read_until(&mut s, "\r\n\r\n").starts_with("HTTP/1.1 302 Found\r\n"));
    let again =
        format!("POST /thanks HTTP/1.1\r\nHost: {host}\r\nContent-Length: 7\r\n\r\na=1&b=2");
    s.write_all(again.as_bytes()).unwrap();
    assert!(read_until(&mut s, "thanks").starts_with("HTTP/1.1 200 OK\r\n"));
    drop(s);
    let err = server.finish().unwrap_err();
    assert!(
        err.contains("expected request line `GET /thanks HTTP/1.1`, got `POST /thanks HTTP/1.1`"),
        "{err}"
    );
    assert!(
        err.contains("expected no `Content-Length` header, got `Content-Length: 7`"),
        "{err}"
    );
    assert!(err.contains("expected body \"\", got \"a=1&b=2\""), "{err}");
}

#[test]
fn cases_needing_tls_get_an_https_origin_and_are_skipped_by_a_plain_driver() {
    let cases = builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    let case = cases.iter().find(|c| c.needs_tls()).expect("a TLS case");
    let server = ScriptedServer::start(case).unwrap();
    let tls = server.origins().origin(Role::TlsOrigin).unwrap();
    assert!(tls.starts_with("https://127.0.0.1:"), "{tls}");
    drop(server);
    let report = urlrequest_conformance::run_cases(
        &LoopbackDriver::new("plain", fetch_blocking),
        std::slice::from_ref(case),
    );
    assert_eq!(report.skipped(), 1, "{report}");
}
