//! What the in-process proxy does with one request, shared by the real
//! proxy on loopback ([`crate::HttpProxy`]) and its simulation in the
//! in-memory driver, so that both behave byte for byte alike.

use crate::script::ParsedRequest;

/// The proxy's answer when it demands credentials it did not get.
pub(crate) const REFUSED: &[u8] = b"HTTP/1.1 407 Proxy Authentication Required\r\n\
Proxy-Authenticate: Basic realm=\"conformance\"\r\nContent-Length: 0\r\n\r\n";
/// The proxy's answer to an accepted CONNECT.
pub(crate) const ESTABLISHED: &[u8] = b"HTTP/1.1 200 Connection Established\r\n\r\n";
/// The proxy's answer when the target cannot be reached.
pub(crate) const BAD_GATEWAY: &[u8] =
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/// The proxy's answer to a request it cannot forward (not absolute-form).
pub(crate) const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// What to do with a request that reached the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProxyStep {
    /// Answer with these bytes and close (407, 400).
    Answer(&'static [u8]),
    /// Open a tunnel to `host:port`, answer 200, then relay bytes.
    Tunnel(String),
    /// Send `bytes` (the request in origin-form, without `Proxy-*` headers)
    /// to `host:port`, and relay what comes back.
    Forward(String, Vec<u8>),
}

/// Decides what the proxy does with `req`, demanding `Proxy-Authorization:
/// auth` when `auth` is set.
pub(crate) fn decide(req: &ParsedRequest, auth: Option<&str>) -> ProxyStep {
    if let Some(want) = auth {
        let given = req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("proxy-authorization"))
            .map(|(_, v)| v.as_str());
        if !given.is_some_and(|g| same_credentials(g, want)) {
            return ProxyStep::Answer(REFUSED);
        }
    }
    let mut parts = req.request_line.splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if method == "CONNECT" {
        return ProxyStep::Tunnel(target.to_string());
    }
    let Some(rest) = target.strip_prefix("http://") else {
        return ProxyStep::Answer(BAD_REQUEST);
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let authority = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let mut out = format!("{method} {path} {version}\r\n").into_bytes();
    for (name, value) in &req.headers {
        // Proxy-* headers are for this hop only (RFC 9110, 11.7).
        if name.to_ascii_lowercase().starts_with("proxy-") {
            continue;
        }
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&req.body);
    ProxyStep::Forward(authority, out)
}

/// Credentials match: the scheme is case-insensitive (RFC 9110, 11.1), the
/// rest exact.
fn same_credentials(given: &str, want: &str) -> bool {
    let split = |s: &str| {
        let s = s.trim();
        s.split_once(' ')
            .map_or((s.to_string(), String::new()), |(a, b)| {
                (a.to_string(), b.trim().to_string())
            })
    };
    let ((gs, gc), (ws, wc)) = (split(given), split(want));
    gs.eq_ignore_ascii_case(&ws) && gc == wc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(line: &str, headers: &[(&str, &str)], body: &[u8]) -> ParsedRequest {
        ParsedRequest {
            request_line: line.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn forwards_in_origin_form_without_proxy_headers() {
        let r = req(
            "POST http://127.0.0.1:9/a?b HTTP/1.1",
            &[("Host", "127.0.0.1:9"), ("Proxy-Authorization", "x")],
            b"hi",
        );
        assert_eq!(
            decide(&r, Some("x")),
            ProxyStep::Forward(
                "127.0.0.1:9".into(),
                b"POST /a?b HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\nhi".to_vec()
            )
        );
        assert_eq!(decide(&r, Some("y")), ProxyStep::Answer(REFUSED));
        assert!(same_credentials("basic dTpw", "Basic dTpw"));
        assert!(!same_credentials("Basic dTpX", "Basic dTpw"));
        let plain = req("GET http://h.test HTTP/1.1", &[], b"");
        assert!(matches!(decide(&plain, None), ProxyStep::Forward(a, _) if a == "h.test:80"));
    }

    #[test]
    fn connect_tunnels_and_origin_form_is_refused() {
        let c = req("CONNECT 127.0.0.1:443 HTTP/1.1", &[], b"");
        assert_eq!(decide(&c, None), ProxyStep::Tunnel("127.0.0.1:443".into()));
        let o = req("GET /x HTTP/1.1", &[], b"");
        assert_eq!(decide(&o, None), ProxyStep::Answer(BAD_REQUEST));
    }
}
