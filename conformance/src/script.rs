//! The server side of a case, shared by the in-memory simulation and the
//! loopback server: cutting the client's bytes into requests, walking the
//! script step by step, and checking each request against its expectations.

use crate::case::{Case, End, Expect, StepKind};
use crate::escape::unescape;
use crate::origins::{Origins, Role};

/// A request as a scripted server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// The server that received it.
    pub role: Role,
    /// Which connection carried it: 1 for the first one accepted in the run.
    pub connection: usize,
    /// Whether an earlier request came on the same connection.
    pub reused: bool,
    /// The request line, e.g. `GET /x HTTP/1.1`.
    pub request_line: String,
    /// The headers in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body (as framed by `Content-Length`).
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request cut out of the byte stream, before it is matched to a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedRequest {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The largest request head a scripted server accepts.
const MAX_REQUEST_HEAD: usize = 1 << 20;

/// Accumulates the bytes a client writes on one connection and cuts them
/// into requests.
#[derive(Debug, Default)]
pub(crate) struct RequestReader {
    buf: Vec<u8>,
}

impl RequestReader {
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete request, if all of it has arrived.
    pub(crate) fn next_request(&mut self) -> Result<Option<ParsedRequest>, String> {
        let mut slots = [httparse::EMPTY_HEADER; 256];
        let mut req = httparse::Request::new(&mut slots);
        let head_len = match req.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if self.buf.len() > MAX_REQUEST_HEAD => {
                return Err(format!("request head larger than {MAX_REQUEST_HEAD} bytes"))
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => {
                let first = self.buf.split(|&b| b == b'\n').next().unwrap_or(&[]);
                return Err(format!(
                    "the client sent an unparsable request ({e}): {:?}",
                    String::from_utf8_lossy(first)
                ));
            }
        };
        let line_end = self.buf.iter().position(|&b| b == b'\n').unwrap_or(0);
        let request_line = String::from_utf8_lossy(&self.buf[..line_end])
            .trim_end()
            .to_string();
        let headers: Vec<(String, String)> = req
            .headers
            .iter()
            .map(|h| {
                let value = String::from_utf8_lossy(h.value).into_owned();
                (h.name.to_string(), value)
            })
            .collect();
        let mut length = 0usize;
        let chunked = headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
        });
        if chunked {
            if headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            {
                return Err("the client sent both Transfer-Encoding and Content-Length".into());
            }
            let Some((body, used)) = dechunk(&self.buf[head_len..])? else {
                return Ok(None);
            };
            self.buf.drain(..head_len + used);
            return Ok(Some(ParsedRequest {
                request_line,
                headers,
                body,
            }));
        }
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("transfer-encoding") {
                return Err(format!(
                    "the client sent Transfer-Encoding: {value}; scripted servers read Content-Length bodies only"
                ));
            }
            if name.eq_ignore_ascii_case("content-length") {
                length = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("the client sent Content-Length: {value:?}"))?;
            }
        }
        if self.buf.len() < head_len + length {
            return Ok(None);
        }
        let body = self.buf[head_len..head_len + length].to_vec();
        self.buf.drain(..head_len + length);
        Ok(Some(ParsedRequest {
            request_line,
            headers,
            body,
        }))
    }
}

/// A chunked request body (no extensions, no trailers), strictly framed:
/// the body and the bytes it took, `None` while incomplete.
fn dechunk(data: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(eol) = data[at..].windows(2).position(|w| w == b"\r\n") else {
            if data.len() - at > 32 {
                return Err("the client sent a chunk-size line longer than 32 bytes".into());
            }
            return Ok(None);
        };
        let line = &data[at..at + eol];
        let size = std::str::from_utf8(line)
            .ok()
            .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|l| usize::from_str_radix(l, 16).ok())
            .ok_or_else(|| {
                format!(
                    "the client sent a bad chunk-size line {:?}",
                    String::from_utf8_lossy(line)
                )
            })?;
        at += eol + 2;
        if size == 0 {
            return match data.get(at..at + 2) {
                None => Ok(None),
                Some(b"\r\n") => Ok(Some((body, at + 2))),
                Some(other) => Err(format!(
                    "the client sent {:?} after the last chunk instead of CRLF",
                    String::from_utf8_lossy(other)
                )),
            };
        }
        if data.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&data[at..at + size]);
        if &data[at + size..at + size + 2] != b"\r\n" {
            return Err(format!("chunk of {size} bytes not followed by CRLF"));
        }
        at += size + 2;
    }
}

