//! Reading case files. The format is described in the crate's README; every
//! error names the file and line and says what was expected there.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::case::{Case, End, Expect, MultipartSpec, RequestSpec, Step, StepKind};
use crate::escape::unescape;
use crate::origins::Role;
use crate::pki::CertKind;

/// A case file could not be read or understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The file (as given to the parser).
    pub file: String,
    /// 1-based line number, 0 when the error concerns the whole file.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Header,
    Request,
    Server,
    Trace,
}

/// Builds one case while its lines are read.
struct Draft {
    case: Case,
    line: usize,
    section: Section,
    seen: Vec<Section>,
    /// The step being written and whether it has ended.
    step_open: bool,
}

/// Parses the text of one case file. `file` names it in errors; its stem
/// (without directories and `.case`) is the family of its cases.
pub fn parse_cases(file: &str, text: &str) -> Result<Vec<Case>, ParseError> {
    let family = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    let err = |line: usize, message: String| ParseError {
        file: file.to_string(),
        line,
        message,
    };
    let mut cases: Vec<Case> = Vec::new();
    let mut draft: Option<Draft> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("case ").map(str::trim) {
            if let Some(d) = draft.take() {
                cases.push(finish(d).map_err(|(l, m)| err(l, m))?);
            }
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(err(n, format!("case name {name:?} must be one word")));
            }
            if cases.iter().any(|c| c.name == name) {
                return Err(err(
                    n,
                    format!("a case named {name:?} already exists in this file"),
                ));
            }
            draft = Some(Draft {
                case: Case {
                    family: family.clone(),
                    name: name.to_string(),
                    note: String::new(),
                    location: format!("{file}:{n}"),
                    requires_tls: false,
                    tls_cert: CertKind::Valid,
                    proxy_auth: None,
                    request: RequestSpec::default(),
                    script: Vec::new(),
                    expected: Vec::new(),
                },
                line: n,
                section: Section::Header,
                seen: Vec::new(),
                step_open: false,
            });
            continue;
        }
        let Some(d) = draft.as_mut() else {
            return Err(err(n, format!("expected `case <name>` before {line:?}")));
        };
        let section = match line {
            "request" => Some(Section::Request),
            "server" => Some(Section::Server),
            "trace" => Some(Section::Trace),
            _ => None,
        };
        if let Some(s) = section {
            if d.seen.contains(&s) {
                return Err(err(
                    n,
                    format!("section `{line}` appears twice in this case"),
                ));
            }
            close_step(d).map_err(|m| err(n, m))?;
            d.seen.push(s);
            d.section = s;
            continue;
        }
        let result = match d.section {
            Section::Header => header_line(d, line),
            Section::Request => request_line(&mut d.case.request, line),
            Section::Server => server_line(d, n, line),
            Section::Trace => {
                d.case.expected.push(line.to_string());
                Ok(())
            }
        };
        result.map_err(|m| err(n, m))?;
    }
    if let Some(d) = draft.take() {
        cases.push(finish(d).map_err(|(l, m)| err(l, m))?);
    }
    if cases.is_empty() {
        return Err(err(0, "no cases in this file".into()));
    }
    Ok(cases)
}

fn header_line(d: &mut Draft, line: &str) -> Result<(), String> {
    let (key, rest) = split_key(line);
    if line == "requires tls" {
        d.case.requires_tls = true;
        return Ok(());
    }
    if key != "note" {
        return Err(format!(
            "expected `note <text>`, `requires tls` or a section (`request`, `server`, `trace`), found {line:?}"
        ));
    }
    if !d.case.note.is_empty() {
        d.case.note.push(' ');
    }
    d.case.note.push_str(rest);
    Ok(())
}

fn finish(mut d: Draft) -> Result<Case, (usize, String)> {
    let at = d.line;
    close_step(&mut d).map_err(|m| (at, m))?;
    let c = d.case;
    let name = &c.name;
    if c.request.url.is_empty() {
        return Err((at, format!("case {name}: the request has no `url`")));
    }
    // No steps is allowed only where no request can reach a scripted
    // server: a certificate the client rejects, or a proxy that refuses.
    // A streamed body whose source gives another length than the one
    // declared never completes a request either.
    let broken_upload = c
        .request
        .body_stream
        .is_some_and(|u| u.stream.length.is_some_and(|l| l != u.source_len));
    if c.script.is_empty()
        && c.tls_cert == CertKind::Valid
        && c.proxy_auth.is_none()
        && !broken_upload
    {
        return Err((
            at,
            format!(
                "case {name}: the `server` section has no steps (allowed only with a bad \
                 `tls-cert` or a `proxy-auth` the request does not meet)"
            ),
        ));
    }
    match c.expected.last() {
        Some(l) if l.starts_with("done ") || l.starts_with("failure ") => {}
        _ => {
            return Err((
                at,
                format!("case {name}: the `trace` must end with a `done` or `failure` line"),
            ))
        }
    }
    Ok(c)
}

