//! The `urlreq` binary, run as a user would: exit codes, output files,
//! the head, the event trace, recording and replay, usage errors, the demo.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use urlrequest_conformance::test_server::{respond, serve, Server};

fn urlreq(args: &[&str]) -> Output {
    urlreq_env(args, &[])
}

/// urlreq with these environment variables added to a process environment
/// cleared of the machine's proxy variables (urlreq reads them, as curl
/// does).
fn urlreq_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = support::urlreq_command();
    cmd.envs(env.iter().copied());
    cmd.args(args).output().expect("urlreq runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// /ok (JSON), /missing (404 with a body), /redirect (to /ok), /echo (the
/// request body back), /short (promises 1000 bytes, sends 10, closes).
fn test_server() -> Server {
    serve(|req, w| {
        match req.target.as_str() {
            "/ok" => respond(
                w,
                "200 OK",
                &[("Content-Type", "application/json")],
                b"{\"ok\":true}",
            )?,
            "/missing" => respond(w, "404 Not Found", &[], b"no such thing")?,
            "/redirect" => respond(w, "302 Found", &[("Location", "/ok")], b"")?,
            "/echo" => {
                let head = format!("{} {}", req.method, req.header("x-test").unwrap_or("-"));
                let mut body = head.into_bytes();
                body.push(b'|');
                body.extend_from_slice(&req.body);
                respond(w, "200 OK", &[], &body)?;
            }
            "/short" => {
                w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")?;
                w.flush()?;
                return Ok(false);
            }
            _ => respond(w, "500 Internal Server Error", &[], b"")?,
        }
        Ok(true)
    })
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("urlreq-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn body_to_stdout_and_exit_codes() {
    let s = test_server();
    let o = urlreq(&[&s.url("/ok")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"ok\":true}");
    // As in curl: an HTTP error status is a success without -f.
    let o = urlreq(&[&s.url("/missing")]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "no such thing", "the body is still written");
    assert_eq!(stderr(&o), "");
    let o = urlreq(&["-f", &s.url("/missing")]);
    assert_eq!(o.status.code(), Some(22));
    assert_eq!(stdout(&o), "", "-f writes no body");
    assert_eq!(
        stderr(&o),
        "urlreq: (22) The requested URL returned error: 404\n"
    );
    let o = urlreq(&["--fail-with-body", &s.url("/missing")]);
    assert_eq!(o.status.code(), Some(22));
    assert_eq!(stdout(&o), "no such thing");
    let o = urlreq(&["http://127.0.0.1:1/"]);
    assert_eq!(o.status.code(), Some(7));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(err.starts_with("urlreq: (7) could not connect"), "{err}");
    // -s silences it, -sS brings it back.
    let o = urlreq(&["-s", "http://127.0.0.1:1/"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(7), ""));
    let o = urlreq(&["-sS", "http://127.0.0.1:1/"]);
    assert!(stderr(&o).starts_with("urlreq: (7) "), "{}", stderr(&o));
}

#[test]
fn a_dead_proxy_from_the_environment_is_named_with_its_variable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let proxy = format!("http://127.0.0.1:{port}");
    let o = urlreq_env(&["http://origin.test/"], &[("http_proxy", &proxy)]);
    assert_eq!(o.status.code(), Some(7));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    let prefix = format!(
        "urlreq: (7) could not connect to proxy 127.0.0.1:{port} \
         (from environment variable http_proxy): "
    );
    assert!(err.starts_with(&prefix), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(urlreq(&["--no-such-flag"]).status.code(), Some(2));
    // curl's "unsupported protocol".
    let o = urlreq(&["ftp://example.com/"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("only http and https"), "{}", stderr(&o));
    assert_eq!(
        urlreq(&["http://a/", "-H", "no colon"]).status.code(),
        Some(2)
    );
    assert_eq!(
        urlreq(&["http://a/", "--timeout", "-1"]).status.code(),
        Some(2)
    );
}

#[test]
fn method_headers_and_data() {
    let s = test_server();
    let o = urlreq(&[
        &s.url("/echo"),
        "-X",
        "PUT",
        "-H",
        "X-Test: yes",
        "-d",
        "payload",
    ]);
    assert_eq!(stdout(&o), "PUT yes|payload");
    let dir = temp_dir("data");
    let file = dir.join("body.txt");
    std::fs::write(&file, "from a file").unwrap();
    let o = urlreq(&[&s.url("/echo"), "-d", &format!("@{}", file.display())]);
    assert_eq!(stdout(&o), "POST -|from a file");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn include_prints_the_head_first() {
    let s = test_server();
    let o = urlreq(&[&s.url("/ok"), "-i"]);
    let out = stdout(&o);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    // Header names as the server sent them, as curl prints them.
    assert!(out.contains("Content-Type: application/json\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n{\"ok\":true}"), "{out}");
}

#[test]
fn output_file_is_atomic() {
    let s = test_server();
    let dir = temp_dir("output");
    let target = dir.join("out.json");
    let o = urlreq(&["-L", &s.url("/redirect"), "-o", target.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(&target).unwrap(), b"{\"ok\":true}");
    assert_eq!(entries(&dir), vec!["out.json"], "no temporary file left");

    // A truncated download leaves the old file alone and no temporary file.
    let o = urlreq(&[&s.url("/short"), "-o", target.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(18), "curl's partial file");
    assert!(
        stderr(&o).contains("response ended after 10 of 1000 body bytes"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"{\"ok\":true}");
    assert_eq!(entries(&dir), vec!["out.json"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn output_to_dev_null_writes_through() {
    let s = test_server();
    let o = urlreq(&[&s.url("/ok"), "-o", "/dev/null"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(!meta.is_file(), "/dev/null is still a device");
}

#[test]
fn events_record_and_replay_give_the_same_trace() {
    let s = test_server();
    let dir = temp_dir("record");
    let transcript = dir.join("t.jsonl");
    let live = urlreq(&[
        "-L",
        &s.url("/redirect"),
        "--events",
        "--record",
        transcript.to_str().unwrap(),
    ]);
    assert_eq!(live.status.code(), Some(0), "{}", stderr(&live));
    let live_out = stdout(&live);
    let kinds: Vec<String> = live_out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        vec!["redirect", "progress", "body", "progress", "done"]
    );
    // Replay reads the file alone; the server is not contacted.
    drop(s);
    let replayed = urlreq(&["--replay", transcript.to_str().unwrap(), "--events"]);
    assert_eq!(replayed.status.code(), Some(0), "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), live_out);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_runs_offline() {
    let o = urlreq(&["--demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("redirect 302"), "{out}");
    assert!(out.contains("on_success"), "{out}");
    assert!(out.contains("saved 50331648 bytes"), "{out}");
}

#[test]
fn redirects_are_followed_only_with_location() {
    let s = test_server();
    let o = urlreq(&[&s.url("/redirect"), "-w", "%{http_code} %{num_redirects}"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "302 0");
    let o = urlreq(&[
        "-L",
        &s.url("/redirect"),
        "-w",
        " %{http_code} %{num_redirects}",
    ]);
    assert_eq!(stdout(&o), "{\"ok\":true} 200 1");
    let o = urlreq(&["-L", "--max-redirs", "0", &s.url("/redirect")]);
    assert_eq!(o.status.code(), Some(47), "{}", stderr(&o));
}

#[test]
fn location_with_include_prints_every_head() {
    let s = test_server();
    let o = urlreq(&["-L", "-i", &s.url("/redirect")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("HTTP/1.1 302 Found\r\n"), "{out}");
    assert!(out.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n{\"ok\":true}"), "{out}");
    assert_eq!(out.matches("HTTP/1.1 ").count(), 2, "{out}");
}
