//! Callback traces: the Kivy-level conformance. For a case, the sequence of
//! callbacks a `UrlRequest` makes, one line each: the callback's name, its
//! arguments summarised the way the event trace summarises them, and the
//! properties visible at that moment. It must be the same through every
//! runtime's `UrlRequest`.
//!
//! Line shapes:
//!
//! ```text
//! progress 4/10 | status=200 finished=false result=- url={origin}/wiki
//! success 200 bytes=9 "Wikipedia" | status=200 finished=true result=bytes url={origin}/wiki
//! error truncated: response ended after 4 of 10 body bytes | status=200 finished=true result=- url={origin}/x
//! finish | status=200 finished=true result=bytes url={origin}/wiki
//! ```
//!
//! How the columns compare: line for line, as they are. Every runtime and
//! dispatch mode delivers every progress update, and the properties a
//! callback sees are those its own and the earlier callbacks reported
//! (they change when a callback is dispatched, not when the worker learns
//! them), so every line, the properties included, is the same in every
//! column. Only TLS rejections are compared by class ([`normalize_line`]),
//! as the event trace compares them.

use std::sync::{Arc, Mutex};

use urlrequest::{ResultValue, Runtime, UrlRequest, UrlRequestBuilder};
use urlrequest_core::{trace_line, Event};

use crate::case::Case;
use crate::loopback::ScriptedServer;
use crate::normalize::normalize_line;
use crate::origins::Origins;
use crate::pki::TestCa;

/// How a case's `UrlRequest` is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KivyColumn {
    /// urlrequest-std, callbacks on the worker thread (`Dispatch::Worker`).
    StdWorker,
    /// urlrequest-std, callbacks queued to the thread calling `wait`.
    StdQueued,
    /// urlrequest-std, callbacks queued and run by Kivy's loop on this
    /// thread: `while !req.is_finished() { dispatch_all() }`, a frame apart.
    StdTicked,
    /// urlrequest-smol, callbacks in the task awaiting `send()`.
    Smol,
    /// urlrequest-tokio (current-thread runtime), callbacks in the task
    /// awaiting `send()`.
    Tokio,
    /// urlrequest-frame, callbacks inside `Client::tick` on this thread.
    Frame,
}

impl KivyColumn {
    /// Every column, in report order.
    pub const ALL: [KivyColumn; 6] = [
        KivyColumn::StdWorker,
        KivyColumn::StdQueued,
        KivyColumn::StdTicked,
        KivyColumn::Smol,
        KivyColumn::Tokio,
        KivyColumn::Frame,
    ];

    /// The column's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            KivyColumn::StdWorker => "std, worker dispatch",
            KivyColumn::StdQueued => "std, queued dispatch, wait",
            KivyColumn::StdTicked => "std, queued dispatch, tick loop",
            KivyColumn::Smol => "smol",
            KivyColumn::Tokio => "tokio",
            KivyColumn::Frame => "frame",
        }
    }
}

type Lines = Arc<Mutex<Vec<String>>>;

