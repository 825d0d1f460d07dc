//! Differential checking against ureq 2: every case that ends in `Done` is
//! fetched by ureq from the same scripted server, and the status, headers
//! and body it sees are compared with what runtime-std reports. Intended
//! disagreements are listed, with their RFC reasons, in `DIFFERENCES.md`.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use urlrequest_core::{Event, Exchange};
use urlrequest_std::{Agent, DriveOptions};

use crate::case::Case;
use crate::escape::unescape;
use crate::loopback::ScriptedServer;
use crate::origins::Origins;

/// ureq's timeouts when the case sets none: cases that end in `Done` never
/// make a client wait long.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// What one client saw: the parts of a final response that are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The status code.
    pub status: u16,
    /// Every header, name lower-cased, values in order.
    pub headers: BTreeMap<String, Vec<String>>,
    /// The body as delivered to the user.
    pub body: Vec<u8>,
}

impl Seen {
    /// A one-line summary for reports.
    pub fn summary(&self) -> String {
        format!(
            "{} with {} header(s), {} body bytes",
            self.status,
            self.headers.len(),
            self.body.len()
        )
    }
}

/// The two sides of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// `family/name`.
    pub case: String,
    /// urlrequest (runtime-std over loopback).
    pub ours: Result<Seen, String>,
    /// ureq, or its error.
    pub ureq: Result<Seen, String>,
}

impl Comparison {
    /// Both completed and saw the same status, headers and body.
    pub fn agrees(&self) -> bool {
        matches!((&self.ours, &self.ureq), (Ok(a), Ok(b)) if a == b)
    }

    /// What differs, in words (empty when they agree).
    pub fn difference(&self) -> String {
        match (&self.ours, &self.ureq) {
            (Err(e), _) => format!("urlrequest failed: {e}"),
            (Ok(_), Err(e)) => format!("ureq failed: {e}"),
            (Ok(a), Ok(b)) => {
                let mut out = Vec::new();
                if a.status != b.status {
                    out.push(format!("status {} vs ureq {}", a.status, b.status));
                }
                if a.headers != b.headers {
                    out.push(format!("headers {:?} vs ureq {:?}", a.headers, b.headers));
                }
                if a.body != b.body {
                    out.push(format!(
                        "body {:?} vs ureq {:?}",
                        String::from_utf8_lossy(&a.body),
                        String::from_utf8_lossy(&b.body)
                    ));
                }
                out.join("; ")
            }
        }
    }
}

/// Whether ureq can run the case: it ends in `Done` and needs no TLS (this
/// build of ureq has none).
pub fn ureq_comparable(case: &Case) -> bool {
    case.ends_in_done() && !case.needs_tls()
}

/// Runs the case through runtime-std and through ureq, each against a fresh
/// scripted server. The servers' verdicts are not consulted: ureq sends its
/// own headers (`Accept`, its `User-Agent`), which scripts may not expect.
pub fn compare_with_ureq(case: &Case) -> Comparison {
    Comparison {
        case: case.full_name(),
        ours: run_ours(case),
        ureq: run_ureq(case),
    }
}

fn seen_headers<'a>(
    pairs: impl Iterator<Item = (String, &'a str)>,
) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in pairs {
        map.entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.to_string());
    }
    map
}

fn run_ours(case: &Case) -> Result<Seen, String> {
    let server = ScriptedServer::start(case).map_err(|e| e.to_string())?;
    let request = case.request(server.origins())?;
    let mut ex = Exchange::new(request, Instant::now());
    let mut body = Vec::new();
    let mut end = Err("no terminal event".to_string());
    Agent::new().drive(&mut ex, &DriveOptions::new(), |event, _| {
        match event {
            Event::Body(b) => body.extend_from_slice(&b),
            Event::Done(r) => {
                let pairs = r
                    .headers()
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("<non-ascii>")));
                end = Ok((r.status().as_u16(), seen_headers(pairs)));
            }
            Event::Failure(e) => end = Err(e.to_string()),
            _ => {}
        }
        ControlFlow::Continue(())
    });
    drop(server.finish());
    let (status, headers) = end?;
    Ok(Seen {
        status,
        headers,
        body,
    })
}

fn run_ureq(case: &Case) -> Result<Seen, String> {
    let server = ScriptedServer::start(case).map_err(|e| e.to_string())?;
    let result = ureq_fetch(case, server.origins());
    drop(server.finish());
    result
}

/// The case's request as ureq settings. ureq's `redirects(n)` stops after
/// n - 1 hops, so `n` is our limit plus one; 0 means "do not follow" in both.
fn ureq_fetch(case: &Case, origins: &Origins) -> Result<Seen, String> {
    let spec = &case.request;
    let sub = |s: &str| origins.substitute(s);
    let timeout = spec.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let hops = spec
        .max_redirects
        .unwrap_or(urlrequest_core::DEFAULT_MAX_REDIRECTS);
    let mut builder = ureq::AgentBuilder::new()
        .timeout_connect(timeout)
        .timeout_read(timeout)
        .timeout_write(timeout)
        .redirects(if hops == 0 { 0 } else { hops + 1 });
    let mut proxy_headers = Vec::new();
    if let Some((addr, headers)) = &spec.proxy {
        let proxy = ureq::Proxy::new(format!("http://{}", sub(addr))).map_err(|e| e.to_string())?;
        builder = builder.proxy(proxy);
        // ureq has no setting for headers to the proxy; for plain http they
        // travel with the absolute-form request, so they are set there.
        proxy_headers = headers.clone();
    }
    let agent = builder.build();
    let body = spec.body.as_ref().map(|b| unescape(&sub(b))).transpose()?;
    let method = spec
        .method
        .clone()
        .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
    let mut request = agent.request(&method, &sub(&spec.url));
    for (name, value) in spec.headers.iter().chain(&proxy_headers) {
        request = request.set(name, &sub(value));
    }
    let response = match body {
        Some(b) => request.send_bytes(&b),
        None => request.call(),
    };
    let response = match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(e.to_string()),
    };
    let status = response.status();
    let mut names = response.headers_names();
    // A repeated header is listed once per occurrence; `all` finds each.
    names.sort();
    names.dedup();
    let headers = seen_headers(
        names
            .iter()
            .flat_map(|n| response.all(n).into_iter().map(move |v| (n.clone(), v))),
    );
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut body)
        .map_err(|e| format!("ureq body: {e}"))?;
    Ok(Seen {
        status,
        headers,
        body,
    })
}
