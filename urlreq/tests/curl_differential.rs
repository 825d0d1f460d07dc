//! urlreq and curl side by side: every command line of the tables below
//! runs once through `curl` and once through the built `urlreq` against
//! the same in-process server, each in an empty directory of its own, and
//! the two runs are compared: the exit code, stdout, the files written,
//! and the requests the server received (method, target, the headers that
//! matter, body).
//!
//! Where urlreq differs on purpose, the case names the difference and the
//! test asserts that the difference is there, and only that one. The
//! differences (also listed in urlreq's README):
//!
//! | id                   | curl                                              | urlreq                                                  |
//! |----------------------|---------------------------------------------------|---------------------------------------------------------|
//! | `accept-encoding`    | sends `Accept-Encoding` only with `--compressed`   | always asks for (and undoes) gzip, deflate, br, zstd; `--raw` turns it off |
//! | `user-agent`         | `curl/VERSION`                                    | `urlrequest/VERSION`                                    |
//! | `decoded`            | without `--compressed` writes the gzip bytes      | writes the decoded body                                 |
//! | `partial-file`       | `-o` keeps the part of a cut-short download        | `-o` is atomic: no file (exit 18 in both)               |
//! | `partial-body`       | writes every byte of a cut-short body to stdout    | writes the body in whole chunks: bytes after the last full chunk are not written (exit 18 in both) |
//! | `output-first`       | an `-o` file it cannot create fails after the request | fails before sending it (exit 23 in both)            |
//! | `cut-head`           | a connection closed inside the response head: exit 0, nothing written | exit 8 (weird server reply), nothing written |
//! | `connect-agent`      | sends `User-Agent` in a proxy `CONNECT`            | sends none there (only `Host` and `--proxy-header`s)    |
//! | `data-file-missing`  | `-d @missing` warns and POSTs an empty body, exit 0 | refuses before sending: exit 26                        |
//! | `cacert-missing`     | a missing `--cacert` file: exit 77                 | a usage error before connecting: exit 2                 |
//!
//! Run with `cargo test -p urlreq --features interop --test
//! curl_differential` (curl must be on PATH).

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use urlrequest_conformance::test_server::{respond, serve, serve_on, Req, Server};
use urlrequest_conformance::{CertKind, TestCa};

/// gzip of "hello, gzip\n" (mtime 0).
const GZ: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\xd7\x51\x48\xaf\xca\x2c\xe0\x02\x00\x86\x1f\x82\xa4\x0c\x00\x00\x00";

/// A cookie expiry far in the future, fixed so both jars hold the same
/// number.
const EXPIRES: &str = "Expires=Wed, 01 Jan 2031 00:00:00 GMT";

/// The intended differences (see the table above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intended {
    Decoded,
    PartialFile,
    PartialBody,
    OutputFirst,
    ConnectAgent,
    CutHead,
    DataFileMissing,
    CacertMissing,
}

