//! Proxies from the environment, as curl reads them: `http_proxy`,
//! `https_proxy` (either case), `ALL_PROXY`/`all_proxy` as the fallback, and
//! `NO_PROXY`/`no_proxy` for the hosts that go direct. Each proxy chosen
//! this way carries the variable that named it
//! ([`ProxySource::Env`](crate::ProxySource::Env)), which a failure with
//! the proxy names.
//!
//! The rules are a pure function of an environment given as a lookup, so
//! they are tested with tables and never touch the process environment;
//! [`EnvProxies::from_env`] (an unusable variable is an error) and
//! [`EnvProxies::from_env_lenient`] (it is skipped with a warning: what the
//! clients use, as they read the environment by default, like curl and
//! reqwest, unless told not to with `ClientBuilder::no_env_proxies()`) are
//! the places that read it.

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::BuildError;
use crate::request::{basic_auth_value, Proxy, ProxySource, Request};

/// Port used for a proxy URL that names none (curl's default).
pub const DEFAULT_ENV_PROXY_PORT: u16 = 1080;

/// The proxy settings of an environment, parsed once: which proxy serves
/// http and https URLs, and which hosts bypass it.
///
/// Lookup order, for each scheme: the lowercase variable, then the
/// uppercase one, then `all_proxy`/`ALL_PROXY`; an empty value counts as
/// unset. **`HTTP_PROXY` (uppercase) is ignored when `REQUEST_METHOD` is
/// set**: in a CGI program a request's `Proxy:` header arrives as
/// `HTTP_PROXY`, and honouring it would let any caller pick the proxy (the
/// "httpoxy" rule; curl and Go do the same). `http_proxy` is still read.
///
/// A proxy URL is `http://[user:password@]host[:port][/]`, or just
/// `host[:port]`; the port defaults to 1080 as in curl. User-info becomes a
/// `Proxy-Authorization: Basic` header sent to the proxy, for forwarded
/// requests and for `CONNECT` alike. Other schemes (`https://` proxies,
/// `socks5://`) are not supported and are an error naming the variable.
///
/// `NO_PROXY` is a list separated by commas or spaces of: `*` (every host
/// goes direct); host names, matching that host and every subdomain (a
/// leading `.` or `*.` is allowed and means the same); IP addresses, matching
/// exactly; CIDR ranges such as `10.0.0.0/8` or `fd00::/8`. Names compare
/// without case and without a trailing dot; ports in entries are ignored.
///
/// ```
/// use urlrequest_core::EnvProxies;
/// let env = [
///     ("http_proxy", "http://user:secret@proxy.corp:3128"),
///     ("NO_PROXY", "localhost,.internal,10.0.0.0/8"),
/// ];
/// let proxies = EnvProxies::from_vars(env)?;
/// let url = urlrequest_core::Url::parse("http://example.com/")?;
/// let proxy = proxies.proxy_for(&url).expect("proxied");
/// assert_eq!((proxy.host(), proxy.port()), ("proxy.corp", 3128));
/// assert_eq!(proxy.headers()["proxy-authorization"], "Basic dXNlcjpzZWNyZXQ=");
/// for direct in ["http://db.internal/", "http://10.1.2.3/", "https://example.com/"] {
///     assert!(proxies.proxy_for(&urlrequest_core::Url::parse(direct)?).is_none());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The default value, like [`EnvProxies::none`], sends every URL direct;
/// [`is_empty`](EnvProxies::is_empty) says so without looking at a URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvProxies {
    http: Option<Proxy>,
    https: Option<Proxy>,
    no_proxy: NoProxy,
    /// The variables used (a proxy variable that was skipped as unusable is
    /// not among them), and the `no_proxy` override: what a transcript
    /// keeps to rebuild the same rules.
    vars: Vec<(String, String)>,
    no_proxy_override: Option<String>,
}

impl EnvProxies {
    /// No proxy for any URL.
    pub fn none() -> EnvProxies {
        EnvProxies::default()
    }

