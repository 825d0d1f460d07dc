//! Differential checking against ureq 3: every case that ends in `Done` is
//! fetched by ureq from the same scripted server, and the status, headers
//! and body it sees are compared with what runtime-std reports. Both trust
//! the test CA, so the cases over TLS are compared too. Intended
//! disagreements are listed, with their RFC reasons, in `DIFFERENCES.md`.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use urlrequest_core::{Event, Exchange};
use urlrequest_std::{Agent, DriveOptions, TlsSettings};

use crate::case::Case;
use crate::escape::unescape;
use crate::loopback::ScriptedServer;
use crate::origins::Origins;
use crate::pki::TestCa;

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

/// Whether ureq can run the case: it ends in `Done`, it keeps no cookie
/// jar (`cookies on`: what such a case checks is the `Cookie` header the
/// scripted server receives, which the comparison does not look at, and
/// ureq runs here without its cookie feature), it takes no proxy from
/// an environment (`env`), which ureq is not given, and it has no streamed
/// body (`body-stream` is ours alone: the comparison sends ureq the case's
/// request as data, and the one-shot 307/308 rule has no counterpart
/// there).
pub fn ureq_comparable(case: &Case) -> bool {
    case.ends_in_done()
        && case.request.cookies != Some(true)
        && case.request.env.is_empty()
        && case.request.body_stream.is_none()
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
    let agent = Agent::builder()
        .tls(TlsSettings::default().ca_file(TestCa::trusted().pem_file()))
        .build()
        .expect("client settings");
    agent.drive(&mut ex, &DriveOptions::new(), |event, _| {
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

/// The case's request as ureq settings. ureq's `max_redirects(n)` follows
/// `n` redirects and fails on the next one, as ours does; 0 returns the 3xx
/// in both.
fn ureq_fetch(case: &Case, origins: &Origins) -> Result<Seen, String> {
    let spec = &case.request;
    let sub = |s: &str| origins.substitute(s);
    let timeout = Some(spec.timeout.unwrap_or(DEFAULT_TIMEOUT));
    let hops = spec
        .max_redirects
        .unwrap_or(urlrequest_core::DEFAULT_MAX_REDIRECTS);
    let ca = ureq::tls::Certificate::from_pem(TestCa::trusted().pem().as_bytes())
        .map_err(|e| format!("test CA: {e}"))?;
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]))
        .build();
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(timeout)
        .timeout_per_read(timeout)
        .timeout_per_write(timeout)
        .timeout_send_body(timeout)
        .max_redirects(hops)
        .tls_config(tls);
    let mut proxy_headers = Vec::new();
    if let Some((addr, headers)) = &spec.proxy {
        // ureq sends no headers of the user's to the proxy; it sends
        // `Proxy-Authorization: Basic` from credentials in the proxy URL,
        // so Basic credentials go there and other proxy headers, if any,
        // go with the request.
        let mut userinfo = String::new();
        for (name, value) in headers {
            match basic_credentials(name, &sub(value)) {
                Some(credentials) => userinfo = format!("{credentials}@"),
                None => proxy_headers.push((name.clone(), value.clone())),
            }
        }
        let proxy = ureq::Proxy::new(&format!("http://{userinfo}{}", sub(addr)))
            .map_err(|e| e.to_string())?;
        config = config.proxy(Some(proxy));
    }
    let agent = ureq::Agent::new_with_config(config.build());
    let body = spec.body.as_ref().map(|b| unescape(&sub(b))).transpose()?;
    let method = spec
        .method
        .clone()
        .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
    // A method that carries content and no body: ureq's `send_empty()`.
    let body = match method.as_str() {
        "POST" | "PUT" | "PATCH" => Some(body.unwrap_or_default()),
        _ => body,
    };
    let mut request = ureq::http::Request::builder()
        .method(method.as_str())
        .uri(sub(&spec.url));
    for (name, value) in spec.headers.iter().chain(&proxy_headers) {
        request = request.header(name.as_str(), sub(value));
    }
    let response = match body {
        Some(b) => agent.run(request.body(b).map_err(|e| e.to_string())?),
        None => agent.run(request.body(()).map_err(|e| e.to_string())?),
    }
    .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    // Every field line in order, repeated names included.
    let headers = seen_headers(
        response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("<non-ascii>"))),
    );
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut response.into_body().into_reader(), &mut body)
        .map_err(|e| format!("ureq body: {e}"))?;
    Ok(Seen {
        status,
        headers,
        body,
    })
}

/// `user:password` from a `Proxy-Authorization: Basic` header, as it goes in
/// a proxy URL (percent-encoded where the URL needs it).
fn basic_credentials(name: &str, value: &str) -> Option<String> {
    use base64::Engine;
    if !name.eq_ignore_ascii_case("proxy-authorization") {
        return None;
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    let escape = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    Some(format!("{}:{}", escape(user), escape(password)))
}

/// The case names listed in a DIFFERENCES.md text: first those where ureq
/// differs, then those (under the heading "Where ureq's result depends on
/// timing") where either result of ureq's is expected. Rows name their case
/// in backquotes at the start: ``| `family/name` | ...``.
pub fn documented_differences(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut listed, mut timing) = (BTreeSet::new(), BTreeSet::new());
    let mut in_timing = false;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            in_timing = heading.starts_with("Where ureq's result depends on timing");
            continue;
        }
        let name = line
            .strip_prefix("| `")
            .and_then(|l| l.split_once('`'))
            .map(|(name, _)| name.to_string());
        if let Some(name) = name {
            if in_timing {
                timing.insert(name);
            } else {
                listed.insert(name);
            }
        }
    }
    (listed, timing)
}