/// Every server behaviour the tables use, by path.
fn handler(req: &Req, w: &mut dyn Write) -> std::io::Result<bool> {
    let path = req.target.split('?').next().unwrap_or("");
    // Proxied requests arrive in absolute form.
    let path = path
        .strip_prefix("http://origin.test")
        .unwrap_or(path)
        .to_string();
    let text = [("Content-Type", "text/plain")];
    match path.as_str() {
        "/ok" | "/put" | "/up/" | "/up/upload.txt" | "/download/file.txt" => {
            respond(w, "200 OK", &text, b"hello\n")?
        }
        "/json" => respond(
            w,
            "200 OK",
            &[("Content-Type", "application/json")],
            b"{\"a\":1}",
        )?,
        "/disposition" => respond(
            w,
            "200 OK",
            &[(
                "Content-Disposition",
                "attachment; filename=\"../named.txt\"",
            )],
            b"named\n",
        )?,
        "/missing" => respond(w, "404 Not Found", &text, b"not here\n")?,
        "/error" => respond(w, "500 Internal Server Error", &text, b"boom\n")?,
        "/redirect" | "/r302" => respond(w, "302 Found", &[("Location", "/ok")], b"moved\n")?,
        "/r301" => respond(w, "301 Moved Permanently", &[("Location", "/ok")], b"")?,
        "/r303" => respond(w, "303 See Other", &[("Location", "/ok")], b"")?,
        "/r307" => respond(w, "307 Temporary Redirect", &[("Location", "/ok")], b"")?,
        "/r308" => respond(w, "308 Permanent Redirect", &[("Location", "/ok")], b"")?,
        "/loop" => respond(w, "302 Found", &[("Location", "/loop")], b"")?,
        "/goto" => {
            let to = req.target.split_once("?to=").map_or("/ok", |(_, t)| t);
            respond(w, "302 Found", &[("Location", to)], b"")?
        }
        "/r-cross" => {
            // To the same server under another name.
            let port = req
                .header("host")
                .and_then(|h| h.rsplit_once(':'))
                .map_or("80", |(_, p)| p);
            let to = format!("http://localhost:{port}/ok");
            respond(w, "302 Found", &[("Location", &to)], b"")?
        }
        "/empty" => respond(w, "200 OK", &text, b"")?,
        "/binary" => {
            let body: Vec<u8> = (0..=255u8).collect();
            respond(
                w,
                "200 OK",
                &[("Content-Type", "application/octet-stream")],
                &body,
            )?
        }
        "/setcookie" => {
            let persistent = format!("b=2; Path=/; {EXPIRES}");
            respond(
                w,
                "200 OK",
                &[
                    ("Set-Cookie", "a=1; Path=/"),
                    ("Set-Cookie", &persistent),
                    ("Content-Type", "text/plain"),
                ],
                b"cookies set\n",
            )?
        }
        "/setcookie-redirect" => respond(
            w,
            "302 Found",
            &[("Set-Cookie", "sid=42; Path=/"), ("Location", "/ok")],
            b"",
        )?,
        "/gzip" => respond(w, "200 OK", &[("Content-Encoding", "gzip")], GZ)?,
        "/badgzip" => respond(w, "200 OK", &[("Content-Encoding", "gzip")], b"not gzip")?,
        "/short" => {
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")?;
            w.flush()?;
            return Ok(false);
        }
        "/nothing" => return Ok(false),
        "/garbage" => {
            w.write_all(b"HELLO THERE\r\n\r\n")?;
            w.flush()?;
            return Ok(false);
        }
        "/bad-header" => {
            w.write_all(b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 2\r\n\r\nok")?;
            w.flush()?;
            return Ok(false);
        }
        "/half-head" => {
            w.write_all(b"HTTP/1.1 200 OK\r\nContent-Len")?;
            w.flush()?;
            return Ok(false);
        }
        "/slow" => {
            // The reply comes long after the clients' -m limit.
            std::thread::sleep(std::time::Duration::from_secs(3));
            respond(w, "200 OK", &text, b"late\n")?
        }
        p if p.starts_with("/chain/") => {
            let n: u32 = p["/chain/".len()..].parse().unwrap_or(0);
            if n == 0 {
                respond(w, "200 OK", &text, b"end\n")?
            } else {
                let to = format!("/chain/{}", n - 1);
                respond(w, "302 Found", &[("Location", &to)], b"")?
            }
        }
        _ => respond(w, "400 Bad Request", &text, b"unknown path\n")?,
    }
    Ok(true)
}

/// One command line, and the differences expected from it.
struct Case {
    args: Vec<String>,
    intended: Vec<Intended>,
}

fn case(args: &[&str]) -> Case {
    Case {
        args: args.iter().map(|s| s.to_string()).collect(),
        intended: Vec::new(),
    }
}

impl Case {
    fn differs(mut self, d: Intended) -> Case {
        self.intended.push(d);
        self
    }
}

/// Everything the test needs to build command lines.
struct Env {
    base: String,
    tls_base: String,
    dead: String,
    proxy: String,
    inputs: PathBuf,
    ca: PathBuf,
    /// https URLs of servers whose certificate names another host, and
    /// whose certificate has expired.
    tls_wrong: String,
    tls_expired: String,
}

/// The tables: server behaviours × output flags, then request-building
/// flags and failures one by one.
fn cases(e: &Env) -> Vec<Case> {
    let paths = [
        "/ok",
        "/json",
        "/missing",
        "/error",
        "/redirect",
        "/r303",
        "/chain/3",
        "/empty",
        "/binary",
        "/setcookie",
        "/download/file.txt",
    ];
    let flag_sets: [&[&str]; 13] = [
        &[],
        &["-i"],
        &["-f"],
        &["--fail-with-body"],
        &["-L"],
        &["-L", "-i"],
        &["-s", "-o", "out.bin"],
        &[
            "-w",
            "%{http_code} %{size_download} %{num_redirects} %{content_type}\\n",
        ],
        &[
            "-L",
            "-w",
            "|%{url_effective}|%{num_redirects}|%{http_code}",
        ],
        &["-I"],
        &["-sSf"],
        &["-L", "-c", "jar.txt"],
        &["-O"],
    ];
    let mut out = Vec::new();
    for path in paths {
        for flags in flag_sets {
            let mut args: Vec<&str> = flags.to_vec();
            let url = format!("{}{path}", e.base);
            args.push(&url);
            out.push(case(&args));
        }
    }

    let i = |name: &str| e.inputs.join(name).display().to_string();
    let u = |path: &str| format!("{}{path}", e.base);
    let at = |name: &str| format!("@{}", i(name));
    let lt = |name: &str| format!("a=<{}", i(name));
    let file_part = |name: &str| format!("f=@{}", i(name));
    let typed_part = format!("f=@{};type=text/x-test", i("upload.txt"));
    let proxy_auth = format!("http://user:pw@{}", e.proxy);
    let dead_proxy = e.dead.trim_start_matches("http://").to_string();
    let mut more = vec![
        // Bodies.
        case(&["-d", "a=1&b=two", &u("/ok")]),
        case(&["-d", &at("lines.txt"), &u("/ok")]),
        case(&["--data-binary", &at("lines.txt"), &u("/ok")]),
        case(&["--data-raw", &at("lines.txt"), &u("/ok")]),
        case(&["--data-ascii", "x=1", &u("/ok")]),
        case(&["--data-urlencode", "name=a b&c", &u("/ok")]),
        case(&["--data-urlencode", "=x y", &u("/ok")]),
        case(&[
            "--data-urlencode",
            &format!("n@{}", i("lines.txt")),
            &u("/ok"),
        ]),
        case(&[
            "-d",
            "a=1",
            "--data-urlencode",
            "b=x y",
            "-d",
            "c=3",
            &u("/ok"),
        ]),
        case(&["-d", "a", "-d", "b", &u("/ok")]),
        case(&["-d", "", &u("/ok")]),
        case(&["--json", "{\"a\":1}", &u("/ok")]),
        case(&["--json", &at("data.json"), &u("/ok")]),
        case(&["--json", "{\"a\":", "--json", "1}", &u("/ok")]),
        case(&["--json", "[]", "-H", "Accept: text/plain", &u("/ok")]),
        case(&["-d", "x", "-H", "Content-Type: text/plain", &u("/ok")]),
        case(&["-d", "x", "-X", "PUT", &u("/ok")]),
        case(&["-X", "DELETE", &u("/ok")]),
        case(&["-X", "POST", &u("/ok")]),
        case(&["-F", "a=1", "-F", &file_part("upload.txt"), &u("/ok")]),
        case(&["-F", &typed_part, &u("/ok")]),
        case(&["-F", &lt("upload.txt"), &u("/ok")]),
        case(&["-F", "a=1", "-X", "PUT", &u("/ok")]),
        case(&["-T", &i("upload.txt"), &u("/put")]),
        case(&["-T", &i("upload.txt"), &u("/up/")]),
        case(&["-T", &i("upload.txt"), "-X", "POST", &u("/put")]),
        // Headers.
        case(&["-H", "X-Custom: one", "-H", "X-Other: two", &u("/ok")]),
        case(&["-H", &at("headers.txt"), &u("/ok")]),
        case(&["-H", "Accept: text/html", &u("/ok")]),
        case(&["-H", "X-Empty;", &u("/ok")]),
        case(&["-u", "user:pass", &u("/ok")]),
        case(&["-u", "user:", &u("/ok")]),
        case(&["-A", "agent/1.0", &u("/ok")]),
        case(&["-H", "User-Agent: other/2", &u("/ok")]),
        case(&["-e", "http://ref.test/", &u("/ok")]),
        // Cookies.
        case(&["-b", "a=1", &u("/ok")]),
        case(&["-b", "a=1; b=2", &u("/ok")]),
        case(&["-b", &i("cookies.txt"), &u("/ok")]),
        case(&["-b", &i("no-such-cookies.txt"), &u("/ok")]),
        case(&["-b", &i("cookies.txt"), "-c", "jar.txt", &u("/setcookie")]),
        case(&["-c", "jar.txt", &u("/setcookie")]),
        case(&["-L", "-c", "jar.txt", &u("/setcookie-redirect")]),
        case(&["-L", "-b", "x=y", &u("/setcookie-redirect")]),
        // Proxies.
        case(&["-x", &e.proxy, "http://origin.test/ok"]),
        case(&[
            "-x",
            &format!("http://{}", e.proxy),
            "http://origin.test/ok",
        ]),
        case(&["-x", &proxy_auth, "http://origin.test/ok"]),
        case(&[
            "-x",
            &e.proxy,
            "--proxy-user",
            "u:p",
            "http://origin.test/ok",
        ]),
        case(&["-x", &dead_proxy, "--noproxy", "127.0.0.1", &u("/ok")]),
        case(&["-x", &dead_proxy, "--noproxy", "*", &u("/ok")]),
        case(&["-x", &dead_proxy, &u("/ok")]),
        // Codings.
        case(&["--compressed", &u("/gzip")]),
        case(&["--compressed", &u("/ok")]),
        case(&["--compressed", &u("/badgzip")]),
        case(&[&u("/gzip")]).differs(Intended::Decoded),
        // Redirects.
        case(&["-L", &u("/loop")]),
        case(&["-L", "--max-redirs", "5", "-i", &u("/loop")]),
        case(&["-L", "-X", "POST", "-d", "x", &u("/redirect")]),
        case(&["-L", "-X", "PUT", "-d", "x", &u("/redirect")]),
        case(&["-L", "-X", "POST", "-d", "x", &u("/r307")]),
        case(&["-L", "-T", &i("upload.txt"), &u("/redirect")]),
        case(&["-L", "-T", &i("upload.txt"), &u("/r303")]),
        case(&["-L", "-T", &i("upload.txt"), &u("/r308")]),
        case(&["-L", "-F", "a=1", &u("/r307")]),
        case(&["-L", "-F", &file_part("upload.txt"), &u("/r307")]),
        case(&["-L", "-F", &file_part("upload.txt"), &u("/redirect")]),
        case(&["-L", "-I", &u("/r303")]),
        case(&["-L", "-i", "-d", "x", &u("/r307")]),
        case(&["-L", "-D", "head.txt", &u("/chain/3")]),
        case(&["-L", "-m", "5", &u("/chain/3")]),
        case(&[
            "-L",
            "-c",
            "jar.txt",
            "-w",
            "%{http_code} %{num_redirects}",
            &u("/goto?to=foo://x/"),
        ]),
        case(&["-L", "-H", "Authorization: Bearer t", &u("/r-cross")]),
        case(&["-L", "-H", "Cookie: c=1", &u("/r-cross")]),
        case(&["-L", "-e", "http://ref.test/", &u("/r-cross")]),
        case(&["-L", "--max-redirs", "2", &u("/chain/3")]),
        case(&["-L", "--max-redirs", "3", &u("/chain/3")]),
        case(&["-L", "--max-redirs", "0", &u("/redirect")]),
        case(&["-L", "--max-redirs", "-1", &u("/chain/3")]),
        case(&["-L", "-d", "x", &u("/redirect")]),
        case(&["-L", "-d", "x", &u("/r301")]),
        case(&["-L", "-d", "x", &u("/r303")]),
        case(&["-L", "-d", "x", &u("/r307")]),
        case(&["-L", "-d", "x", &u("/r308")]),
        case(&["-L", "-u", "user:pass", &u("/redirect")]),
        // Failures and their exit codes.
        case(&[&u("/short")]).differs(Intended::PartialBody),
        case(&["-o", "out.bin", &u("/short")]).differs(Intended::PartialFile),
        case(&[&u("/nothing")]),
        case(&[&u("/garbage")]),
        case(&[&u("/bad-header")]),
        case(&[&u("/half-head")]).differs(Intended::CutHead),
        case(&[&e.base.replace("http://", "https://")]),
        case(&["-m", "0.5", &u("/slow")]),
        case(&[&format!("{}/", e.dead)]),
        case(&["http://nonexistent.invalid/"]),
        case(&["foo://127.0.0.1/"]),
        case(&["-T", &i("no-such-upload.txt"), &u("/put")]),
        case(&["-I", "-d", "x", &u("/ok")]),
        case(&["--no-such-flag", &u("/ok")]),
        case(&["-o", "no/such/dir/out.bin", &u("/ok")]).differs(Intended::OutputFirst),
        case(&["-O", &format!("{}/", e.base)]),
        case(&["-O", "-J", &u("/disposition")]),
        case(&["-O", "-J", &u("/ok")]),
        case(&["-d", &at("no-such-data.txt"), &u("/ok")]).differs(Intended::DataFileMissing),
        case(&[
            "--cacert",
            &i("no-such-ca.pem"),
            &format!("{}/ok", e.tls_base),
        ])
        .differs(Intended::CacertMissing),
        // TLS.
        case(&[
            "--cacert",
            &e.ca.display().to_string(),
            &format!("{}/ok", e.tls_base),
        ]),
        case(&[&format!("{}/ok", e.tls_base)]),
        case(&["-k", &format!("{}/ok", e.tls_base)]),
        case(&["-s", "-k", &format!("{}/ok", e.tls_base)]),
        // Output.
        case(&["-v", &u("/ok")]),
        case(&["-s", "-v", &u("/missing")]),
        case(&["-sS", "-f", &u("/missing")]),
        case(&["-f", "-i", &u("/missing")]),
        case(&["--fail-with-body", "-o", "out.bin", &u("/missing")]),
        case(&["-f", "-o", "out.bin", &u("/missing")]),
        case(&["-o", "out.bin", &u("/missing")]),
        case(&["-w", "%{time_total}|%%|\\t|%{response_code}", &u("/ok")]),
        case(&["-w", &at("format.txt"), &u("/json")]),
        case(&["-I", "-L", &u("/ok")]),
        case(&["-i", "-o", "out.bin", &u("/ok")]),
        case(&["-m", "5", "--connect-timeout", "5", &u("/ok")]),
        case(&[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &u("/missing"),
        ]),
        case(&["-w", "%{url_effective} %{http_code}", &u("/redirect")]),
        case(&["-i", "--fail-with-body", &u("/missing")]),
        case(&["-I", "-f", &u("/missing")]),
        case(&["-f", "--fail-with-body", &u("/ok")]),
        case(&["-v", "-o", "out.bin", &u("/ok")]),
        // More request building.
        case(&["-G", "-d", "a=1", "-d", "b=2", &u("/ok")]),
        case(&["-G", "--data-urlencode", "q=x y", &u("/ok?p=1")]),
        case(&["-G", "-I", "-d", "a=1", &u("/ok")]),
        case(&["--data-urlencode", &at("lines.txt"), &u("/ok")]),
        case(&["-H", "Accept:", &u("/ok")]),
        case(&["-H", "Host: example.test", &u("/ok")]),
        case(&["-H", "X-A: 1", "-H", "X-A: 2", &u("/ok")]),
        case(&[&u("/ok").replace("http://", "http://who:pw@")]),
        case(&["-u", "a:b", &u("/ok").replace("http://", "http://who:pw@")]),
        case(&["-L", "-u", "user:pass", &u("/r-cross")]),
        case(&["-L", "-H", "X-Keep: 1", &u("/r-cross")]),
        case(&["-L", "-b", &i("cookies.txt"), &u("/redirect")]),
        case(&["-x", &e.proxy, "https://origin.test/ok"]).differs(Intended::ConnectAgent),
        case(&["-D", "head.txt", &u("/json")]),
        case(&["-D", "-", "-o", "out.bin", &u("/missing")]),
        case(&["-o", "-", &u("/ok")]),
        case(&[
            "-L",
            "--cacert",
            &e.ca.display().to_string(),
            &format!("{}/goto?to={}/ok", e.tls_base, e.base),
        ]),
        case(&[&e.tls_wrong]),
        case(&[&e.tls_expired]),
        case(&["--cacert", &e.ca.display().to_string(), &e.tls_wrong]),
        case(&["--cacert", &e.ca.display().to_string(), &e.tls_expired]),
        case(&["-i", "--compressed", &u("/gzip")]),
        case(&["-I", &u("/gzip")]),
    ];
    out.append(&mut more);
    out
}

/// What one program did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    files: BTreeMap<String, Vec<u8>>,
    requests: Vec<Seen>,
}

