//! The parameters of Kivy's `UrlRequest` that shape the HTTP request, and the
//! one set of rules that turns them into a [`Request`]. Both runtimes' Kivy-style
//! builders keep their parameters here, so the same parameters put the same
//! bytes on the wire whichever runtime sends them.

use std::time::Duration;

use bytes::Bytes;

use urlrequest_core::{
    BuildError, Limits, Proxy, Request, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_REDIRECTS,
};

/// Proxy port used when `proxy_host` is given without `proxy_port`.
pub const DEFAULT_PROXY_PORT: u16 = 8080;

/// Kivy's request-shaping parameters, with Kivy's defaults.
///
/// ```
/// let mut p = urlrequest::RequestParams::new("http://example.com/");
/// p.req_body = Some("a=1".into());
/// p.cookies = Some("session=1".into());
/// p.auth = Some(("user".into(), "pass".into()));
/// let req = p.to_request()?;
/// assert_eq!(req.method(), "POST");
/// assert_eq!(req.headers()["cookie"], "session=1");
/// assert_eq!(req.headers()["authorization"], "Basic dXNlcjpwYXNz");
/// # Ok::<(), urlrequest_core::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RequestParams {
    /// The URL.
    pub url: String,
    /// The body (POST when no method is given).
    pub req_body: Option<Bytes>,
    /// Headers in order; a name may repeat.
    pub req_headers: Vec<(String, String)>,
    /// The method; default GET, or POST with a body.
    pub method: Option<String>,
    /// Size of body chunks and progress steps.
    pub chunk_size: usize,
    /// Longest time without progress.
    pub timeout: Option<Duration>,
    /// Longest time for the whole exchange, redirects included.
    pub total_timeout: Option<Duration>,
    /// Limits on the response (head size, header count, body size).
    pub limits: Limits,
    /// Follow a redirect from https to plain http.
    pub allow_https_to_http: bool,
    /// Decode JSON bodies.
    pub decode: bool,
    /// Redirects followed at most (0: return the 3xx).
    pub max_redirects: u32,
    /// Keep the body in the response (off when it streams to a file).
    pub collect_body: bool,
    /// Proxy host.
    pub proxy_host: Option<String>,
    /// Proxy port ([`DEFAULT_PROXY_PORT`] when only the host is given).
    pub proxy_port: Option<u16>,
    /// Headers for the proxy.
    pub proxy_headers: Vec<(String, String)>,
    /// Replaces any `User-Agent` in `req_headers`.
    pub user_agent: Option<String>,
    /// Sent as `Cookie` unless `req_headers` has one.
    pub cookies: Option<String>,
    /// Basic credentials; replace any `Authorization` in `req_headers`.
    pub auth: Option<(String, String)>,
    /// A body streamed from a source (set with the builder's `upload`).
    pub body_stream: Option<urlrequest_core::BodyStream>,
    /// Send `Expect: 100-continue` and hold the body this long for the 100.
    pub expect_continue: Option<Duration>,
}

impl RequestParams {
    /// Parameters for `url` with Kivy's defaults.
    pub fn new(url: impl Into<String>) -> RequestParams {
        RequestParams {
            url: url.into(),
            req_body: None,
            req_headers: Vec::new(),
            method: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            timeout: None,
            total_timeout: None,
            limits: Limits::default(),
            allow_https_to_http: false,
            decode: true,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            collect_body: true,
            proxy_host: None,
            proxy_port: None,
            proxy_headers: Vec::new(),
            user_agent: None,
            cookies: None,
            auth: None,
            body_stream: None,
            expect_continue: None,
        }
    }

    /// The request these parameters describe. `auth` and `user_agent`
    /// replace the same headers in `req_headers`; `cookies` yields to a
    /// `Cookie` there.
    pub fn to_request(&self) -> Result<Request, BuildError> {
        let mut b = Request::builder(&self.url)
            .chunk_size(self.chunk_size)
            .decode(self.decode)
            .max_redirects(self.max_redirects)
            .collect_body(self.collect_body);
        if let Some(m) = &self.method {
            b = b.method(m);
        }
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        if let Some(t) = self.total_timeout {
            b = b.total_timeout(t);
        }
        b = b
            .limits(self.limits)
            .allow_https_to_http(self.allow_https_to_http);
        if let Some(body) = &self.req_body {
            b = b.body(body.clone());
        }
        if let Some(stream) = self.body_stream {
            b = b.body_stream(stream);
        }
        if let Some(wait) = self.expect_continue {
            b = b.expect_continue(wait);
        }
        for (n, v) in &self.req_headers {
            let replaced = (self.auth.is_some() && n.eq_ignore_ascii_case("authorization"))
                || (self.user_agent.is_some() && n.eq_ignore_ascii_case("user-agent"));
            if !replaced {
                b = b.header(n, v);
            }
        }
        if let Some(ua) = &self.user_agent {
            b = b.header("User-Agent", ua);
        }
        if let Some(c) = &self.cookies {
            if !self
                .req_headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            {
                b = b.header("Cookie", c);
            }
        }
        if let Some((user, pass)) = &self.auth {
            b = b.basic_auth(user, pass);
        }
        if let Some(host) = &self.proxy_host {
            let mut proxy =
                Proxy::new(host.clone(), self.proxy_port.unwrap_or(DEFAULT_PROXY_PORT))?;
            for (n, v) in &self.proxy_headers {
                proxy = proxy.header(n, v)?;
            }
            b = b.proxy(proxy);
        }
        b.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rules() {
        let mut p = RequestParams::new("http://a.test/");
        p.req_headers = vec![
            ("User-Agent".into(), "mine".into()),
            ("Cookie".into(), "given=1".into()),
            ("Authorization".into(), "Bearer x".into()),
        ];
        let r = p.to_request().unwrap();
        assert_eq!(r.headers()["user-agent"], "mine");
        assert_eq!(r.headers()["authorization"], "Bearer x");
        p.user_agent = Some("kivy".into());
        p.cookies = Some("ignored=1".into());
        p.auth = Some(("u".into(), "p".into()));
        let r = p.to_request().unwrap();
        assert_eq!(
            r.headers().get_all("user-agent").iter().collect::<Vec<_>>(),
            ["kivy"]
        );
        assert_eq!(
            r.headers().get_all("cookie").iter().collect::<Vec<_>>(),
            ["given=1"]
        );
        assert_eq!(
            r.headers()
                .get_all("authorization")
                .iter()
                .collect::<Vec<_>>(),
            ["Basic dTpw"]
        );
    }

    #[test]
    fn proxy_port_defaults() {
        let mut p = RequestParams::new("http://a.test/");
        p.proxy_host = Some("proxy".into());
        assert_eq!(
            p.to_request().unwrap().proxy().unwrap().port(),
            DEFAULT_PROXY_PORT
        );
        p.proxy_port = Some(3128);
        p.proxy_headers = vec![("Proxy-Authorization".into(), "Basic eA==".into())];
        let r = p.to_request().unwrap();
        assert_eq!(r.proxy().unwrap().port(), 3128);
        assert_eq!(
            r.proxy().unwrap().headers()["proxy-authorization"],
            "Basic eA=="
        );
    }

    #[test]
    fn invalid_input_is_a_build_error() {
        let mut p = RequestParams::new("http://a.test/");
        p.chunk_size = 0;
        assert_eq!(p.to_request().unwrap_err(), BuildError::ZeroChunkSize);
    }
}