/// Checks that the last step was ended with `keep`, `close` or `stall`.
fn close_step(d: &mut Draft) -> Result<(), String> {
    if d.step_open {
        let line = d.case.script.last().map_or(0, |s| s.line);
        return Err(format!(
            "the step that starts on line {line} has no ending: finish it with `keep`, `close` or `stall`"
        ));
    }
    Ok(())
}

fn split_key(line: &str) -> (&str, &str) {
    match line.split_once(char::is_whitespace) {
        Some((k, rest)) => (k, rest.trim()),
        None => (line, ""),
    }
}

fn header_pair(rest: &str) -> Result<(String, String), String> {
    let (name, value) = rest
        .split_once(':')
        .ok_or_else(|| format!("expected `Name: value`, found {rest:?}"))?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("bad header name {name:?}"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

fn number<T: std::str::FromStr>(key: &str, rest: &str) -> Result<T, String> {
    rest.parse()
        .map_err(|_| format!("`{key}` needs a whole number, found {rest:?}"))
}

fn flag(key: &str, rest: &str) -> Result<bool, String> {
    match rest {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(format!("`{key}` is `on` or `off`, found {rest:?}")),
    }
}

fn duration(rest: &str) -> Result<Duration, String> {
    let bad = || format!("`timeout` is a duration like `300ms` or `2s`, found {rest:?}");
    if let Some(ms) = rest.strip_suffix("ms") {
        return ms.parse().map(Duration::from_millis).map_err(|_| bad());
    }
    if let Some(s) = rest.strip_suffix('s') {
        return s.parse().map(Duration::from_secs).map_err(|_| bad());
    }
    Err(bad())
}

fn checked_escapes(text: &str) -> Result<String, String> {
    unescape(text)?;
    Ok(text.to_string())
}

fn request_line(spec: &mut RequestSpec, line: &str) -> Result<(), String> {
    let (key, rest) = split_key(line);
    fn once<T>(slot: &mut Option<T>, key: &str, value: T) -> Result<(), String> {
        if slot.is_some() {
            return Err(format!("`{key}` is given twice"));
        }
        *slot = Some(value);
        Ok(())
    }
    match key {
        "method" => once(&mut spec.method, key, rest.to_string()),
        "url" => {
            if !spec.url.is_empty() {
                return Err("`url` is given twice".into());
            }
            spec.url = rest.to_string();
            Ok(())
        }
        "header" => {
            spec.headers.push(header_pair(rest)?);
            Ok(())
        }
        "body" => once(&mut spec.body, key, checked_escapes(rest)?),
        "expect_continue" => once(&mut spec.expect_continue, key, duration(rest)?),
        "body-stream" => once(&mut spec.body_stream, key, crate::upload::parse(rest)?),
        "chunk_size" => once(&mut spec.chunk_size, key, number(key, rest)?),
        "timeout" => once(&mut spec.timeout, key, duration(rest)?),
        "connect_timeout" => once(&mut spec.connect_timeout, key, duration(rest)?),
        "max_redirects" => once(&mut spec.max_redirects, key, number(key, rest)?),
        "decode" => once(&mut spec.decode, key, flag(key, rest)?),
        "collect_body" => once(&mut spec.collect_body, key, flag(key, rest)?),
        "allow_https_to_http" => once(&mut spec.allow_https_to_http, key, flag(key, rest)?),
        "decompress" => once(&mut spec.decompress, key, flag(key, rest)?),
        "max_head_bytes" => once(&mut spec.max_head_bytes, key, number(key, rest)?),
        "max_headers" => once(&mut spec.max_headers, key, number(key, rest)?),
        "max_body_bytes" => once(&mut spec.max_body_bytes, key, number(key, rest)?),
        "proxy" => once(&mut spec.proxy, key, (rest.to_string(), Vec::new())),
        "proxy-header" => match &mut spec.proxy {
            Some((_, headers)) => {
                headers.push(header_pair(rest)?);
                Ok(())
            }
            None => Err("`proxy-header` must follow `proxy <host:port>`".into()),
        },
        "form" => {
            let (name, value) = rest
                .split_once('=')
                .ok_or_else(|| format!("`form` is `name=value`, found {rest:?}"))?;
            spec.form
                .push((checked_escapes(name)?, checked_escapes(value)?));
            Ok(())
        }
        "env" => {
            let (name, value) = rest
                .split_once('=')
                .ok_or_else(|| format!("`env` is `NAME=value`, found {rest:?}"))?;
            spec.env.push((name.to_string(), value.to_string()));
            Ok(())
        }
        "cookies" => once(&mut spec.cookies, key, flag(key, rest)?),
        "wall_time" => once(
            &mut spec.wall_time,
            key,
            rest.parse::<i64>()
                .map_err(|_| format!("`wall_time` is seconds since 1970, found {rest:?}"))?,
        ),
        "cookie-seed" => {
            let (url, value) = rest.split_once(' ').ok_or_else(|| {
                format!("`cookie-seed` is `<url> <Set-Cookie value>`, found {rest:?}")
            })?;
            spec.cookie_seeds.push((url.to_string(), value.to_string()));
            Ok(())
        }
        "multipart-boundary" => once(&mut spec.multipart_boundary, key, rest.to_string()),
        "multipart-text" => {
            let (name, value) = rest
                .split_once('=')
                .ok_or_else(|| format!("`multipart-text` is `name=value`, found {rest:?}"))?;
            spec.multipart.push(MultipartSpec {
                name: checked_escapes(name)?,
                file: None,
                data: checked_escapes(value)?,
            });
            Ok(())
        }
        "multipart-file" => {
            let mut words = rest.splitn(4, ' ');
            let (Some(name), Some(filename), Some(content_type)) =
                (words.next(), words.next(), words.next())
            else {
                return Err(format!(
                    "`multipart-file` is `<name> <filename> <content-type> <data>`, found {rest:?}"
                ));
            };
            spec.multipart.push(MultipartSpec {
                name: checked_escapes(name)?,
                file: Some((checked_escapes(filename)?, content_type.to_string())),
                data: checked_escapes(words.next().unwrap_or(""))?,
            });
            Ok(())
        }
        _ => Err(format!(
            "unknown request field {key:?} (known: method, url, header, body, body-stream, \
             expect_continue, chunk_size, timeout, connect_timeout, \
             max_redirects, decode, collect_body, allow_https_to_http, decompress, max_head_bytes, \
             max_headers, max_body_bytes, proxy, proxy-header, form, multipart-boundary, \
             multipart-text, multipart-file, cookies, wall_time, cookie-seed, env)"
        )),
    }
}

/// `on <role>` after `step` or `accept-and-close`; the first server by default.
fn role_of(rest: &str) -> Result<Role, String> {
    if rest.is_empty() {
        return Ok(Role::Origin);
    }
    let name = rest
        .strip_prefix("on ")
        .map(str::trim)
        .ok_or_else(|| format!("expected `on <server>`, found {rest:?}"))?;
    Role::from_name(name)
        .filter(|r| *r != Role::Proxy)
        .ok_or_else(|| format!("unknown server {name:?} (known: origin, origin2, tls-origin)"))
}

fn server_line(d: &mut Draft, n: usize, line: &str) -> Result<(), String> {
    let (key, rest) = split_key(line);
    match key {
        "step" => {
            close_step(d)?;
            d.case.script.push(Step {
                role: role_of(rest)?,
                line: n,
                kind: StepKind::Respond {
                    expects: Vec::new(),
                    send: String::new(),
                    end: End::Keep,
                },
            });
            d.step_open = true;
            return Ok(());
        }
        "accept-and-close" => {
            close_step(d)?;
            d.case.script.push(Step {
                role: role_of(rest)?,
                line: n,
                kind: StepKind::AcceptAndClose,
            });
            return Ok(());
        }
        "tls-cert" if !d.step_open => {
            d.case.tls_cert = CertKind::from_name(rest).ok_or_else(|| {
                format!("`tls-cert` is valid, wrong-host, unknown-ca or expired, found {rest:?}")
            })?;
            return Ok(());
        }
        "proxy-auth" if !d.step_open => {
            if rest.is_empty() {
                return Err("`proxy-auth` needs the Proxy-Authorization value".into());
            }
            d.case.proxy_auth = Some(rest.to_string());
            return Ok(());
        }
        _ => {}
    }
    let open = d.step_open;
    let Some(Step {
        kind: StepKind::Respond { expects, send, end },
        ..
    }) = d.case.script.last_mut().filter(|_| open)
    else {
        return Err(format!(
            "{line:?} must be inside a step: start one with `step` (or `step on origin2`)"
        ));
    };
    match key {
        "send" => send.push_str(&checked_escapes(rest)?),
        "send-repeat" => {
            let (count, text) = split_key(rest);
            let count: usize = number(key, count)?;
            let text = checked_escapes(text)?;
            if count == 0 || count.saturating_mul(text.len()) > 16 << 20 {
                return Err("`send-repeat` count must be between 1 and 16 MiB of text".into());
            }
            send.push_str(&text.repeat(count));
        }
        "expect-request-line" => expects.push(Expect::RequestLine(rest.to_string())),
        "expect-header" => {
            let (name, value) = header_pair(rest)?;
            expects.push(Expect::Header(name, value));
        }
        "expect-no-header" => {
            if rest.is_empty() || rest.contains(char::is_whitespace) {
                return Err(format!(
                    "`expect-no-header` needs one header name, found {rest:?}"
                ));
            }
            expects.push(Expect::NoHeader(rest.to_string()));
        }
        "expect-body" => expects.push(Expect::Body(checked_escapes(rest)?)),
        "expect-connection" => expects.push(Expect::Reused(match rest {
            "fresh" => false,
            "reused" => true,
            _ => {
                return Err(format!(
                    "`expect-connection` is `fresh` or `reused`, found {rest:?}"
                ))
            }
        })),
        "keep" | "close" | "stall" if rest.is_empty() => {
            *end = match key {
                "keep" => End::Keep,
                "close" => End::Close,
                _ => End::Stall,
            };
            d.step_open = false;
        }
        _ => {
            return Err(format!(
                "unknown step line {key:?} (known: send, send-repeat, expect-request-line, \
                 expect-header, expect-no-header, expect-body, expect-connection, and the endings \
                 keep, close, stall)"
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r"
# a comment
case simple
note checks a thing
request
  url {origin}/x
  chunk_size 3
  timeout 300ms
  header X-A: 1
server
  step
    expect-request-line GET /x HTTP/1.1
    send HTTP/1.1 200 OK\r\n
    send-repeat 2 ab
    close
  accept-and-close on origin2
trace
  progress 0/?
  done 200 HTTP/1.1 {origin}/x bytes=0 
";

    #[test]
    fn parses_a_case() {
        let cases = parse_cases("cases/fam.case", GOOD).unwrap();
        assert_eq!(cases.len(), 1);
        let c = &cases[0];
        assert_eq!(c.full_name(), "fam/simple");
        assert_eq!(c.location, "cases/fam.case:3");
        assert_eq!(c.request.chunk_size, Some(3));
        assert_eq!(c.request.timeout, Some(Duration::from_millis(300)));
        assert_eq!(c.request.headers, vec![("X-A".into(), "1".into())]);
        assert_eq!(c.script.len(), 2);
        match &c.script[0].kind {
            StepKind::Respond { send, end, expects } => {
                assert_eq!(send, r"HTTP/1.1 200 OK\r\nabab");
                assert_eq!(*end, End::Close);
                assert_eq!(expects.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.script[1].role, Role::Origin2);
        assert_eq!(c.expected[1], "done 200 HTTP/1.1 {origin}/x bytes=0");
    }

    fn error_of(text: &str) -> String {
        parse_cases("f.case", text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let e = error_of(&GOOD.replace("chunk_size 3", "chunksize 3"));
        assert!(
            e.starts_with("f.case:7: unknown request field \"chunksize\""),
            "{e}"
        );
        let e = error_of(&GOOD.replace("    close\n", ""));
        assert!(
            e.starts_with("f.case:15: the step that starts on line 11 has no ending"),
            "{e}"
        );
        let e = error_of(&GOOD.replace(r"200 OK\r\n", r"200 OK\q"));
        assert!(e.contains("f.case:13: unknown escape \\q"), "{e}");
        let e = error_of(&GOOD.replace("on origin2", "on origin3"));
        assert!(e.contains("unknown server \"origin3\""), "{e}");
        let e = error_of(&GOOD.replace("  done 200 HTTP/1.1 {origin}/x bytes=0 \n", ""));
        assert!(e.contains("must end with a `done` or `failure`"), "{e}");
        let e = error_of("request\n");
        assert!(e.starts_with("f.case:1: expected `case <name>`"), "{e}");
        let e = error_of(&format!("{GOOD}{GOOD}"));
        assert!(e.contains("already exists"), "{e}");
        let e = error_of(&GOOD.replace("timeout 300ms", "timeout soon"));
        assert!(e.contains("duration"), "{e}");
        assert!(error_of("").contains("no cases"));
    }
}