/// A request as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Headers compared: what the flags set. `accept-encoding` and
/// `user-agent` are checked apart (intended differences); the body is
/// compared, so `Content-Length` is not (urlreq sends `Content-Length: 0`
/// with a bodiless POST, curl sends none).
fn compared(name: &str) -> bool {
    matches!(
        name,
        "content-type" | "authorization" | "referer" | "cookie" | "accept" | "proxy-authorization"
    ) || name.starts_with("x-")
}

fn seen(req: &Req) -> Seen {
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(n, _)| compared(n))
        .cloned()
        .collect();
    let mut body = req.body.clone();
    // Multipart boundaries are random: compare with them replaced.
    if let Some(boundary) = req
        .header("content-type")
        .and_then(|t| t.split_once("boundary="))
        .map(|(_, b)| b.trim_matches('"').to_string())
    {
        for h in &mut headers {
            h.1 = h.1.replace(&boundary, "BOUNDARY");
        }
        body = replace_bytes(&body, boundary.as_bytes(), b"BOUNDARY");
    }
    headers.sort();
    Seen {
        method: req.method.clone(),
        target: req.target.clone(),
        headers,
        body,
    }
}

/// Requests for a message, bodies as text.
fn show_requests(requests: &[Seen]) -> String {
    let each: Vec<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {} {:?} {:?}",
                r.method,
                r.target,
                r.headers,
                String::from_utf8_lossy(&r.body)
            )
        })
        .collect();
    format!("[{}]", each.join(", "))
}