#[derive(Debug)]
enum Resolved {
    AcceptAndClose,
    Respond {
        expects: Vec<Expect>,
        send: Vec<u8>,
        end: End,
    },
}

/// The script of one run with real addresses, and what happened so far.
#[derive(Debug)]
pub(crate) struct Script {
    file: String,
    steps: Vec<(Role, usize, Resolved)>,
    next: usize,
    connections: usize,
    errors: Vec<String>,
    received: Vec<ReceivedRequest>,
}

impl Script {
    pub(crate) fn new(case: &Case, origins: &Origins) -> Result<Script, String> {
        let sub = |s: &str| origins.substitute(s);
        let mut steps = Vec::new();
        for step in &case.script {
            let resolved = match &step.kind {
                StepKind::AcceptAndClose => Resolved::AcceptAndClose,
                StepKind::Respond { expects, send, end } => Resolved::Respond {
                    expects: expects
                        .iter()
                        .map(|e| match e {
                            Expect::RequestLine(l) => Expect::RequestLine(sub(l)),
                            Expect::Header(n, v) => Expect::Header(n.clone(), sub(v)),
                            Expect::Body(b) => Expect::Body(sub(b)),
                            other => other.clone(),
                        })
                        .collect(),
                    send: unescape(&sub(send))?,
                    end: *end,
                },
            };
            steps.push((step.role, step.line, resolved));
        }
        let file = case
            .location
            .rsplit_once(':')
            .map_or(case.location.clone(), |(f, _)| f.to_string());
        Ok(Script {
            file,
            steps,
            next: 0,
            connections: 0,
            errors: Vec::new(),
            received: Vec::new(),
        })
    }

    /// A connection was accepted on `role`: its number, and whether the
    /// script says to close it at once.
    pub(crate) fn accept(&mut self, role: Role) -> (usize, bool) {
        self.connections += 1;
        let close = matches!(
            self.steps.get(self.next),
            Some((r, _, Resolved::AcceptAndClose)) if *r == role
        );
        if close {
            self.next += 1;
        }
        (self.connections, close)
    }

    /// The client broke the request syntax on a connection.
    pub(crate) fn bad_request(&mut self, role: Role, connection: usize, message: String) {
        self.errors
            .push(format!("on {role}, connection #{connection}: {message}"));
    }

    /// A complete request arrived: the bytes to answer and what to do next.
    pub(crate) fn respond(
        &mut self,
        role: Role,
        connection: usize,
        reused: bool,
        req: ParsedRequest,
    ) -> (Vec<u8>, End) {
        let number = self.received.len() + 1;
        let received = ReceivedRequest {
            role,
            connection,
            reused,
            request_line: req.request_line,
            headers: req.headers,
            body: req.body,
        };
        let who = format!(
            "request #{number} (`{}` on {role}, connection #{connection})",
            received.request_line
        );
        let step = self.steps.get(self.next);
        self.next += 1;
        let reply = match step {
            None => {
                self.errors
                    .push(format!("{who} arrived but the script has no steps left"));
                (Vec::new(), End::Close)
            }
            Some((r, line, Resolved::AcceptAndClose)) => {
                self.errors.push(format!(
                    "{who} arrived where the step at {}:{line} expects a new connection to {r}",
                    self.file
                ));
                (Vec::new(), End::Close)
            }
            Some((r, line, Resolved::Respond { expects, send, end })) => {
                let at = format!("{who}, step at {}:{line}", self.file);
                if *r != role {
                    self.errors
                        .push(format!("{at}: the step is for {r}, not {role}"));
                }
                for e in expects {
                    if let Err(m) = check(e, &received) {
                        self.errors.push(format!("{at}: {m}"));
                    }
                }
                (send.clone(), *end)
            }
        };
        self.received.push(received);
        reply
    }

