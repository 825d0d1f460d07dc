//! `urlreq`'s form, proxy-environment and cookie options, run as a user
//! would. The proxy variables are set per command; the test's own
//! environment is cleared of them so that the machine's settings play no
//! part.

mod support;

use std::process::Output;

use urlrequest_conformance::test_server::{respond, serve, Server};

fn urlreq(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = support::urlreq_command();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("urlreq runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Answers every request with its target, Content-Type, Cookie and body;
/// `/set` sets a cookie and redirects to `/check`.
fn echo_server() -> Server {
    serve(|req, w| {
        if req.target.ends_with("/set") {
            respond(
                w,
                "302 Found",
                &[("Set-Cookie", "sid=42; Path=/"), ("Location", "/check")],
                b"",
            )?;
            return Ok(true);
        }
        let mut body = format!(
            "{} {} type={} cookie={}\n",
            req.method,
            req.target,
            req.header("content-type").unwrap_or("-"),
            req.header("cookie").unwrap_or("-"),
        )
        .into_bytes();
        body.extend_from_slice(&req.body);
        respond(w, "200 OK", &[], &body)?;
        Ok(true)
    })
}

#[test]
fn data_urlencode_builds_a_form() {
    let s = echo_server();
    let o = urlreq(
        &[
            &s.url("/f"),
            "-d",
            "raw=1",
            "--data-urlencode",
            "q=a b&c",
            "--data-urlencode",
            "=x/y",
        ],
        &[],
    );
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        stdout(&o),
        "POST /f type=application/x-www-form-urlencoded cookie=-\nraw=1&q=a+b%26c&x%2Fy"
    );
}

#[test]
fn form_fields_and_files_as_multipart() {
    let s = echo_server();
    let dir = std::env::temp_dir().join(format!("urlreq-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("note.txt");
    std::fs::write(&file, b"file body\x00\xff").unwrap();
    let file_arg = format!("doc=@{};type=text/plain", file.display());
    let o = urlreq(&[&s.url("/up"), "-F", "title=Hello", "-F", &file_arg], &[]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(o.status.success(), "{o:?}");
    let out = o.stdout;
    let text = String::from_utf8_lossy(&out);
    let first = text.lines().next().unwrap();
    let boundary = first
        .split("boundary=")
        .nth(1)
        .and_then(|b| b.split(' ').next())
        .expect("a boundary");
    assert!(
        first.starts_with("POST /up type=multipart/form-data; boundary=urlrequest-"),
        "{first}"
    );
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"note.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(b"file body\x00\xff");
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(&out[first.len() + 1..], &expected[..]);
}

#[test]
fn a_missing_form_file_is_a_read_error_naming_it() {
    let o = urlreq(&["http://127.0.0.1:9/", "-F", "f=@/no/such/file.bin"], &[]);
    assert_eq!(o.status.code(), Some(26), "curl's read error");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot read /no/such/file.bin"), "{err}");
}

#[test]
fn proxy_variables_are_read_by_default_and_noproxy_goes_direct() {
    // The echo server plays the proxy: a proxied request arrives in
    // absolute-form. The origin named in the URL is never contacted.
    let proxy = echo_server();
    let env = [("http_proxy", format!("http://{}", proxy.addr))];
    let o = urlreq(&["http://origin.test/via"], &env);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), "GET http://origin.test/via type=- cookie=-\n");

    // --noproxy: the same server, now asked directly.
    let url = proxy.url("/direct");
    let o = urlreq(&["--noproxy", "127.0.0.1", &url], &env);
    assert_eq!(stdout(&o), "GET /direct type=- cookie=-\n");
    // NO_PROXY in the environment does the same.
    let mut env2 = env.to_vec();
    env2.push(("NO_PROXY", "127.0.0.0/8".into()));
    let o = urlreq(&[&url], &env2);
    assert_eq!(stdout(&o), "GET /direct type=- cookie=-\n");
}

#[test]
fn proxy_user_and_headers_go_to_the_proxy_from_the_environment() {
    let proxy = serve(|req, w| {
        let body = format!(
            "{} auth={} x={}\n",
            req.target,
            req.header("proxy-authorization").unwrap_or("-"),
            req.header("x-proxy").unwrap_or("-")
        );
        respond(w, "200 OK", &[], body.as_bytes())?;
        Ok(true)
    });
    let env = [("http_proxy", format!("http://{}", proxy.addr))];
    let o = urlreq(
        &[
            "--proxy-user",
            "u:p",
            "--proxy-header",
            "X-Proxy: 1",
            "http://origin.test/a",
        ],
        &env,
    );
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), "http://origin.test/a auth=Basic dTpw x=1\n");
}

#[test]
fn uppercase_http_proxy_is_ignored_under_cgi() {
    let direct = echo_server();
    // A proxy that does not exist: using it would fail the request.
    let env = [
        ("HTTP_PROXY", "http://127.0.0.1:9".to_string()),
        ("REQUEST_METHOD", "GET".to_string()),
    ];
    let o = urlreq(&[&direct.url("/cgi")], &env);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), "GET /cgi type=- cookie=-\n");
}

#[test]
fn a_bad_proxy_variable_is_a_usage_error() {
    let env = [("https_proxy", "socks5://127.0.0.1:1080".to_string())];
    let o = urlreq(&["http://127.0.0.1:9/"], &env);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("https_proxy") && err.contains("socks5"),
        "{err}"
    );
}

#[test]
fn cookie_jar_carries_a_cookie_across_the_redirect() {
    let s = echo_server();
    let jar = std::env::temp_dir().join(format!("urlreq-parity-jar-{}", std::process::id()));
    let jar_arg = jar.to_str().unwrap();
    let o = urlreq(&["-L", "-c", jar_arg, &s.url("/set")], &[]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), "GET /check type=- cookie=sid=42\n");
    // -c wrote the jar in the Netscape format, and -b reads it back.
    let written = std::fs::read_to_string(&jar).unwrap();
    assert!(
        written.contains("127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\t42\n"),
        "{written}"
    );
    let o = urlreq(&["-b", jar_arg, &s.url("/check")], &[]);
    assert_eq!(stdout(&o), "GET /check type=- cookie=sid=42\n");
    let _ = std::fs::remove_file(&jar);
    // Without the jar the cookie is not sent.
    let o = urlreq(&["-L", &s.url("/set")], &[]);
    assert_eq!(stdout(&o), "GET /check type=- cookie=-\n");
}