fn replace_bytes(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if !from.is_empty() && hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

fn run(program: &Path, args: &[String], dir: &Path, servers: &[&Server]) -> (Run, Vec<Req>) {
    std::fs::create_dir_all(dir).unwrap();
    for s in servers {
        s.requests.lock().unwrap().clear();
    }
    let mut cmd = support::clean_command(program);
    // curl's own settings files and certificate paths play no part either.
    for v in ["CURL_HOME", "SSL_CERT_FILE", "SSL_CERT_DIR"] {
        cmd.env_remove(v);
    }
    // No ~/.curlrc: HOME points at the empty run directory.
    cmd.env("HOME", dir);
    let o = cmd
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} does not run ({e}); curl comes with `apt-get install -y curl`",
                program.display()
            )
        });
    let mut raw = Vec::new();
    for s in servers {
        raw.extend(s.requests.lock().unwrap().drain(..));
    }
    let mut files = BTreeMap::new();
    collect_files(dir, dir, &mut files);
    (
        Run {
            code: o.status.code(),
            stdout: o.stdout,
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            files,
            requests: raw.iter().map(seen).collect(),
        },
        raw,
    )
}

fn collect_files(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out);
            continue;
        }
        let name = path.strip_prefix(root).unwrap().display().to_string();
        let mut data = std::fs::read(&path).unwrap();
        if name == "jar.txt" {
            data = cookie_lines(&data);
        }
        out.insert(name, data);
    }
}

