//! A cookie jar following RFC 6265: `Set-Cookie` values parsed by the
//! `cookie` crate, stored and matched here (domain and path matching,
//! host-only cookies, `Secure`, expiry with `Max-Age` before `Expires`,
//! public suffixes refused with the `psl` list).
//!
//! The core reads no clock: the wall time that expiry needs is given, as
//! the request's [`wall_time`](crate::RequestBuilder::wall_time), and kept in
//! transcripts with the jar's contents at the start, so a replay sends the
//! same `Cookie` headers.

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use url::{Host, Url};

/// Most cookies kept for one domain; the oldest goes first beyond it.
pub const MAX_COOKIES_PER_DOMAIN: usize = 50;
/// Most cookies kept in one jar; the oldest goes first beyond it.
pub const MAX_COOKIES: usize = 3000;
/// Longest `name=value` accepted, in bytes (RFC 6265 section 6.1's minimum
/// a user agent must support, as browsers cap it).
pub const MAX_COOKIE_BYTES: usize = 4096;

/// One cookie in a [`CookieJar`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCookie {
    /// The name.
    pub name: String,
    /// The value, as sent (quotes included when the server quoted it).
    pub value: String,
    /// The domain, lower case: the host that set it (host-only) or its
    /// `Domain` attribute.
    pub domain: String,
    /// Sent only to exactly `domain`, not to its subdomains (no `Domain`
    /// attribute was given).
    pub host_only: bool,
    /// The path it is sent under.
    pub path: String,
    /// Sent only over https.
    pub secure: bool,
    /// `HttpOnly` (kept for completeness; an HTTP client sends it anyway).
    pub http_only: bool,
    /// When it expires, in seconds since the Unix epoch; `None` for a
    /// session cookie (kept until the jar is dropped or cleared).
    pub expires: Option<i64>,
    /// Order of creation, for the order of the `Cookie` header.
    pub created: u64,
}

#[derive(Debug, Default)]
struct Store {
    cookies: Vec<StoredCookie>,
    next: u64,
}

/// A cookie jar shared by the requests of one client: a handle, cheap to
/// clone, every clone the same jar.
///
/// Given to a request ([`RequestBuilder::cookie_jar`](crate::RequestBuilder::cookie_jar)),
/// the core adds the jar's cookies for each hop's URL to its `Cookie`
/// header (after any `Cookie` the user set) and stores the `Set-Cookie`
/// headers of every response, redirects included, so a cookie set by a
/// 302 goes out on the next hop when, and only when, it matches that hop's
/// URL.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use urlrequest_core::{CookieJar, Url};
/// let jar = CookieJar::new();
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let url = Url::parse("https://shop.example.com/cart/add")?;
/// jar.store_set_cookie(&url, "sid=42; Path=/; Domain=example.com; Secure", now);
/// jar.store_set_cookie(&url, "pref=dark; Max-Age=60", now);
/// let other = Url::parse("https://www.example.com/")?;
/// assert_eq!(jar.cookie_header(&other, now).unwrap(), "sid=42");
/// assert_eq!(jar.cookie_header(&url, now).unwrap(), "pref=dark; sid=42");
/// // Not over plain http (Secure), and pref expires after a minute.
/// let later = now + Duration::from_secs(61);
/// assert_eq!(jar.cookie_header(&url, later).unwrap(), "sid=42");
/// assert!(jar.cookie_header(&Url::parse("http://www.example.com/")?, now).is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct CookieJar {
    store: Arc<Mutex<Store>>,
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieJar")
            .field("cookies", &self.lock().cookies.len())
            .finish()
    }
}

/// Two handles are equal when they are the same jar.
impl PartialEq for CookieJar {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // Each change is made in one call holding the lock, after the
        // cookie was checked: a panic cannot leave the store torn.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Gives `request` this jar unless it has one of its own, and the wall
    /// time `now()` unless it has one: what the clients' `cookie_jar`
    /// options do to each request (`now` is where a runtime reads its
    /// clock; the core never does).
    pub fn apply(&self, request: &mut crate::Request, now: impl FnOnce() -> SystemTime) {
        if request.cookie_jar().is_none() {
            request.set_cookie_jar(Some(self.clone()));
        }
        if request.wall_time().is_none() {
            request.set_wall_time(now());
        }
    }

    /// A jar holding a copy of `cookies` (a transcript's, for replay).
    pub fn from_cookies(cookies: Vec<StoredCookie>) -> CookieJar {
        let next = cookies.iter().map(|c| c.created + 1).max().unwrap_or(0);
        CookieJar {
            store: Arc::new(Mutex::new(Store { cookies, next })),
        }
    }