    /// The settings of this process's environment. An unusable proxy
    /// variable is an error naming it: what to call when the environment
    /// was asked for explicitly. A value that is not valid UTF-8 counts as
    /// unset.
    pub fn from_env() -> Result<EnvProxies, BuildError> {
        EnvProxies::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings of this process's environment, for a client that reads
    /// it by default: never fails. A variable whose value is unusable (not
    /// an `http://` proxy URL, or not valid UTF-8) is skipped, as if unset,
    /// with a `log::warn!` naming it and saying why; the next variable in
    /// the lookup order is used instead.
    ///
    /// Reading the environment by default is what curl and reqwest do; the
    /// clients do it with this and offer an opt-out. Code that asks for the
    /// environment explicitly should use [`from_env`](Self::from_env),
    /// which reports an unusable value as an error instead.
    pub fn from_env_lenient() -> EnvProxies {
        // A variable may be looked up more than once (ALL_PROXY serves
        // both schemes): warn about it once.
        let warned = std::cell::RefCell::new(std::collections::HashSet::new());
        let (proxies, skipped) =
            EnvProxies::from_lookup_lenient(|name| match std::env::var(name) {
                Ok(v) => Some(v),
                Err(std::env::VarError::NotPresent) => None,
                Err(std::env::VarError::NotUnicode(_)) => {
                    if warned.borrow_mut().insert(name.to_string()) {
                        log::warn!(
                            "ignoring the {name} environment variable: \
                             its value is not valid UTF-8"
                        );
                    }
                    None
                }
            });
        for problem in skipped {
            log::warn!("ignoring a proxy variable of the environment: {problem}");
        }
        proxies
    }

    /// The settings of an environment given as `(name, value)` pairs.
    pub fn from_vars<I, K, V>(vars: I) -> Result<EnvProxies, BuildError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
            .collect();
        EnvProxies::from_lookup(|name| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    /// The settings of an environment given as a lookup function (the
    /// value of a variable, or `None` when unset). The first unusable proxy
    /// variable is an error naming it.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<EnvProxies, BuildError> {
        EnvProxies::read(get, true).map(|(proxies, _)| proxies)
    }

    /// The settings of an environment given as a lookup function, never
    /// failing: each unusable proxy variable is skipped as if unset (the
    /// next one in the lookup order is used), and its error is returned
    /// for the caller to report. What
    /// [`from_env_lenient`](Self::from_env_lenient) does with the process
    /// environment.
    ///
    /// ```
    /// use urlrequest_core::{EnvProxies, Url};
    /// let env = [("http_proxy", "socks5://s:1"), ("ALL_PROXY", "fallback:3128")];
    /// let (proxies, skipped) = EnvProxies::from_lookup_lenient(|name| {
    ///     env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    /// });
    /// assert!(skipped[0].to_string().starts_with("invalid proxy: http_proxy="));
    /// let proxy = proxies.proxy_for(&Url::parse("http://example.com/")?).unwrap();
    /// assert_eq!(proxy.host(), "fallback");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_lookup_lenient(
        get: impl Fn(&str) -> Option<String>,
    ) -> (EnvProxies, Vec<BuildError>) {
        match EnvProxies::read(get, false) {
            Ok(read) => read,
            // Only the strict reading fails.
            Err(e) => (EnvProxies::none(), vec![e]),
        }
    }

