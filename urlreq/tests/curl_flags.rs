//! curl's flags in urlreq, run as a user would, with no curl needed: the
//! -k warning, --cacert checked before connecting, TLS messages naming
//! --cacert, proxy passwords kept out of messages, -v, -O, -w and the exit
//! codes of failures.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

use urlrequest_conformance::test_server::{respond, serve, serve_on, Req, Server};
use urlrequest_conformance::{CertKind, TestCa};

fn urlreq_in(dir: Option<&PathBuf>, args: &[&str]) -> Output {
    let mut cmd = support::urlreq_command();
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    cmd.args(args).output().expect("urlreq runs")
}

fn urlreq(args: &[&str]) -> Output {
    urlreq_in(None, args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn handler(req: &Req, w: &mut dyn Write) -> std::io::Result<bool> {
    match req.target.as_str() {
        "/files/report.txt" | "/ok" => {
            respond(w, "200 OK", &[("Content-Type", "text/plain")], b"hello\n")?
        }
        "/download/x" => respond(
            w,
            "200 OK",
            &[(
                "Content-Disposition",
                "attachment; filename=\"../named.txt\"",
            )],
            b"named body\n",
        )?,
        "/nothing" => return Ok(false),
        "/big" => respond(w, "200 OK", &[], &vec![b'x'; 4 << 20])?,
        "/chain2" => respond(w, "302 Found", &[("Location", "/chain1")], b"")?,
        "/chain1" => respond(w, "302 Found", &[("Location", "/ok")], b"")?,
        _ => respond(w, "404 Not Found", &[], b"")?,
    }
    Ok(true)
}

fn tls_server() -> Server {
    serve_on(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        Some(TestCa::trusted().server_config(&["localhost"], CertKind::Valid)),
        Arc::new(handler),
    )
}

#[test]
fn insecure_warns_and_an_unknown_ca_names_cacert() {
    let s = tls_server();
    let url = s.https_url("localhost", "/ok");
    let o = urlreq(&[&url]);
    assert_eq!(o.status.code(), Some(60), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.starts_with("urlreq: (60) "), "{err}");
    assert!(
        err.contains("--cacert") && !err.contains("ca_file"),
        "{err}"
    );

    let o = urlreq(&["-k", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "hello\n");
    assert!(
        stderr(&o).contains("warning: -k/--insecure"),
        "{}",
        stderr(&o)
    );
    let o = urlreq(&["-k", "-s", &url]);
    assert_eq!(stderr(&o), "", "-s hides the warning");

    let ca = TestCa::trusted().pem_file().to_str().unwrap().to_string();
    let o = urlreq(&["--cacert", &ca, &url]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_missing_cacert_is_a_usage_error_before_connecting() {
    let s = tls_server();
    let o = urlreq(&[
        "--cacert",
        "/no/such/ca.pem",
        &s.https_url("localhost", "/ok"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--cacert /no/such/ca.pem"),
        "{}",
        stderr(&o)
    );
    assert_eq!(s.accepted(), 0, "no connection was made");
}

#[test]
fn proxy_passwords_stay_out_of_messages() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let proxy = format!("http://user:SECRET@127.0.0.1:{port}");
    let o = urlreq(&["-x", &proxy, "http://origin.test/"]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(!err.contains("SECRET"), "{err}");
    assert!(err.contains(&format!("proxy 127.0.0.1:{port}")), "{err}");
    let o = urlreq(&["-x", "user:SECRET@host:notaport", "http://origin.test/"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("SECRET"), "{}", stderr(&o));
}

#[test]
fn verbose_prints_both_heads_on_stderr() {
    let s = serve(handler);
    let o = urlreq(&["-v", "-H", "X-Test: 1", &s.url("/ok")]);
    assert_eq!(stdout(&o), "hello\n");
    let err = stderr(&o);
    assert!(err.starts_with("> GET /ok HTTP/1.1\r\n"), "{err}");
    assert!(err.contains("> x-test: 1\r\n"), "{err}");
    assert!(err.contains("< HTTP/1.1 200 OK\r\n"), "{err}");
    // The response head as the server sent it, names in its case.
    assert!(err.contains("< Content-Type: text/plain\r\n"), "{err}");
}

#[test]
fn remote_name_and_write_out() {
    let s = serve(handler);
    let dir = std::env::temp_dir().join(format!("urlreq-flags-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let o = urlreq_in(
        Some(&dir),
        &[
            "-O",
            "-w",
            "%{http_code} %{size_download} %{content_type}",
            &s.url("/files/report.txt"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "200 6 text/plain");
    assert_eq!(std::fs::read(dir.join("report.txt")).unwrap(), b"hello\n");
    let o = urlreq_in(Some(&dir), &["-O", &s.url("/")]);
    assert_eq!(o.status.code(), Some(23));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failures_exit_with_curls_numbers() {
    let s = serve(handler);
    let o = urlreq(&[&s.url("/nothing")]);
    assert_eq!(o.status.code(), Some(52), "{}", stderr(&o));
    let o = urlreq(&["-L", "--max-redirs", "1", &s.url("/chain2")]);
    assert_eq!(o.status.code(), Some(47), "{}", stderr(&o));
    let o = urlreq(&["-L", "--max-redirs", "2", &s.url("/chain2")]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "hello\n"));
    let before = s.accepted();
    let o = urlreq(&["http://[::1"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let o = urlreq(&["-I", "-d", "x", &s.url("/ok")]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(s.accepted(), before, "the usage errors connected nowhere");
}

#[test]
fn a_closed_stdout_is_a_write_error() {
    let s = serve(handler);
    let mut child = Command::new(env!("CARGO_BIN_EXE_urlreq"))
        .args(["-s", "-S", &s.url("/big")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reading end goes away before 4 MiB could fit in the pipe.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(23), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("urlreq: (23) Failure writing output"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn dump_header_and_output_to_stdout() {
    let s = serve(handler);
    let o = urlreq(&["-D", "-", "-o", "-", &s.url("/ok")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nhello\n"), "{out}");
}

/// `--help` groups the flags as curl users look for them, each flag under
/// its heading.
#[test]
fn help_groups_the_flags_as_curl_users_look_for_them() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_urlreq"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let headings = [
        "Request:",
        "Request body:",
        "Output:",
        "Redirects, failures and time limits:",
        "Cookies:",
        "Proxies:",
        "TLS and content codings:",
        "Beyond curl:",
    ];
    let at = |needle: &str| {
        help.find(needle)
            .unwrap_or_else(|| panic!("{needle} in\n{help}"))
    };
    let positions: Vec<usize> = headings.iter().map(|h| at(&format!("\n{h}\n"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{help}");
    // A few flags under the heading a curl user looks in.
    for (flag, heading) in [
        ("--location", 3),
        ("--data-binary", 1),
        ("--write-out", 2),
        ("--cookie-jar", 4),
        ("--proxy-user", 5),
        ("--insecure", 6),
        ("--events", 7),
    ] {
        let pos = at(flag);
        assert!(
            pos > positions[heading],
            "{flag} before {}",
            headings[heading]
        );
        if let Some(next) = positions.get(heading + 1) {
            assert!(pos < *next, "{flag} after {}", headings[heading + 1]);
        }
    }
}

/// -O -J names the file as `Content-Disposition` says (its last path
/// component only) and never replaces an existing file.
#[test]
fn remote_header_name_uses_the_disposition_and_keeps_existing_files() {
    let s = serve(handler);
    let dir = std::env::temp_dir().join(format!("urlreq-j-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = s.url("/download/x");
    let o = urlreq_in(Some(&dir), &["-s", "-O", "-J", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("named.txt")).unwrap(),
        "named body\n"
    );
    assert!(!dir.join("x").exists(), "-O's own name was not used");
    assert!(!dir.parent().unwrap().join("named.txt").exists());

    std::fs::write(dir.join("named.txt"), "kept").unwrap();
    let o = urlreq_in(Some(&dir), &["-O", "-J", &url]);
    assert_eq!(o.status.code(), Some(23), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Refusing to overwrite"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("named.txt")).unwrap(),
        "kept"
    );

    // Without a disposition, -J falls back to -O's name.
    let o = urlreq_in(Some(&dir), &["-s", "-O", "-J", &s.url("/files/report.txt")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("report.txt")).unwrap(),
        "hello\n"
    );
    // -J alone is a usage error, as it needs -O.
    assert_eq!(urlreq(&["-J", &url]).status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-#` shows the progress bar on stderr even where it is not a terminal;
/// without it a pipe gets no bar.
#[test]
fn progress_bar_is_drawn_on_request() {
    let s = serve(handler);
    let url = s.url("/big");
    let o = urlreq(&["-#", "-o", "/dev/null", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("MiB"), "a bar with the bytes so far: {err:?}");
    let o = urlreq(&["-o", "/dev/null", &url]);
    assert_eq!(stderr(&o), "", "no bar on a pipe without -#");
}
