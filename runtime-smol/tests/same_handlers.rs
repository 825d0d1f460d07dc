//! The same Kivy-style handlers, written once, compiled against both
//! runtimes' `UrlRequest` (`urlrequest_std` on threads and this crate on
//! async tasks), run against one in-process server: the callbacks must be
//! called in the same order with the same values, the properties must read
//! the same inside them, and the server must see the same requests.
//!
//! The std request uses its default queued dispatch, run by `wait` on the
//! test's thread, which delivers every progress update as this crate does;
//! the last update is repeated before the outcome on both, as in Kivy.

mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::server::{response, Reply, Seen, Server};
use urlrequest_conformance::HttpProxy;
use urlrequest_smol::core::http::StatusCode;
use urlrequest_smol::core::Url;
use urlrequest_smol::ResultValue;

/// What the handlers saw, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn add(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// One line for a routed result: the same function serves both runtimes
/// because `ResultValue` is the core's type, shared by them.
fn describe(result: &ResultValue) -> String {
    match result {
        ResultValue::Bytes(b) => format!("bytes {:?}", String::from_utf8_lossy(b)),
        ResultValue::Json(v) => format!("json {v}"),
        ResultValue::File(p) => {
            let len = std::fs::metadata(p).map(|m| m.len()).ok();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            format!("file {name:?} {len:?} bytes")
        }
    }
}

fn status(s: Option<StatusCode>) -> String {
    s.map_or("-".into(), |s| s.as_u16().to_string())
}

fn path_of(url: Url) -> String {
    url.path().to_string()
}

/// Adds the handlers to a builder of either runtime. The closures are
/// written once: each expansion type-checks them against that runtime's
/// `UrlRequest`, `ResultValue` and `Error`.
macro_rules! with_handlers {
    ($builder:expr, $log:expr) => {{
        let log: &Log = $log;
        let (a, b, c, d, e, f, g) = (
            log.clone(),
            log.clone(),
            log.clone(),
            log.clone(),
            log.clone(),
            log.clone(),
            log.clone(),
        );
        $builder
            .on_success(move |req, result| {
                a.add(format!(
                    "success {} {} finished={} result_prop={} {}",
                    status(req.resp_status()),
                    path_of(req.url()),
                    req.is_finished(),
                    req.result().as_ref() == Some(result),
                    describe(result)
                ))
            })
            .on_redirect(move |req, result| {
                let location = req
                    .resp_headers()
                    .and_then(|h| h.get("location").cloned())
                    .map(|v| v.to_str().unwrap_or("?").to_string());
                b.add(format!(
                    "redirect {} location={location:?} {}",
                    status(req.resp_status()),
                    describe(result)
                ))
            })
            .on_failure(move |req, result| {
                c.add(format!(
                    "failure {} {} {}",
                    status(req.resp_status()),
                    path_of(req.url()),
                    describe(result)
                ))
            })
            .on_error(move |req, error| {
                d.add(format!(
                    "error {} status={} finished={} error_prop={:?}",
                    error.kind_name(),
                    status(req.resp_status()),
                    req.is_finished(),
                    req.error().map(|e| e.kind_name())
                ))
            })
            .on_progress(move |req, current, total| {
                let kind = req
                    .resp_headers()
                    .and_then(|h| h.get("x-kind").cloned())
                    .map(|v| v.to_str().unwrap_or("?").to_string());
                e.add(format!(
                    "progress {current}/{total:?} status={} x-kind={kind:?}",
                    status(req.resp_status())
                ));
                // The same cancel call on both runtimes' request handle.
                if req.url().path() == "/cancel-me" && current > 0 {
                    req.cancel();
                }
            })
            .on_cancel(move |req| {
                f.add(format!(
                    "cancel cancelled={:?}",
                    req.error().map(|e| e.is_cancelled())
                ))
            })
            .on_finish(move |req| {
                g.add(format!(
                    "finish chunk_size={} file={:?}",
                    req.chunk_size(),
                    req.file_path()
                        .and_then(Path::file_name)
                        .map(|n| n.to_string_lossy().into_owned())
                ))
            })
    }};
}