    /// Every cookie in the jar, expired ones included until a later store
    /// or lookup drops them.
    pub fn cookies(&self) -> Vec<StoredCookie> {
        self.lock().cookies.clone()
    }

    /// How many cookies the jar holds.
    pub fn len(&self) -> usize {
        self.lock().cookies.len()
    }

    /// Whether the jar holds no cookie.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the jar.
    pub fn clear(&self) {
        self.lock().cookies.clear();
    }

    /// Stores one `Set-Cookie` value received from `url` at wall time
    /// `now` (RFC 6265 section 5.3). A value that does not parse, a
    /// `Domain` the host is not inside, a public suffix as `Domain`, or a
    /// `Secure` cookie from plain http is ignored, as the RFC says; the
    /// return value says whether it was stored (or deleted an old one).
    pub fn store_set_cookie(&self, url: &Url, value: &str, now: SystemTime) -> bool {
        let Some(cookie) = parse(url, value, now) else {
            return false;
        };
        let now_s = unix(now);
        let mut store = self.lock();
        let store = &mut *store;
        let same = |c: &StoredCookie| {
            c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path
        };
        let old = store.cookies.iter().position(same);
        let created = match old {
            Some(i) => store.cookies.remove(i).created,
            None => {
                store.next += 1;
                store.next - 1
            }
        };
        if cookie.expires.is_some_and(|e| e <= now_s) {
            // An expiry in the past deletes the cookie (RFC 6265 5.3 step 11).
            return old.is_some();
        }
        store
            .cookies
            .retain(|c| c.expires.is_none_or(|e| e > now_s));
        let domain = cookie.domain.clone();
        store.cookies.push(StoredCookie { created, ..cookie });
        evict(
            &mut store.cookies,
            |c| c.domain == domain,
            MAX_COOKIES_PER_DOMAIN,
        );
        evict(&mut store.cookies, |_| true, MAX_COOKIES);
        true
    }

