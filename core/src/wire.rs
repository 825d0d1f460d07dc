//! Request serialisation: the bytes of a request head (origin-form, absolute-form
//! through a proxy) and of a `CONNECT` for a tunnel.

use http::header::{CONTENT_LENGTH, HOST};
use http::{HeaderMap, Method};
use url::{Position, Url};

use crate::request::Proxy;

/// `host[:port]` as it goes in `Host` and in a `CONNECT` target. The port is
/// left out when it is the scheme's default; IPv6 literals keep their brackets.
pub(crate) fn authority(url: &Url) -> &str {
    // The serialised URL already holds it: host (IPv6 bracketed), then the
    // port unless it is the scheme's default.
    &url[Position::BeforeHost..Position::AfterPort]
}

/// `host:port` with the port always present (the form `CONNECT` wants).
pub(crate) fn authority_with_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    format!("{host}:{}", url.port_or_known_default().unwrap_or(80))
}

/// The request head. `proxy` is `Some` when the request goes to a plain-http
/// proxy, which wants the absolute URL as target and its own headers.
pub(crate) fn request_head(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body_len: Option<usize>,
    proxy: Option<&Proxy>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    if proxy.is_some() {
        out.extend_from_slice(url.as_str().as_bytes());
    } else {
        out.extend_from_slice(url.path().as_bytes());
        if let Some(q) = url.query() {
            out.push(b'?');
            out.extend_from_slice(q.as_bytes());
        }
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !headers.contains_key(HOST) {
        push_header(&mut out, b"Host", authority(url).as_bytes());
    }
    for (name, value) in headers {
        if name == CONTENT_LENGTH {
            continue; // always derived from the body actually sent
        }
        push_header(&mut out, name.as_str().as_bytes(), value.as_bytes());
    }
    // A chunked body (a streamed one of unknown length) has no length.
    let needs_length = body_len.is_some()
        || (matches!(*method, Method::POST | Method::PUT | Method::PATCH)
            && !headers.contains_key(http::header::TRANSFER_ENCODING));
    if needs_length {
        push_header(
            &mut out,
            b"Content-Length",
            body_len.unwrap_or(0).to_string().as_bytes(),
        );
    }
    if let Some(p) = proxy {
        for (name, value) in &p.headers {
            push_header(&mut out, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A `CONNECT` request asking `proxy` for a tunnel to the URL's host and port.
pub(crate) fn connect_head(url: &Url, proxy: &Proxy) -> Vec<u8> {
    let target = authority_with_port(url);
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"CONNECT ");
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    push_header(&mut out, b"Host", target.as_bytes());
    for (name, value) in &proxy.headers {
        push_header(&mut out, name.as_str().as_bytes(), value.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn push_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;

    fn head_of(req: &Request, proxy: bool) -> String {
        let p = if proxy { req.proxy() } else { None };
        let bytes = request_head(
            req.method(),
            req.url(),
            req.headers(),
            req.body().map(|b| b.len()),
            p,
        );
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn origin_form_with_host_and_query_without_fragment() {
        let r = Request::builder("http://example.com:8080/a/b?x=1#frag")
            .user_agent("t")
            .build()
            .unwrap();
        assert_eq!(
            head_of(&r, false),
            "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nuser-agent: t\r\n\r\n"
        );
    }

    #[test]
    fn default_port_is_left_out_of_host() {
        let r = Request::builder("https://example.com:443/")
            .user_agent("t")
            .build()
            .unwrap();
        assert!(head_of(&r, false).contains("Host: example.com\r\n"));
    }

    #[test]
    fn ipv6_literal_is_bracketed() {
        let r = Request::builder("http://[::1]:8080/")
            .user_agent("t")
            .build()
            .unwrap();
        assert!(head_of(&r, false).contains("Host: [::1]:8080\r\n"));
    }

    #[test]
    fn body_gets_content_length_and_user_value_is_replaced() {
        let r = Request::builder("http://a/")
            .header("Content-Length", "999")
            .user_agent("t")
            .body("hello")
            .build()
            .unwrap();
        let h = head_of(&r, false);
        assert!(h.starts_with("POST / HTTP/1.1\r\n"));
        assert!(h.contains("Content-Length: 5\r\n"));
        assert!(!h.contains("999"));
    }

    #[test]
    fn absolute_form_and_proxy_headers_through_proxy() {
        let proxy = Proxy::new("proxy", 3128)
            .unwrap()
            .header("Proxy-Authorization", "Basic x")
            .unwrap();
        let r = Request::builder("http://example.com/p?q")
            .user_agent("t")
            .proxy(proxy)
            .build()
            .unwrap();
        let h = head_of(&r, true);
        assert!(
            h.starts_with("GET http://example.com/p?q HTTP/1.1\r\n"),
            "{h}"
        );
        assert!(h.contains("proxy-authorization: Basic x\r\n"));
    }

    #[test]
    fn connect_names_host_and_port() {
        let proxy = Proxy::new("proxy", 3128)
            .unwrap()
            .header("Proxy-Authorization", "Basic x")
            .unwrap();
        let url = Url::parse("https://example.com/x").unwrap();
        let h = String::from_utf8(connect_head(&url, &proxy)).unwrap();
        assert_eq!(
            h,
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nproxy-authorization: Basic x\r\n\r\n"
        );
    }
}