/// Runs one request description on both runtimes, one after the other;
/// `$dir` is a scratch directory of each run's own (for `file_path`).
/// Returns the two logs, std's first.
macro_rules! on_both {
    ($url:expr, |$b:ident, $dir:ident| $settings:expr) => {{
        let url: String = $url;
        let std_log = Log::default();
        let std_dir = tempfile::tempdir().unwrap();
        {
            let $dir: &Path = std_dir.path();
            let $b = urlrequest_std::UrlRequest::builder(url.clone());
            let req = with_handlers!($settings, &std_log).build().unwrap();
            assert!(req.wait(Duration::from_secs(20)), "std request hung");
        }
        let smol_log = Log::default();
        let smol_dir = tempfile::tempdir().unwrap();
        {
            let $dir: &Path = smol_dir.path();
            let $b = urlrequest_smol::UrlRequest::builder(url.clone());
            let req = with_handlers!($settings, &smol_log).build().unwrap();
            let _ = smol::block_on(req.send());
            assert!(req.is_finished());
        }
        (std_log.lines(), smol_log.lines())
    }};
}

const PARTIAL: usize = 100;

fn server() -> Server {
    Server::start(|seen| match seen.target.as_str() {
        "/to-json" => Reply::Send(response("302 Found", &["Location: /json"], b"")),
        "/json" => Reply::Send(response(
            "200 OK",
            &["Content-Type: application/json", "X-Kind: data"],
            br#"{"items":[1,2,3]}"#,
        )),
        "/missing" => Reply::Send(response("404 Not Found", &["X-Kind: gone"], b"nope")),
        "/moved" => Reply::Send(response("302 Found", &["Location: /json"], b"")),
        "/big" => Reply::Send(response("200 OK", &[], &[b'z'; 4500])),
        "/cancel-me" => {
            let mut bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
            bytes.extend_from_slice(&[b'c'; PARTIAL]);
            Reply::SendThenStall(bytes)
        }
        "/stall" => Reply::Stall,
        _ => {
            let mut body = format!("{} {} ", seen.method, seen.target).into_bytes();
            body.extend_from_slice(&seen.body);
            Reply::Send(response(
                "200 OK",
                &["Content-Type: application/json"],
                &body,
            ))
        }
    })
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_followed_redirect_to_json_succeeds_the_same_way() {
    let server = server();
    let (std_log, smol_log) = on_both!(server.url("/to-json"), |b, _dir| b);
    assert_eq!(
        std_log,
        strs(&[
            "progress 0/Some(17) status=200 x-kind=Some(\"data\")",
            "progress 17/Some(17) status=200 x-kind=Some(\"data\")",
            "progress 17/Some(17) status=200 x-kind=Some(\"data\")",
            "success 200 /json finished=true result_prop=true json {\"items\":[1,2,3]}",
            "finish chunk_size=8192 file=None",
        ])
    );
    assert_eq!(smol_log, std_log);
}

#[test]
fn a_404_goes_to_on_failure_on_both() {
    let server = server();
    let (std_log, smol_log) = on_both!(server.url("/missing"), |b, _dir| b.chunk_size(3));
    assert_eq!(
        std_log,
        strs(&[
            "progress 0/Some(4) status=404 x-kind=Some(\"gone\")",
            "progress 3/Some(4) status=404 x-kind=Some(\"gone\")",
            "progress 4/Some(4) status=404 x-kind=Some(\"gone\")",
            "progress 4/Some(4) status=404 x-kind=Some(\"gone\")",
            "failure 404 /missing bytes \"nope\"",
            "finish chunk_size=3 file=None",
        ])
    );
    assert_eq!(smol_log, std_log);
}

#[test]
fn a_redirect_not_followed_goes_to_on_redirect_on_both() {
    let server = server();
    let (std_log, smol_log) = on_both!(server.url("/moved"), |b, _dir| b.max_redirects(0));
    assert_eq!(
        std_log,
        strs(&[
            "progress 0/Some(0) status=302 x-kind=None",
            "progress 0/Some(0) status=302 x-kind=None",
            "redirect 302 location=Some(\"/json\") bytes \"\"",
            "finish chunk_size=8192 file=None",
        ])
    );
    assert_eq!(smol_log, std_log);
}

#[test]
fn a_refused_connection_goes_to_on_error_on_both() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let (std_log, smol_log) = on_both!(url, |b, _dir| b);
    assert_eq!(
        std_log,
        strs(&[
            "error connect status=- finished=true error_prop=Some(\"connect\")",
            "finish chunk_size=8192 file=None",
        ])
    );
    assert_eq!(smol_log, std_log);
}

#[test]
fn a_timeout_goes_to_on_error_on_both() {
    let server = server();
    let (std_log, smol_log) = on_both!(server.url("/stall"), |b, _dir| b
        .timeout(Duration::from_millis(200)));
    assert_eq!(
        std_log,
        strs(&[
            "error timeout status=- finished=true error_prop=Some(\"timeout\")",
            "finish chunk_size=8192 file=None",
        ])
    );
    assert_eq!(smol_log, std_log);
}