    /// Stores every `Set-Cookie` header of a response from `url`.
    pub fn store_response<'a>(
        &self,
        url: &Url,
        set_cookies: impl IntoIterator<Item = &'a HeaderValue>,
        now: SystemTime,
    ) {
        for v in set_cookies {
            // Values that are not UTF-8 are not cookies the jar can send back
            // as they came; they are ignored.
            if let Ok(text) = v.to_str() {
                self.store_set_cookie(url, text, now);
            }
        }
    }

    /// The `Cookie` value for a request to `url` at wall time `now`
    /// (RFC 6265 section 5.4): the cookies whose domain and path match,
    /// secure ones only over https, none expired; longer paths first, then
    /// older ones. `None` when no cookie applies.
    pub fn cookie_header(&self, url: &Url, now: SystemTime) -> Option<HeaderValue> {
        let host = url_host(url)?;
        let path = url.path();
        let https = url.scheme() == "https";
        let now_s = unix(now);
        let mut store = self.lock();
        store
            .cookies
            .retain(|c| c.expires.is_none_or(|e| e > now_s));
        let mut hits: Vec<&StoredCookie> = store
            .cookies
            .iter()
            .filter(|c| {
                let domain_ok = if c.host_only {
                    host == c.domain
                } else {
                    domain_match(&host, &c.domain)
                };
                domain_ok && path_match(path, &c.path) && (https || !c.secure)
            })
            .collect();
        if hits.is_empty() {
            return None;
        }
        hits.sort_by(|a, b| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then(a.created.cmp(&b.created))
        });
        let text = hits
            .iter()
            .map(|c| {
                if c.name.is_empty() {
                    c.value.clone()
                } else {
                    format!("{}={}", c.name, c.value)
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        HeaderValue::from_str(&text).ok()
    }
}

/// Drops the oldest cookies among those `select` picks until at most `max`.
fn evict(cookies: &mut Vec<StoredCookie>, select: impl Fn(&StoredCookie) -> bool, max: usize) {
    while cookies.iter().filter(|c| select(c)).count() > max {
        let oldest = cookies
            .iter()
            .enumerate()
            .filter(|(_, c)| select(c))
            .min_by_key(|(_, c)| c.created)
            .map(|(i, _)| i);
        match oldest {
            Some(i) => {
                cookies.remove(i);
            }
            None => break,
        }
    }
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The URL's host, lower case, without a trailing dot; IPv6 unbracketed.
fn url_host(url: &Url) -> Option<String> {
    Some(match url.host()? {
        Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
    })
}

/// RFC 6265 5.1.3: equal, or a subdomain of `domain` when the host is a name.
fn domain_match(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
            && host.parse::<IpAddr>().is_err())
}

/// RFC 6265 5.1.4.
fn path_match(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

/// RFC 6265 5.1.4's default-path: the directory of the request path.
fn default_path(url: &Url) -> String {
    let p = url.path();
    if !p.starts_with('/') {
        return "/".into();
    }
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p[..i].to_string(),
    }
}

fn is_public_suffix(domain: &str) -> bool {
    psl::suffix_str(domain) == Some(domain)
}

/// RFC 6265 5.2 and 5.3 for one `Set-Cookie` value: the cookie to store,
/// or `None` when it is to be ignored.
fn parse(url: &Url, value: &str, now: SystemTime) -> Option<StoredCookie> {
    let host = url_host(url)?;
    let parsed = cookie::Cookie::parse(value).ok()?;
    let name = parsed.name().to_string();
    let value = parsed.value().to_string();
    if name.len() + value.len() > MAX_COOKIE_BYTES
        || HeaderValue::from_str(&format!("{name}={value}")).is_err()
    {
        return None;
    }
    // Max-Age wins over Expires (5.3 step 3).
    let expires = match (parsed.max_age(), parsed.expires_datetime()) {
        (Some(age), _) => {
            let secs = age.whole_seconds();
            Some(if secs <= 0 {
                i64::MIN
            } else {
                unix(now).saturating_add(secs)
            })
        }
        (None, Some(at)) => Some(at.unix_timestamp()),
        (None, None) => None,
    };
    let (domain, host_only) = match parsed
        .domain()
        .map(|d| {
            d.trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase()
        })
        .filter(|d| !d.is_empty())
    {
        None => (host.clone(), true),
        Some(d) if is_public_suffix(&d) => {
            if d == host {
                (host.clone(), true)
            } else {
                return None;
            }
        }
        Some(d) if domain_match(&host, &d) => (d, false),
        Some(_) => return None,
    };
    let path = match parsed.path() {
        Some(p) if p.starts_with('/') => p.to_string(),
        _ => default_path(url),
    };
    let secure = parsed.secure().unwrap_or(false);
    if secure && url.scheme() != "https" {
        // RFC 6265bis: plain http may not set a Secure cookie.
        return None;
    }
    Some(StoredCookie {
        name,
        value,
        domain,
        host_only,
        path,
        secure,
        http_only: parsed.http_only().unwrap_or(false),
        expires,
        created: 0,
    })
}

/// The request headers with the jar's `cookies` added: after the user's
/// `Cookie` header when there is one (joined with `; `, as one header).
pub(crate) fn merge_cookie_header(
    headers: &http::HeaderMap,
    cookies: HeaderValue,
) -> http::HeaderMap {
    let mut out = headers.clone();
    let user: Vec<&[u8]> = headers
        .get_all(http::header::COOKIE)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    let value = if user.is_empty() {
        cookies
    } else {
        let mut joined = user.join(&b"; "[..]);
        joined.extend_from_slice(b"; ");
        joined.extend_from_slice(cookies.as_bytes());
        HeaderValue::from_bytes(&joined).unwrap_or(cookies)
    };
    out.insert(http::header::COOKIE, value);
    out
}

/// The jar's cookies as JSON, for a transcript.
pub(crate) fn jar_to_json(jar: &CookieJar) -> serde_json::Value {
    jar.cookies()
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": c.name, "value": c.value, "domain": c.domain,
                "host_only": c.host_only, "path": c.path, "secure": c.secure,
                "http_only": c.http_only, "expires": c.expires, "created": c.created,
            })
        })
        .collect()
}

/// A jar from a transcript's JSON.
pub(crate) fn jar_from_json(v: &serde_json::Value) -> Result<CookieJar, String> {
    let list = v.as_array().ok_or("request.cookies is not a list")?;
    let mut cookies = Vec::new();
    for c in list {
        let s = |k: &str| {
            c.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .ok_or(format!("cookie.{k} missing"))
        };
        let b = |k: &str| {
            c.get(k)
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        };
        cookies.push(StoredCookie {
            name: s("name")?,
            value: s("value")?,
            domain: s("domain")?,
            host_only: b("host_only"),
            path: s("path")?,
            secure: b("secure"),
            http_only: b("http_only"),
            expires: c.get("expires").and_then(serde_json::Value::as_i64),
            created: c
                .get("created")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
        });
    }
    Ok(CookieJar::from_cookies(cookies))
}