    pub(crate) fn received(&self) -> &[ReceivedRequest] {
        &self.received
    }

    /// Every expectation held and every step was used.
    pub(crate) fn verdict(&self) -> Result<(), String> {
        let mut problems = self.errors.clone();
        if let Some((role, line, _)) = self.steps.get(self.next) {
            problems.push(format!(
                "the run ended with {} script step(s) unused, the first at {}:{line} (on {role})",
                self.steps.len() - self.next,
                self.file
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

fn check(expect: &Expect, req: &ReceivedRequest) -> Result<(), String> {
    match expect {
        Expect::RequestLine(l) if *l != req.request_line => Err(format!(
            "expected request line `{l}`, got `{}`",
            req.request_line
        )),
        Expect::Header(name, value) => {
            let found: Vec<&str> = req
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .collect();
            if found.contains(&value.as_str()) {
                Ok(())
            } else if found.is_empty() {
                Err(format!(
                    "expected header `{name}: {value}`, but it is absent"
                ))
            } else {
                Err(format!(
                    "expected header `{name}: {value}`, got `{name}: {}`",
                    found.join(" / ")
                ))
            }
        }
        Expect::NoHeader(name) => match req.header(name) {
            Some(v) => Err(format!("expected no `{name}` header, got `{name}: {v}`")),
            None => Ok(()),
        },
        Expect::Body(text) => {
            let want = unescape(text).unwrap_or_default();
            if want == req.body {
                Ok(())
            } else {
                Err(format!(
                    "expected body {:?}, got {:?}",
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(&req.body)
                ))
            }
        }
        Expect::Reused(want) if *want != req.reused => Err(format!(
            "expected the request on a {} connection, it came on a {} one (connection #{})",
            if *want { "reused" } else { "fresh" },
            if req.reused { "reused" } else { "fresh" },
            req.connection
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_cases;

    #[test]
    fn reader_cuts_requests_with_bodies_across_pushes() {
        let mut r = RequestReader::default();
        r.push(b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nab");
        assert_eq!(r.next_request().unwrap(), None);
        r.push(b"cGET /b HTTP/1.1\r\n\r\n");
        let first = r.next_request().unwrap().unwrap();
        assert_eq!(first.request_line, "POST /a HTTP/1.1");
        assert_eq!(first.body, b"abc");
        let second = r.next_request().unwrap().unwrap();
        assert_eq!(second.request_line, "GET /b HTTP/1.1");
        assert_eq!(r.next_request().unwrap(), None);
    }

    #[test]
    fn mismatches_and_leftover_steps_are_reported() {
        let text = r"
case c
request
  url {origin}/x
server
  step
    expect-request-line GET /x HTTP/1.1
    expect-header Host: {host}
    expect-no-header Cookie
    expect-body
    expect-connection fresh
    send HTTP/1.1 204 No Content\r\n\r\n
    keep
  step on origin2
    close
trace
  done 204 HTTP/1.1 {origin}/x bytes=0
";
        let case = &parse_cases("t.case", text).unwrap()[0];
        let origins = Origins::virtual_origins();
        let mut script = Script::new(case, &origins).unwrap();
        let (conn, close) = script.accept(Role::Origin);
        assert!(!close);
        let req = ParsedRequest {
            request_line: "GET /y HTTP/1.1".into(),
            headers: vec![("cookie".into(), "a=b".into())],
            body: b"zz".to_vec(),
        };
        let (send, end) = script.respond(Role::Origin, conn, true, req);
        assert_eq!(send, b"HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(end, End::Keep);
        let verdict = script.verdict().unwrap_err();
        for needle in [
            "request #1 (`GET /y HTTP/1.1` on origin, connection #1), step at t.case:6: expected request line `GET /x HTTP/1.1`",
            "expected header `Host: 127.0.0.1:18081`, but it is absent",
            "expected no `Cookie` header, got `Cookie: a=b`",
            "expected body \"\", got \"zz\"",
            "expected the request on a fresh connection, it came on a reused one",
            "1 script step(s) unused, the first at t.case:14 (on origin2)",
        ] {
            assert!(verdict.contains(needle), "{needle} not in:\n{verdict}");
        }
    }
}