#[test]
fn a_file_download_gives_the_same_progress_and_result() {
    let server = server();
    let (std_log, smol_log) = on_both!(server.url("/big"), |b, dir| b
        .file_path(dir.join("big.bin"))
        .chunk_size(1000));
    let mut want: Vec<String> = [0, 1000, 2000, 3000, 4000, 4500, 4500]
        .iter()
        .map(|n| format!("progress {n}/Some(4500) status=200 x-kind=None"))
        .collect();
    want.extend(strs(&[
        "success 200 /big finished=true result_prop=true file Some(\"big.bin\") Some(4500) bytes",
        "finish chunk_size=1000 file=Some(\"big.bin\")",
    ]));
    assert_eq!(std_log, want);
    assert_eq!(smol_log, std_log);
}

#[test]
fn cancelling_from_a_handler_goes_to_on_cancel_on_both() {
    let server = server();
    let (std_log, smol_log) = on_both!(server.url("/cancel-me"), |b, _dir| b.chunk_size(PARTIAL));
    assert_eq!(
        std_log,
        strs(&[
            "progress 0/Some(1000) status=200 x-kind=None",
            "progress 100/Some(1000) status=200 x-kind=None",
            "cancel cancelled=Some(true)",
            "finish chunk_size=100 file=None",
        ])
    );
    assert_eq!(smol_log, std_log);
}

/// The request as the server saw it, without what may legitimately differ
/// between two runs (the connection number).
fn request_seen(seen: &Seen) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    (
        seen.method.clone(),
        seen.target.clone(),
        seen.headers.clone(),
        seen.body.clone(),
    )
}

#[test]
fn the_same_parameters_send_the_same_request() {
    let server = server();
    let (std_log, smol_log) = on_both!(server.url("/echo?q=1"), |b, _dir| b
        .method("PUT")
        .req_body("payload")
        .req_headers([("X-One", "1"), ("User-Agent", "replaced")])
        .header("X-Two", "2")
        .user_agent("kivy-style/1.0")
        .cookies("session=abc")
        .auth("user", "pässword")
        .decode(false));
    let body = "PUT /echo?q=1 payload";
    assert_eq!(
        std_log,
        [
            format!("progress 0/Some({}) status=200 x-kind=None", body.len()),
            format!("progress {0}/Some({0}) status=200 x-kind=None", body.len()),
            format!("progress {0}/Some({0}) status=200 x-kind=None", body.len()),
            format!("success 200 /echo finished=true result_prop=true bytes {body:?}"),
            "finish chunk_size=8192 file=None".to_string(),
        ]
    );
    assert_eq!(smol_log, std_log);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(request_seen(&seen[0]), request_seen(&seen[1]));
    let s = &seen[0];
    assert_eq!(s.header("user-agent"), Some("kivy-style/1.0"));
    assert_eq!(s.header("cookie"), Some("session=abc"));
    assert_eq!(
        s.header("authorization"),
        Some("Basic dXNlcjpww6Rzc3dvcmQ=")
    );
    assert_eq!(s.header("x-one"), Some("1"));
    assert_eq!(s.header("x-two"), Some("2"));
}

#[test]
fn proxy_parameters_reach_the_proxy_the_same_way() {
    let origin = server();
    let proxy = HttpProxy::start(None).unwrap();
    let (std_log, smol_log) = on_both!(origin.url("/via"), |b, _dir| b
        .decode(false)
        .proxy_host("127.0.0.1")
        .proxy_port(proxy.addr().port())
        .proxy_headers([("Proxy-Authorization", "Basic cHJveHk6cHc=")]));
    // The origin answers with what it saw: the proxy forwarded the
    // absolute-form request in origin-form.
    let body = "GET /via ";
    assert_eq!(
        std_log,
        [
            format!("progress 0/Some({}) status=200 x-kind=None", body.len()),
            format!("progress {0}/Some({0}) status=200 x-kind=None", body.len()),
            format!("progress {0}/Some({0}) status=200 x-kind=None", body.len()),
            format!("success 200 /via finished=true result_prop=true bytes {body:?}"),
            "finish chunk_size=8192 file=None".to_string(),
        ]
    );
    assert_eq!(smol_log, std_log);
    let seen = proxy.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].request_line,
        format!("GET {} HTTP/1.1", origin.url("/via"))
    );
    assert_eq!(seen[0].request_line, seen[1].request_line);
    assert_eq!(seen[0].headers, seen[1].headers);
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some("Basic cHJveHk6cHc=")
    );
}