/// A wall time `secs` seconds after the Unix epoch.
pub(crate) fn wall_from_unix(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

pub(crate) fn wall_to_unix(t: SystemTime) -> i64 {
    unix(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn header(jar: &CookieJar, u: &str, t: u64) -> Option<String> {
        jar.cookie_header(&url(u), at(t))
            .map(|v| v.to_str().unwrap().to_string())
    }

    #[test]
    fn storage_rules_table() {
        // (set from, Set-Cookie, request to, cookie sent?)
        let table: &[(&str, &str, &str, Option<&str>)] = &[
            ("http://a.test/", "k=v", "http://a.test/x", Some("k=v")),
            // Host-only: not to subdomains.
            ("http://a.test/", "k=v", "http://www.a.test/", None),
            // Domain: to subdomains, and to the domain itself.
            (
                "http://www.a.test/",
                "k=v; Domain=a.test",
                "http://x.a.test/",
                Some("k=v"),
            ),
            (
                "http://www.a.test/",
                "k=v; Domain=.a.test",
                "http://a.test/",
                Some("k=v"),
            ),
            // A Domain the host is not inside is refused.
            (
                "http://a.test/",
                "k=v; Domain=b.test",
                "http://b.test/",
                None,
            ),
            (
                "http://a.test/",
                "k=v; Domain=www.a.test",
                "http://www.a.test/",
                None,
            ),
            // Public suffixes refused as Domain.
            (
                "http://x.example.co.uk/",
                "k=v; Domain=co.uk",
                "http://y.co.uk/",
                None,
            ),
            (
                "http://x.example.com/",
                "k=v; Domain=com",
                "http://y.com/",
                None,
            ),
            // ... but a Domain equal to the host becomes host-only.
            (
                "http://co.uk/",
                "k=v; Domain=co.uk",
                "http://co.uk/",
                Some("k=v"),
            ),
            (
                "http://co.uk/",
                "k=v; Domain=co.uk",
                "http://x.co.uk/",
                None,
            ),
            // Secure: only over https, and never set from http.
            ("https://a.test/", "k=v; Secure", "http://a.test/", None),
            (
                "https://a.test/",
                "k=v; Secure",
                "https://a.test/",
                Some("k=v"),
            ),
            ("http://a.test/", "k=v; Secure", "https://a.test/", None),
            // Paths.
            (
                "http://a.test/",
                "k=v; Path=/docs",
                "http://a.test/docs",
                Some("k=v"),
            ),
            (
                "http://a.test/",
                "k=v; Path=/docs",
                "http://a.test/docs/x",
                Some("k=v"),
            ),
            (
                "http://a.test/",
                "k=v; Path=/docs",
                "http://a.test/docsx",
                None,
            ),
            ("http://a.test/", "k=v; Path=/docs", "http://a.test/", None),
            (
                "http://a.test/",
                "k=v; Path=/docs/",
                "http://a.test/docs/a",
                Some("k=v"),
            ),
            // Default path: the directory of the setting URL.
            (
                "http://a.test/d/e/f",
                "k=v",
                "http://a.test/d/e/g",
                Some("k=v"),
            ),
            ("http://a.test/d/e/f", "k=v", "http://a.test/d/x", None),
            (
                "http://a.test/d/e/f",
                "k=v; Path=rel",
                "http://a.test/d/e",
                Some("k=v"),
            ),
            // IP hosts match exactly only.
            (
                "http://127.0.0.1:1/",
                "k=v",
                "http://127.0.0.1:2/",
                Some("k=v"),
            ),
            (
                "http://127.0.0.1/",
                "k=v; Domain=0.0.1",
                "http://127.0.0.1/",
                None,
            ),
            // Cookies ignore ports and the scheme (but for Secure).
            ("http://a.test:1/", "k=v", "https://a.test:2/", Some("k=v")),
            // Garbage is ignored.
            ("http://a.test/", "novalue", "http://a.test/", None),
            ("http://a.test/", "=v", "http://a.test/", None),
            ("http://a.test/", "", "http://a.test/", None),
        ];
        for (from, set, to, want) in table {
            let jar = CookieJar::new();
            jar.store_set_cookie(&url(from), set, at(T0));
            assert_eq!(
                header(&jar, to, T0).as_deref(),
                *want,
                "{from} {set:?} -> {to}"
            );
        }
    }

    #[test]
    fn expiry_max_age_wins_over_expires() {
        let jar = CookieJar::new();
        let u = url("http://a.test/");
        // Expires far in the past, Max-Age 10: lives 10 s.
        jar.store_set_cookie(
            &u,
            "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=10",
            at(T0),
        );
        // Expires in the future without Max-Age.
        jar.store_set_cookie(&u, "b=2; Expires=Wed, 01 Jan 2031 00:00:00 GMT", at(T0));
        // Expires in the past: not stored.
        jar.store_set_cookie(&u, "c=3; Expires=Wed, 21 Oct 2015 07:28:00 GMT", at(T0));
        assert_eq!(
            header(&jar, "http://a.test/", T0).as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(
            header(&jar, "http://a.test/", T0 + 10).as_deref(),
            Some("b=2")
        );
        // Max-Age=0 deletes an existing cookie.
        jar.store_set_cookie(&u, "d=4", at(T0));
        assert_eq!(
            header(&jar, "http://a.test/", T0).as_deref(),
            Some("b=2; d=4")
        );
        assert!(jar.store_set_cookie(&u, "d=x; Max-Age=0", at(T0)));
        assert_eq!(header(&jar, "http://a.test/", T0).as_deref(), Some("b=2"));
        // Past b's Expires (2031): nothing is left.
        assert_eq!(
            header(&jar, "http://a.test/", 1_924_992_000).as_deref(),
            None
        );
        assert!(jar.is_empty());
    }

    #[test]
    fn replacing_keeps_creation_order_and_header_order() {
        let jar = CookieJar::new();
        let u = url("http://a.test/p/q");
        jar.store_set_cookie(&u, "first=1; Path=/", at(T0));
        jar.store_set_cookie(&u, "deep=2; Path=/p", at(T0));
        jar.store_set_cookie(&u, "second=3; Path=/", at(T0));
        jar.store_set_cookie(&u, "first=new; Path=/", at(T0));
        assert_eq!(
            header(&jar, "http://a.test/p/q", T0).as_deref(),
            Some("deep=2; first=new; second=3")
        );
        // Same name on another path is another cookie.
        jar.store_set_cookie(&u, "first=p; Path=/p", at(T0));
        assert_eq!(jar.len(), 4);
    }

    #[test]
    fn limits_evict_the_oldest() {
        let jar = CookieJar::new();
        let u = url("http://a.test/");
        for i in 0..(MAX_COOKIES_PER_DOMAIN + 5) {
            jar.store_set_cookie(&u, &format!("c{i}=1"), at(T0));
        }
        assert_eq!(jar.len(), MAX_COOKIES_PER_DOMAIN);
        assert!(!jar.cookies().iter().any(|c| c.name == "c0"));
        let big = format!("k={}", "x".repeat(MAX_COOKIE_BYTES));
        assert!(!jar.store_set_cookie(&u, &big, at(T0)));
    }

    #[test]
    fn transcripts_keep_the_wall_time_and_the_jar_at_the_start() {
        let jar = CookieJar::new();
        jar.store_set_cookie(
            &url("https://a.test/p/x"),
            "s=1; Secure; Max-Age=60",
            at(T0),
        );
        jar.store_set_cookie(&url("http://b.test/"), "h=2; Domain=b.test", at(T0));
        let request = crate::Request::builder("https://a.test/p/y")
            .cookie_jar(jar.clone())
            .wall_time(at(T0 + 1))
            .build()
            .unwrap();
        let ex = crate::Exchange::recording(request, std::time::Instant::now());
        // A cookie stored after the start is not in the transcript.
        jar.store_set_cookie(&url("http://a.test/"), "late=3", at(T0));
        let text = ex.transcript().unwrap().to_json_lines();
        let back = crate::Transcript::parse(&text).unwrap();
        let req = &back.request;
        assert_eq!(req.wall_time(), Some(at(T0 + 1)));
        let replayed = req.cookie_jar().unwrap();
        assert_ne!(replayed, &jar);
        let mut want = jar.cookies();
        want.retain(|c| c.name != "late");
        assert_eq!(replayed.cookies(), want);
        assert_eq!(
            replayed
                .cookie_header(&url("https://a.test/p/y"), at(T0 + 1))
                .unwrap(),
            "s=1"
        );
    }

    #[test]
    fn bad_input_never_panics() {
        let jar = CookieJar::new();
        for s in [
            "k=v; Max-Age=-99999999999999999999",
            "k=v; Max-Age=99999999999999999999",
            "k=v; Expires=garbage",
            "k=v; Domain=",
            "k=v; Domain=.",
            "k=v; Path=",
            "k=\u{7f}v",
            ";;;",
            "k=v; Domain=\u{e9}.test",
        ] {
            jar.store_set_cookie(&url("http://a.test/"), s, at(T0));
            let _ = jar.cookie_header(&url("http://a.test/"), at(T0));
        }
        let _ = jar.cookie_header(&url("http://a.test/"), UNIX_EPOCH - Duration::from_secs(5));
    }
}