    /// Reads the variables; `strict`: the first unusable one is an error,
    /// else it is skipped and its error collected.
    fn read(
        get: impl Fn(&str) -> Option<String>,
        strict: bool,
    ) -> Result<(EnvProxies, Vec<BuildError>), BuildError> {
        // The variables used, to rebuild the same rules from a transcript.
        let mut used: Vec<(String, String)> = Vec::new();
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let cgi = get("REQUEST_METHOD").is_some();
        let mut skipped = Vec::new();
        // The first variable of `names` that is set and usable.
        let mut pick = |names: &[&'static str]| -> Result<Option<Proxy>, BuildError> {
            for name in names {
                let Some(value) = get(name) else { continue };
                match parse_proxy_url(name, &value) {
                    Ok(proxy) => {
                        used.push((name.to_string(), value));
                        return Ok(Some(proxy));
                    }
                    Err(e) if strict => return Err(e),
                    Err(e) => skipped.push(e),
                }
            }
            Ok(None)
        };
        let http_names: &[&'static str] = if cgi {
            &["http_proxy", "all_proxy", "ALL_PROXY"]
        } else {
            &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
        };
        let http = pick(http_names)?;
        let https = pick(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])?;
        let no_proxy = ["no_proxy", "NO_PROXY"]
            .iter()
            .find_map(|n| get(n).map(|v| (*n, v)));
        if let Some((name, value)) = &no_proxy {
            used.push((name.to_string(), value.clone()));
        }
        if let Some(method) = get("REQUEST_METHOD") {
            used.push(("REQUEST_METHOD".to_string(), method));
        }
        let no_proxy = no_proxy
            .map(|(_, v)| NoProxy::parse(&v))
            .unwrap_or_default();
        let mut vars = used;
        vars.sort();
        vars.dedup();
        // An unusable ALL_PROXY is met once per scheme: report it once.
        let mut seen = std::collections::HashSet::new();
        skipped.retain(|e| seen.insert(e.to_string()));
        Ok((
            EnvProxies {
                http,
                https,
                no_proxy,
                vars,
                no_proxy_override: None,
            },
            skipped,
        ))
    }

    /// Replaces the `NO_PROXY` list (`urlreq --noproxy`).
    pub fn no_proxy(mut self, list: &str) -> EnvProxies {
        self.no_proxy = NoProxy::parse(list);
        self.no_proxy_override = Some(list.to_string());
        self
    }

    /// The rules as JSON, for a transcript: the variables they were read
    /// from.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "vars": self.vars, "no_proxy": self.no_proxy_override })
    }

    /// The rules a transcript kept.
    pub(crate) fn from_json(v: &serde_json::Value) -> Result<EnvProxies, String> {
        let vars: Vec<(String, String)> =
            serde_json::from_value(v.get("vars").cloned().unwrap_or_default())
                .map_err(|e| format!("request.env_proxies.vars: {e}"))?;
        let mut env = EnvProxies::from_vars(vars).map_err(|e| e.to_string())?;
        if let Some(list) = v.get("no_proxy").and_then(serde_json::Value::as_str) {
            env = env.no_proxy(list);
        }
        Ok(env)
    }

    /// Whether no URL would go through a proxy.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The proxy for `url`, or `None` when it goes direct.
    pub fn proxy_for(&self, url: &Url) -> Option<Proxy> {
        let proxy = match url.scheme() {
            "http" => self.http.as_ref(),
            "https" => self.https.as_ref(),
            _ => None,
        }?;
        if self.no_proxy.matches(url) {
            return None;
        }
        Some(proxy.clone())
    }

    /// Gives `request` these rules, unless it has a proxy of its own: the
    /// proxy its URL calls for now, and again for the URL of each redirect
    /// it follows (a redirect to a `NO_PROXY` host goes direct). What the
    /// clients' `env_proxies` options do to each request.
    pub fn apply(&self, request: &mut Request) {
        if request.proxy().is_none() {
            request.proxy = self.proxy_for(request.url());
            request.env_proxies = Some(Box::new(self.clone()));
        }
    }
}

