//! The parameters of Kivy's `UrlRequest` that shape the HTTP request, and the
//! one set of rules that turns them into a [`Request`]. Both runtimes' Kivy-style
//! builders keep their parameters here, so the same parameters put the same
//! bytes on the wire whichever runtime sends them.

use std::time::Duration;

use bytes::Bytes;

use urlrequest_core::{
    BuildError, CookieJar, EnvProxies, Limits, Multipart, Proxy, ProxySource, Request,
    DEFAULT_CHUNK_SIZE, DEFAULT_MAX_REDIRECTS,
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
    /// Longest time for each new connection to be ready (TCP, proxy
    /// tunnel, TLS handshake).
    pub connect_timeout: Option<Duration>,
    /// Limits on the response (head size, header count, body size).
    pub limits: Limits,
    /// Follow a redirect from https to plain http.
    pub allow_https_to_http: bool,
    /// Decode JSON bodies.
    pub decode: bool,
    /// Undo content codings (`Content-Encoding`) and send `Accept-Encoding`
    /// (see `urlrequest_core::RequestBuilder::decompress`).
    pub decompress: bool,
    /// Redirects followed at most (0: return the 3xx).
    pub max_redirects: u32,
    /// Keep the body in the response (off when it streams to a file).
    pub collect_body: bool,
    /// Proxy host. The proxy is marked as coming from these parameters
    /// ([`ProxySource::KivyParams`]), which a failure with it says.
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
    /// A URL-encoded form sent as the body (replaces `req_body`), with
    /// its `Content-Type` unless `req_headers` has one.
    pub form: Option<Vec<(String, String)>>,
    /// A `multipart/form-data` body (replaces `req_body` and `form`), with
    /// its `Content-Type` unless `req_headers` has one.
    pub multipart: Option<Multipart>,
    /// A cookie jar for this request (RFC 6265, across its redirects),
    /// besides Kivy's `cookies` string, which is still sent first.
    pub cookie_jar: Option<CookieJar>,
    /// The wall time cookie expiry is judged at; unset, the runtime's clock
    /// when the request starts.
    pub wall_time: Option<std::time::SystemTime>,
    /// Proxies from the environment, chosen for the URL of each hop
    /// (unless `proxy_host` is given); a client's `env_proxies` does the
    /// same for all its requests.
    pub env_proxies: Option<EnvProxies>,
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
            connect_timeout: None,
            limits: Limits::default(),
            allow_https_to_http: false,
            decode: true,
            decompress: true,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            collect_body: true,
            proxy_host: None,
            proxy_port: None,
            proxy_headers: Vec::new(),
            user_agent: None,
            cookies: None,
            auth: None,
            form: None,
            multipart: None,
            cookie_jar: None,
            wall_time: None,
            env_proxies: None,
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
            .decompress(self.decompress)
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
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(t);
        }
        b = b
            .limits(self.limits)
            .allow_https_to_http(self.allow_https_to_http);
        if let Some(body) = &self.req_body {
            b = b.body(body.clone());
        }
        if let Some(pairs) = &self.form {
            b = b.form(pairs.iter().map(|(k, v)| (k, v)));
        }
        if let Some(form) = &self.multipart {
            b = b.multipart(form.clone());
        }
        if let Some(jar) = &self.cookie_jar {
            b = b.cookie_jar(jar.clone());
        }
        if let Some(t) = self.wall_time {
            b = b.wall_time(t);
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
                Proxy::new(host.clone(), self.proxy_port.unwrap_or(DEFAULT_PROXY_PORT))?
                    .with_source(ProxySource::KivyParams);
            for (n, v) in &self.proxy_headers {
                proxy = proxy.header(n, v)?;
            }
            b = b.proxy(proxy);
        }
        let mut request = b.build()?;
        if let Some(env) = &self.env_proxies {
            env.apply(&mut request);
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_and_multipart_bodies() {
        let mut p = RequestParams::new("http://a.test/");
        p.req_body = Some("raw".into());
        p.form = Some(vec![("a".into(), "1 2".into())]);
        let r = p.to_request().unwrap();
        assert_eq!(r.method(), "POST");
        assert_eq!(r.body().unwrap().as_ref(), b"a=1+2");
        assert_eq!(
            r.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
        p.multipart = Some(Multipart::new().boundary("B").text("a", "1"));
        p.req_headers = vec![("Content-Type".into(), "multipart/mixed; boundary=B".into())];
        let r = p.to_request().unwrap();
        let types: Vec<_> = r.headers().get_all("content-type").iter().collect();
        assert_eq!(types, ["multipart/mixed; boundary=B"]);
        assert!(r.body().unwrap().starts_with(b"--B\r\n"));
    }

    #[test]
    fn cookie_jar_and_env_proxies_reach_the_request() {
        let jar = CookieJar::new();
        let env = EnvProxies::from_vars([("http_proxy", "env.test:3128")]).unwrap();
        let mut p = RequestParams::new("http://a.test/");
        p.cookies = Some("kivy=1".into());
        p.cookie_jar = Some(jar.clone());
        p.wall_time = Some(std::time::UNIX_EPOCH);
        p.env_proxies = Some(env.clone());
        let r = p.to_request().unwrap();
        // Kivy's cookies string is still the Cookie header the user sets.
        assert_eq!(r.headers()["cookie"], "kivy=1");
        assert_eq!(r.cookie_jar(), Some(&jar));
        assert_eq!(r.wall_time(), Some(std::time::UNIX_EPOCH));
        assert_eq!(r.proxy().unwrap().host(), "env.test");
        assert_eq!(
            r.proxy().unwrap().source(),
            &ProxySource::Env("http_proxy".into())
        );
        assert_eq!(r.env_proxies(), Some(&env));
        // An explicit proxy_host wins over the environment.
        p.proxy_host = Some("mine.test".into());
        let r = p.to_request().unwrap();
        assert_eq!(r.proxy().unwrap().host(), "mine.test");
        assert_eq!(r.proxy().unwrap().source(), &ProxySource::KivyParams);
        assert!(r.env_proxies().is_none());
    }

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