/// The cookie lines of a Netscape cookie file, sorted (the comment lines
/// name the program that wrote it).
fn cookie_lines(data: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && (!l.starts_with('#') || l.starts_with("#HttpOnly_")))
        .collect();
    lines.sort();
    lines.join("\n").into_bytes()
}

/// `%{time_total}` differs from run to run: each `D.DDDDDD` becomes `T`.
fn mask_times(out: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(out).into_owned();
    let b = text.as_bytes();
    let mut result = String::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i > start
            && i + 7 <= b.len()
            && b[i] == b'.'
            && b[i + 1..i + 7].iter().all(u8::is_ascii_digit)
        {
            result.push('T');
            i += 7;
            continue;
        }
        if i > start {
            result.push_str(&text[start..i]);
            continue;
        }
        let c = text[i..].chars().next().unwrap();
        result.push(c);
        i += c.len_utf8();
    }
    result.into_bytes()
}

/// Compares the two runs of `c`; a description of each unexpected
/// difference.
fn compare(c: &Case, curl: &Run, curl_raw: &[Req], ours: &Run, ours_raw: &[Req]) -> Vec<String> {
    let mut problems = Vec::new();
    let has = |d: Intended| c.intended.contains(&d);
    let compressed = c.args.iter().any(|a| a == "--compressed");

    // accept-encoding and user-agent: checked on every request.
    for r in curl_raw.iter().filter(|r| r.method != "CONNECT") {
        if r.header("accept-encoding").is_some() != compressed {
            problems.push(format!(
                "curl's Accept-Encoding: {:?}",
                r.header("accept-encoding")
            ));
        }
    }
    for r in ours_raw.iter().filter(|r| r.method != "CONNECT") {
        if r.header("accept-encoding").is_none() {
            problems.push("urlreq sent no Accept-Encoding".into());
        }
    }
    let agents = |raw: &[Req], default: &str| -> Vec<String> {
        raw.iter()
            .map(|r| {
                let ua = r.header("user-agent").unwrap_or("-");
                if ua.starts_with(default) {
                    "<default>".to_string()
                } else {
                    ua.to_string()
                }
            })
            .collect()
    };
    let sent_nothing = has(Intended::DataFileMissing) || has(Intended::OutputFirst);
    if has(Intended::ConnectAgent) {
        let connect_agents = (agents(curl_raw, "curl/"), agents(ours_raw, "urlrequest/"));
        if connect_agents != (vec!["<default>".to_string()], vec!["-".to_string()]) {
            problems.push(format!("connect-agent: {connect_agents:?}"));
        }
    } else if !sent_nothing && agents(curl_raw, "curl/") != agents(ours_raw, "urlrequest/") {
        problems.push(format!(
            "User-Agent: curl {:?}, urlreq {:?}",
            agents(curl_raw, "curl/"),
            agents(ours_raw, "urlrequest/")
        ));
    }

    // Exit codes.
    let codes = if has(Intended::DataFileMissing) {
        (Some(0), Some(26))
    } else if has(Intended::CacertMissing) {
        (Some(77), Some(2))
    } else if has(Intended::CutHead) {
        (Some(0), Some(8))
    } else {
        (curl.code, curl.code)
    };
    if (curl.code, ours.code) != codes {
        problems.push(format!(
            "exit code: curl {:?}, urlreq {:?} (expected {codes:?})",
            curl.code, ours.code
        ));
    }

    // Requests.
    if has(Intended::DataFileMissing) {
        let empty_post = curl.requests.len() == 1
            && curl.requests[0].method == "POST"
            && curl.requests[0].body.is_empty();
        if !empty_post || !ours.requests.is_empty() {
            problems.push(format!(
                "data-file-missing: curl sent {}, urlreq sent {}",
                show_requests(&curl.requests),
                show_requests(&ours.requests)
            ));
        }
    } else if has(Intended::OutputFirst) {
        if curl.requests.len() != 1 || !ours.requests.is_empty() {
            problems.push(format!(
                "output-first: curl sent {}, urlreq sent {}",
                show_requests(&curl.requests),
                show_requests(&ours.requests)
            ));
        }
    } else if curl.requests != ours.requests {
        problems.push(format!(
            "requests:\n    curl   {}\n    urlreq {}",
            show_requests(&curl.requests),
            show_requests(&ours.requests)
        ));
    }

    // Stdout.
    let want = mask_times(&curl.stdout);
    let got = mask_times(&ours.stdout);
    if has(Intended::Decoded) {
        if curl.stdout != GZ || ours.stdout != b"hello, gzip\n" {
            problems.push("decoded: curl should write the gzip bytes, urlreq the text".into());
        }
    } else if has(Intended::DataFileMissing) {
        if curl.stdout != b"hello\n" || !ours.stdout.is_empty() {
            problems.push("data-file-missing: curl should print the answer, urlreq nothing".into());
        }
    } else if has(Intended::PartialBody) {
        if curl.stdout != b"0123456789" || !ours.stdout.is_empty() {
            problems.push("partial-body: curl should print the 10 bytes, urlreq none".into());
        }
    } else {
        if want != got {
            problems.push(format!(
                "stdout:\n    curl   {:?}\n    urlreq {:?}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }

    // Files.
    let mut want_files = curl.files.clone();
    if has(Intended::PartialFile) && want_files.remove("out.bin").is_none() {
        problems.push("partial-file: curl kept no partial file".into());
    }
    if want_files != ours.files {
        let show = |f: &BTreeMap<String, Vec<u8>>| {
            f.iter()
                .map(|(k, v)| format!("{k}={:?}", String::from_utf8_lossy(v)))
                .collect::<Vec<_>>()
        };
        problems.push(format!(
            "files: curl {:?}, urlreq {:?}",
            show(&want_files),
            show(&ours.files)
        ));
    }
    problems
}

fn write_inputs(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files: [(&str, &[u8]); 6] = [
        ("lines.txt", b"a=1\nb=2\r\nc=3\n"),
        ("data.json", b"{\"k\": [1, 2]}\n"),
        ("upload.txt", b"upload body\nline 2\n"),
        ("headers.txt", b"X-From-File: 1\n\nX-Second: two\n"),
        (
            "cookies.txt",
            b"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tfromfile\tyes\n",
        ),
        ("format.txt", b"code=%{http_code} type=%{content_type}\n"),
    ];
    for (name, data) in files {
        std::fs::write(dir.join(name), data).unwrap();
    }
}

#[test]
fn urlreq_and_curl_agree_on_every_command_line() {
    let curl = Path::new("curl");
    let root =
        std::env::temp_dir().join(format!("urlreq-curl-differential-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let inputs = root.join("inputs");
    write_inputs(&inputs);

    let plain = serve(handler);
    let tls_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let tls = serve_on(
        tls_listener,
        Some(TestCa::trusted().server_config(&["localhost"], CertKind::Valid)),
        Arc::new(handler),
    );
    let tls_with = |kind: CertKind| {
        serve_on(
            TcpListener::bind("127.0.0.1:0").unwrap(),
            Some(TestCa::trusted().server_config(&["localhost"], kind)),
            Arc::new(handler),
        )
    };
    let (wrong, expired) = (tls_with(CertKind::WrongHost), tls_with(CertKind::Expired));
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let env = Env {
        base: plain.url(""),
        tls_base: tls.https_url("localhost", ""),
        dead,
        proxy: plain.addr.to_string(),
        inputs: inputs.clone(),
        ca: TestCa::trusted().pem_file().to_path_buf(),
        tls_wrong: wrong.https_url("localhost", "/ok"),
        tls_expired: expired.https_url("localhost", "/ok"),
    };
    let all = cases(&env);
    assert!(all.len() >= 150, "{} command lines", all.len());

    let urlreq = Path::new(env!("CARGO_BIN_EXE_urlreq"));
    let mut failures = Vec::new();
    for (n, c) in all.iter().enumerate() {
        let dir = root.join(format!("{n:03}"));
        let (theirs, theirs_raw) = run(curl, &c.args, &dir.join("curl"), &[&plain, &tls]);
        let (ours, ours_raw) = run(urlreq, &c.args, &dir.join("urlreq"), &[&plain, &tls]);
        let problems = compare(c, &theirs, &theirs_raw, &ours, &ours_raw);
        if !problems.is_empty() {
            // The last line: curl's progress meter comes before it.
            let last = |e: &str| e.trim().lines().last().unwrap_or("").to_string();
            failures.push(format!(
                "#{n} {:?}\n  {}\n  curl stderr: {}\n  urlreq stderr: {}",
                c.args,
                problems.join("\n  "),
                last(&theirs.stderr),
                last(&ours.stderr)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    println!("{} command lines run through curl and urlreq", all.len());
    assert!(
        failures.is_empty(),
        "{} of {} command lines differ:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}