/// A parsed `NO_PROXY` list.
#[derive(Debug, Clone, Default, PartialEq)]
struct NoProxy {
    all: bool,
    names: Vec<String>,
    nets: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for entry in list.split([',', ' ', '\t']).map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                out.all = true;
                continue;
            }
            if let Some((addr, len)) = entry.split_once('/') {
                let addr = addr.trim_start_matches('[').trim_end_matches(']');
                if let (Ok(ip), Ok(len)) = (addr.parse::<IpAddr>(), len.parse::<u8>()) {
                    let max = if ip.is_ipv4() { 32 } else { 128 };
                    if len <= max {
                        out.nets.push((ip, len));
                    }
                }
                // A malformed range matches nothing, as in curl.
                continue;
            }
            let bare = entry.trim_start_matches('[');
            let bare = bare.split(']').next().unwrap_or(bare);
            if let Ok(ip) = bare.parse::<IpAddr>() {
                let len = if ip.is_ipv4() { 32 } else { 128 };
                out.nets.push((ip, len));
                continue;
            }
            // A host name, possibly with a port (ignored) and a leading
            // `.` or `*.`.
            let name = entry.rsplit_once(':').map_or(entry, |(h, _)| h);
            let name = name.trim_start_matches("*.").trim_start_matches('.');
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if !name.is_empty() {
                out.names.push(name);
            }
        }
        out
    }

    fn matches(&self, url: &Url) -> bool {
        if self.all {
            return true;
        }
        match url.host() {
            Some(Host::Ipv4(ip)) => self.ip_matches(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.ip_matches(IpAddr::V6(ip)),
            Some(Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                self.names.iter().any(|n| {
                    d == *n
                        || (d.len() > n.len()
                            && d.ends_with(n.as_str())
                            && d.as_bytes()[d.len() - n.len() - 1] == b'.')
                })
            }
            None => false,
        }
    }

    fn ip_matches(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|&(net, len)| in_net(ip, net, len))
    }
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn parse_proxy_url(var: &str, value: &str) -> Result<Proxy, BuildError> {
    let value = value.trim();
    let bad = |reason: String| BuildError::InvalidProxy {
        reason: format!("{var}={value:?}: {reason}"),
    };
    let text = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let url = Url::parse(&text).map_err(|e| bad(e.to_string()))?;
    if url.scheme() != "http" {
        return Err(bad(format!(
            "{}:// proxies are not supported (only http://)",
            url.scheme()
        )));
    }
    let host = match url.host() {
        Some(Host::Ipv6(ip)) => ip.to_string(),
        Some(h) => h.to_string(),
        None => return Err(bad("no host".into())),
    };
    let mut proxy = Proxy::new(host, url.port().unwrap_or(DEFAULT_ENV_PROXY_PORT))
        .map_err(|e| bad(e.to_string()))?
        .with_source(ProxySource::Env(var.to_string()));
    if !url.username().is_empty() || url.password().is_some() {
        let user: Vec<u8> = percent_encoding::percent_decode_str(url.username()).collect();
        let pass: Vec<u8> =
            percent_encoding::percent_decode_str(url.password().unwrap_or("")).collect();
        let value = basic_auth_value(&user, &pass);
        proxy
            .headers
            .insert(http::header::PROXY_AUTHORIZATION, value);
    }
    Ok(proxy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy_of(env: &[(&str, &str)], url: &str) -> Option<String> {
        let p = EnvProxies::from_vars(env.iter().copied()).unwrap();
        p.proxy_for(&Url::parse(url).unwrap())
            .map(|p| format!("{}:{}", p.host(), p.port()))
    }

    #[test]
    fn scheme_variables_and_their_order() {
        // (environment, URL, proxy chosen)
        type Row<'a> = (&'a [(&'a str, &'a str)], &'a str, Option<&'a str>);
        let table: &[Row] = &[
            (&[], "http://a.test/", None),
            (&[("http_proxy", "p:1")], "http://a.test/", Some("p:1")),
            (&[("http_proxy", "p:1")], "https://a.test/", None),
            (&[("HTTP_PROXY", "P:2")], "http://a.test/", Some("p:2")),
            (
                &[("http_proxy", "low:1"), ("HTTP_PROXY", "up:2")],
                "http://a.test/",
                Some("low:1"),
            ),
            (&[("https_proxy", "s:3")], "https://a.test/", Some("s:3")),
            (&[("HTTPS_PROXY", "s:4")], "https://a.test/", Some("s:4")),
            (&[("HTTPS_PROXY", "s:4")], "http://a.test/", None),
            (&[("ALL_PROXY", "all:5")], "http://a.test/", Some("all:5")),
            (&[("all_proxy", "all:5")], "https://a.test/", Some("all:5")),
            (
                &[("all_proxy", "all:5"), ("https_proxy", "s:6")],
                "https://a.test/",
                Some("s:6"),
            ),
            // Empty counts as unset.
            (
                &[("http_proxy", ""), ("HTTP_PROXY", "up:7")],
                "http://a.test/",
                Some("up:7"),
            ),
            // Default port, full URLs, trailing slash.
            (
                &[("http_proxy", "proxy")],
                "http://a.test/",
                Some("proxy:1080"),
            ),
            (
                &[("http_proxy", "http://proxy:3128/")],
                "http://a.test/",
                Some("proxy:3128"),
            ),
            (
                &[("http_proxy", "http://[::1]:3128")],
                "http://a.test/",
                Some("::1:3128"),
            ),
        ];
        for (env, url, want) in table {
            assert_eq!(proxy_of(env, url).as_deref(), *want, "{env:?} {url}");
        }
    }

    #[test]
    fn httpoxy_uppercase_ignored_under_cgi() {
        let cgi = [("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "evil:1")];
        assert_eq!(proxy_of(&cgi, "http://a.test/"), None);
        let cgi = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "evil:1"),
            ("http_proxy", "good:2"),
        ];
        assert_eq!(proxy_of(&cgi, "http://a.test/").as_deref(), Some("good:2"));
        // The https variables are not request headers under CGI.
        let cgi = [("REQUEST_METHOD", "GET"), ("HTTPS_PROXY", "s:3")];
        assert_eq!(proxy_of(&cgi, "https://a.test/").as_deref(), Some("s:3"));
        // ALL_PROXY still serves http under CGI.
        let cgi = [
            ("REQUEST_METHOD", "POST"),
            ("HTTP_PROXY", "evil:1"),
            ("ALL_PROXY", "all:4"),
        ];
        assert_eq!(proxy_of(&cgi, "http://a.test/").as_deref(), Some("all:4"));
    }

    #[test]
    fn no_proxy_rules() {
        let table: &[(&str, &str, bool)] = &[
            ("*", "http://anything.test/", true),
            ("example.com", "http://example.com/", true),
            ("example.com", "http://www.example.com/", true),
            ("example.com", "http://EXAMPLE.com./", true),
            ("example.com", "http://notexample.com/", false),
            ("example.com", "http://example.com.evil/", false),
            (".example.com", "http://example.com/", true),
            (".example.com", "http://a.b.example.com/", true),
            ("*.example.com", "http://a.example.com/", true),
            ("example.com:8080", "http://example.com/", true),
            ("a.test, b.test", "http://b.test/", true),
            ("a.test b.test", "http://b.test/", true),
            ("127.0.0.1", "http://127.0.0.1:9/", true),
            ("127.0.0.1", "http://127.0.0.2/", false),
            ("10.0.0.0/8", "http://10.200.3.4/", true),
            ("10.0.0.0/8", "http://11.0.0.1/", false),
            ("192.168.1.0/24", "http://192.168.1.77/", true),
            ("192.168.1.0/24", "http://192.168.2.1/", false),
            ("0.0.0.0/0", "http://8.8.8.8/", true),
            ("::1", "http://[::1]/", true),
            ("[::1]", "http://[::1]/", true),
            ("fd00::/8", "http://[fd12::1]/", true),
            ("fd00::/8", "http://[fe80::1]/", false),
            ("10.0.0.0/8", "http://[::ffff:a00:1]/", false),
            ("10.0.0.0/99", "http://10.0.0.1/", false),
            ("not-an-ip/8", "http://not-an-ip/", false),
            ("", "http://a.test/", false),
            ("localhost", "http://127.0.0.1/", false),
        ];
        for (list, url, direct) in table {
            let env = [("http_proxy", "p:1"), ("NO_PROXY", list)];
            assert_eq!(
                proxy_of(&env, url).is_none(),
                *direct,
                "NO_PROXY={list:?} {url}"
            );
        }
        // Lowercase wins; and the --noproxy override replaces both.
        let env = [
            ("http_proxy", "p:1"),
            ("no_proxy", "a.test"),
            ("NO_PROXY", "b.test"),
        ];
        assert_eq!(proxy_of(&env, "http://b.test/").as_deref(), Some("p:1"));
        let p = EnvProxies::from_vars(env).unwrap().no_proxy("c.test");
        assert!(p
            .proxy_for(&Url::parse("http://a.test/").unwrap())
            .is_some());
        assert!(p
            .proxy_for(&Url::parse("http://c.test/").unwrap())
            .is_none());
    }

    #[test]
    fn user_info_becomes_proxy_authorization() {
        let p = EnvProxies::from_vars([("https_proxy", "http://us%40er:p%3Ass@proxy:8")]).unwrap();
        let proxy = p
            .proxy_for(&Url::parse("https://a.test/").unwrap())
            .unwrap();
        // "us@er:p:ss"
        assert_eq!(
            proxy.headers()[http::header::PROXY_AUTHORIZATION],
            "Basic dXNAZXI6cDpzcw=="
        );
        let p = EnvProxies::from_vars([("http_proxy", "proxy:8")]).unwrap();
        let proxy = p.proxy_for(&Url::parse("http://a.test/").unwrap()).unwrap();
        assert!(proxy.headers().is_empty());
    }

    #[test]
    fn unusable_values_name_the_variable() {
        for (var, value, says) in [
            (
                "https_proxy",
                "socks5://s:1",
                "socks5:// proxies are not supported",
            ),
            (
                "HTTP_PROXY",
                "https://p:1",
                "https:// proxies are not supported",
            ),
            ("ALL_PROXY", "http://p:99999", "invalid port number"),
            ("http_proxy", "http://:8", "empty host"),
        ] {
            let e = EnvProxies::from_vars([(var, value)]).unwrap_err();
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("invalid proxy: {var}=")),
                "{text}"
            );
            assert!(text.contains(says), "{text}");
        }
        // A variable the request's scheme does not use is still checked:
        // the error is found when the client is built, not on some request.
        assert!(EnvProxies::from_vars([("https_proxy", "ftp://x")]).is_err());
    }

    #[test]
    fn each_proxy_knows_its_variable_as_spelled() {
        let source = |env: &[(&str, &str)], url: &str| {
            let p = EnvProxies::from_vars(env.iter().copied()).unwrap();
            p.proxy_for(&Url::parse(url).unwrap())
                .map(|p| p.source().clone())
        };
        let env = |v: &str| Some(ProxySource::Env(v.into()));
        assert_eq!(
            source(&[("http_proxy", "p:1")], "http://a/"),
            env("http_proxy")
        );
        assert_eq!(
            source(&[("HTTP_PROXY", "p:1")], "http://a/"),
            env("HTTP_PROXY")
        );
        assert_eq!(
            source(&[("HTTPS_PROXY", "p:1")], "https://a/"),
            env("HTTPS_PROXY")
        );
        assert_eq!(
            source(&[("all_proxy", "p:1")], "https://a/"),
            env("all_proxy")
        );
        let both = [("ALL_PROXY", "a:1"), ("https_proxy", "s:2")];
        assert_eq!(source(&both, "http://a/"), env("ALL_PROXY"));
        assert_eq!(source(&both, "https://a/"), env("https_proxy"));
    }

    fn lenient(env: &[(&str, &str)]) -> (EnvProxies, Vec<String>) {
        let (p, skipped) = EnvProxies::from_lookup_lenient(|name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        });
        (p, skipped.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn lenient_reading_skips_an_unusable_variable_and_says_which() {
        // The unusable variable is as if unset: the next one is used.
        let (p, skipped) = lenient(&[
            ("http_proxy", "socks5://s:1"),
            ("HTTP_PROXY", "good:2"),
            ("https_proxy", "https://tls:3"),
        ]);
        let http = p.proxy_for(&Url::parse("http://a.test/").unwrap()).unwrap();
        assert_eq!(
            (http.host(), http.source()),
            ("good", &ProxySource::Env("HTTP_PROXY".into()))
        );
        assert!(p
            .proxy_for(&Url::parse("https://a.test/").unwrap())
            .is_none());
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped[0].starts_with("invalid proxy: http_proxy=\"socks5://s:1\""),
            "{skipped:?}"
        );
        assert!(
            skipped[1].starts_with("invalid proxy: https_proxy="),
            "{skipped:?}"
        );
        // The strict reading of the same environment is an error.
        assert!(EnvProxies::from_vars([("http_proxy", "socks5://s:1")]).is_err());
        // An unusable ALL_PROXY is met for both schemes, reported once.
        let (p, skipped) = lenient(&[("ALL_PROXY", "http://p:99999")]);
        assert!(p.is_empty());
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        let (p, skipped) = lenient(&[("all_proxy", "ftp://a"), ("https_proxy", "ftp://s")]);
        assert!(p.is_empty());
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        // A usable environment reads as strictly, with nothing skipped.
        let env = [("http_proxy", "u:p@h:1"), ("NO_PROXY", "x.test")];
        let (p, skipped) = lenient(&env);
        assert!(skipped.is_empty());
        assert_eq!(p, EnvProxies::from_vars(env).unwrap());
        // Nothing set: no proxies, the same as the default.
        let (p, skipped) = lenient(&[]);
        assert!(p.is_empty() && skipped.is_empty());
        assert_eq!(p, EnvProxies::default());
    }

    #[test]
    fn a_skipped_variable_is_not_kept_for_a_replay() {
        let (env, _) = lenient(&[("http_proxy", "ftp://x"), ("ALL_PROXY", "all:4")]);
        let mut r = Request::get("http://a.test/").unwrap();
        env.apply(&mut r);
        let ex = crate::Exchange::recording(r, std::time::Instant::now());
        let text = ex.transcript().unwrap().to_json_lines();
        assert!(!text.contains("ftp://x"), "{text}");
        let back = crate::Transcript::parse(&text).unwrap();
        assert_eq!(back.request.env_proxies(), Some(&env));
    }

    #[test]
    fn transcripts_keep_the_rules_for_the_next_hops() {
        let env = EnvProxies::from_vars([
            ("http_proxy", "http://u:p@env:1"),
            ("NO_PROXY", "direct.test"),
        ])
        .unwrap()
        .no_proxy("direct.test,10.0.0.0/8");
        let mut r = Request::get("http://a.test/").unwrap();
        env.apply(&mut r);
        let ex = crate::Exchange::recording(r, std::time::Instant::now());
        let text = ex.transcript().unwrap().to_json_lines();
        let back = crate::Transcript::parse(&text).unwrap();
        let rules = back.request.env_proxies().expect("rules kept");
        assert_eq!(rules, &env);
        assert_eq!(
            back.request.proxy(),
            env.proxy_for(&Url::parse("http://a.test/").unwrap())
                .as_ref()
        );
        assert!(rules
            .proxy_for(&Url::parse("http://10.1.1.1/").unwrap())
            .is_none());
    }

    #[test]
    fn apply_keeps_a_request_proxy() {
        let env = EnvProxies::from_vars([("http_proxy", "env:1")]).unwrap();
        let mut r = Request::get("http://a.test/").unwrap();
        env.apply(&mut r);
        assert_eq!(r.proxy().unwrap().host(), "env");
        let mut r = Request::builder("http://a.test/")
            .proxy(Proxy::new("mine", 2).unwrap())
            .build()
            .unwrap();
        env.apply(&mut r);
        assert_eq!(r.proxy().unwrap().host(), "mine");
    }
}