/// The callback trace of `case` through `column`'s `UrlRequest`, against
/// the case's scripted server (TLS rejections by class).
pub fn callback_trace(case: &Case, column: KivyColumn) -> Result<Vec<String>, String> {
    let server = ScriptedServer::start(case).map_err(|e| format!("scripted server: {e}"))?;
    let origins = server.origins().clone();
    let lines: Lines = Arc::default();
    let ran =
        match column {
            KivyColumn::StdWorker | KivyColumn::StdQueued | KivyColumn::StdTicked => {
                let dispatch = if column == KivyColumn::StdWorker {
                    urlrequest_std::Dispatch::Worker
                } else {
                    urlrequest_std::Dispatch::Queued
                };
                builder::<urlrequest_std::Std>(case, &origins, &lines).and_then(|b| {
                    let req = b.dispatch(dispatch).build().map_err(|e| e.to_string())?;
                    if column == KivyColumn::StdTicked {
                        // Kivy's loop: the properties say when to stop.
                        while !req.is_finished() {
                            urlrequest_std::dispatch_all();
                            // The frame interval of a GUI loop.
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                    } else {
                        req.wait(None);
                    }
                    Ok(())
                })
            }
            KivyColumn::Smol => {
                builder::<urlrequest_smol::Smol>(case, &origins, &lines).and_then(|b| {
                    let req = b.build().map_err(|e| e.to_string())?;
                    let _ = smol::block_on(req.send());
                    Ok(())
                })
            }
            KivyColumn::Tokio => builder::<urlrequest_tokio::Tokio>(case, &origins, &lines)
                .and_then(|b| {
                    let req = b.build().map_err(|e| e.to_string())?;
                    let runtime = crate::TokioDriver::CURRENT_THREAD
                        .runtime()
                        .map_err(|e| format!("tokio runtime: {e}"))?;
                    let _ = runtime.block_on(req.send());
                    Ok(())
                }),
            KivyColumn::Frame => builder::<urlrequest_frame::Frame>(case, &origins, &lines)
                .and_then(|b| {
                    let client = urlrequest_frame::Client::new();
                    let req = b.client(&client).build().map_err(|e| e.to_string())?;
                    loop {
                        client.tick(std::time::Instant::now());
                        if req.is_finished() {
                            return Ok(());
                        }
                        client.wait(None);
                    }
                }),
        };
    let verdict = server.finish();
    ran?;
    let raw = lines.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let trace: Vec<String> = raw.iter().map(|l| normalise(&origins.unmap(l))).collect();
    match verdict {
        Ok(_) => Ok(trace),
        Err(e) => Err(format!(
            "the scripted server reports:\n{e}\ncallback trace was:\n{}",
            trace.join("\n")
        )),
    }
}

/// Compares TLS rejections by class, as the event trace does: an `error`
/// line carries the same message as the event trace's `failure` line.
fn normalise(line: &str) -> String {
    match line.strip_prefix("error ") {
        Some(rest) => {
            let (message, props) = rest.rsplit_once(" | ").unwrap_or((rest, ""));
            let failure = normalize_line(&format!("failure {message}"));
            let message = failure.strip_prefix("failure ").unwrap_or(&failure);
            format!("error {message} | {props}")
        }
        None => line.to_string(),
    }
}

/// Whether a callback trace holds exactly one outcome callback (success,
/// redirect, failure, error or cancel) and ends with `on_finish`.
pub fn is_well_formed(trace: &[String]) -> bool {
    let outcomes = trace
        .iter()
        .filter(|l| {
            ["success ", "redirect ", "failure ", "error ", "cancel "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .count();
    outcomes == 1 && trace.last().is_some_and(|l| l.starts_with("finish "))
}

/// A builder for the case's request with every callback recording a line.
fn builder<R: Runtime>(
    case: &Case,
    origins: &Origins,
    lines: &Lines,
) -> Result<UrlRequestBuilder<R>, String> {
    // The case's own request, so that every setting it makes reaches the
    // `UrlRequest` the same way.
    let request = case.request(origins)?;
    let mut b = UrlRequest::<R>::builder(request.url().as_str())
        .ca_file(TestCa::trusted().pem_file())
        .method(request.method().as_str())
        .chunk_size(request.chunk_size())
        .max_redirects(request.max_redirects())
        .decode(request.decode())
        .decompress(request.decompress())
        .limits(*request.limits())
        .allow_https_to_http(request.allow_https_to_http());
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        b = b.header(name.as_str(), value);
    }
    if let Some(body) = request.body() {
        b = b.req_body(body.clone());
    }
    if let Some(u) = case.request.body_stream {
        let upload = if u.stream.replayable {
            urlrequest::Upload::from_seekable(u.reader(), u.stream.length)
                .map_err(|e| e.to_string())?
        } else {
            urlrequest::Upload::from_reader(u.reader(), u.stream.length)
        };
        b = b.upload(upload);
    }
    if let Some(wait) = request.expect_continue() {
        b = b.expect_continue(wait);
    }
    if let Some(t) = request.timeout() {
        b = b.timeout(t);
    }
    if let Some(t) = request.total_timeout() {
        b = b.total_timeout(t);
    }
    if let Some(t) = request.connect_timeout() {
        b = b.connect_timeout(t);
    }
    if let Some(jar) = request.cookie_jar() {
        b = b.cookie_jar(jar.clone());
    }
    if let Some(t) = request.wall_time() {
        b = b.wall_time(t);
    }
    if let Some(env) = request.env_proxies() {
        // The proxy was chosen by these rules, and is chosen again on
        // every redirect.
        b = b.env_proxies(env.clone());
    } else if let Some(proxy) = request.proxy() {
        let headers = proxy.headers().iter().map(|(n, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (n.as_str().to_string(), value)
        });
        b = b
            .proxy_host(proxy.host())
            .proxy_port(proxy.port())
            .proxy_headers(headers);
    }
    let rec = |lines: &Lines| {
        let lines = lines.clone();
        move |line: String| lines.lock().unwrap_or_else(|p| p.into_inner()).push(line)
    };
    let (p, s, r, f, e, c, fin) = (
        rec(lines),
        rec(lines),
        rec(lines),
        rec(lines),
        rec(lines),
        rec(lines),
        rec(lines),
    );
    Ok(b.on_progress(move |req, received, total| {
        let total = total.map_or("?".to_string(), |t| t.to_string());
        p(format!("progress {received}/{total} | {}", properties(req)));
    })
    .on_success(move |req, result| s(outcome_line("success", req, result)))
    .on_redirect(move |req, result| r(outcome_line("redirect", req, result)))
    .on_failure(move |req, result| f(outcome_line("failure", req, result)))
    .on_error(move |req, error| {
        let kind = error.kind_name();
        e(format!("error {kind}: {error} | {}", properties(req)));
    })
    .on_cancel(move |req| c(format!("cancel | {}", properties(req))))
    .on_finish(move |req| fin(format!("finish | {}", properties(req)))))
}

fn status<R: Runtime>(req: &UrlRequest<R>) -> String {
    req.resp_status()
        .map_or("-".to_string(), |s| s.as_u16().to_string())
}

fn outcome_line<R: Runtime>(name: &str, req: &UrlRequest<R>, result: &ResultValue) -> String {
    format!(
        "{name} {} {} | {}",
        status(req),
        summary(result),
        properties(req)
    )
}

/// A result summarised as the event trace summarises a body.
fn summary(result: &ResultValue) -> String {
    match result {
        ResultValue::Bytes(b) => {
            let line = trace_line(&Event::Body(b.clone()));
            format!("bytes={}", line.strip_prefix("body ").unwrap_or(&line))
        }
        ResultValue::Json(v) => format!("json={v}"),
        ResultValue::File(_) => "file".to_string(),
    }
}

fn properties<R: Runtime>(req: &UrlRequest<R>) -> String {
    let result = match req.result() {
        None => "-",
        Some(ResultValue::Bytes(_)) => "bytes",
        Some(ResultValue::Json(_)) => "json",
        Some(ResultValue::File(_)) => "file",
    };
    format!(
        "status={} finished={} result={result} url={}",
        status(req),
        req.is_finished(),
        req.url()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn tls_rejections_compare_by_class_whatever_the_time() {
        let at = |t: u64| {
            super::normalise(&format!(
                "error tls: TLS failed: TLS handshake with 127.0.0.1 failed: invalid peer \
                 certificate: certificate expired: verification time {t} (UNIX), but certificate \
                 is not valid after 1609372800 ({} seconds ago) | status=- finished=true",
                t - 1609372800
            ))
        };
        assert_eq!(at(1796004135), at(1796004134));
        assert!(
            at(1796004135).starts_with("error tls: "),
            "{}",
            at(1796004135)
        );
        assert!(at(1796004135).ends_with(" | status=- finished=true"));
    }
}
