//! Redirects (RFC 9110 section 15.4): which responses are followed, where to,
//! with which method and body, and which credentials are dropped on the way.

use http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION, PROXY_AUTHORIZATION,
};
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::error::Error;

/// Whether `status` is a redirect the core follows.
pub(crate) fn is_redirect_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The next hop of a redirect chain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NextHop {
    pub url: Url,
    pub method: Method,
    /// Whether the request body is sent again (307/308).
    pub keep_body: bool,
    /// Whether the origin changed (credentials were dropped).
    pub cross_origin: bool,
}

/// Works out where a redirect goes. `None` when the response carries no
/// `Location` (it is then returned as the final response).
pub(crate) fn next_hop(
    status: StatusCode,
    headers: &HeaderMap,
    current: &Url,
    method: &Method,
    allow_https_to_http: bool,
) -> Result<Option<NextHop>, Error> {
    let Some(location) = headers.get(LOCATION) else {
        return Ok(None);
    };
    let location = String::from_utf8_lossy(location.as_bytes())
        .trim()
        .to_string();
    if location.is_empty() {
        return Ok(None);
    }
    let mut url = current
        .join(&location)
        .map_err(|e| Error::RedirectRefused {
            reason: format!("Location {location:?} is not a valid URL: {e}"),
        })?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(Error::RedirectRefused {
                reason: format!(
                    "Location {location:?} uses scheme '{other}'; only http and https are followed"
                ),
            })
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::RedirectRefused {
            reason: format!("Location {location:?} has no host"),
        });
    }
    if current.scheme() == "https" && url.scheme() == "http" && !allow_https_to_http {
        return Err(Error::RedirectRefused {
            reason: format!("{current} redirects from https to plain http ({url}); allow it explicitly to follow"),
        });
    }
    // Credentials in a Location are never used: they would be sent in clear
    // to wherever a server chose to point us.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    let code = status.as_u16();
    let (method, keep_body) = match code {
        303 if *method != Method::HEAD => (Method::GET, false),
        301 | 302 if *method == Method::POST => (Method::GET, false),
        307 | 308 => (method.clone(), true),
        _ => (
            method.clone(),
            *method != Method::GET && *method != Method::HEAD,
        ),
    };
    let cross_origin = url.origin() != current.origin();
    Ok(Some(NextHop {
        url,
        method,
        keep_body,
        cross_origin,
    }))
}

/// Adjusts the request headers for the next hop.
pub(crate) fn headers_for_hop(headers: &mut HeaderMap, hop: &NextHop) {
    if hop.cross_origin {
        headers.remove(AUTHORIZATION);
        headers.remove(COOKIE);
        headers.remove(PROXY_AUTHORIZATION);
    }
    if !hop.keep_body {
        headers.remove(CONTENT_TYPE);
        headers.remove(CONTENT_LENGTH);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn hop(
        status: u16,
        location: &str,
        from: &str,
        method: Method,
    ) -> Result<Option<NextHop>, Error> {
        let mut h = HeaderMap::new();
        h.insert(LOCATION, HeaderValue::from_str(location).unwrap());
        next_hop(
            StatusCode::from_u16(status).unwrap(),
            &h,
            &Url::parse(from).unwrap(),
            &method,
            false,
        )
    }

    #[test]
    fn relative_locations_resolve_against_current_url() {
        let h = hop(302, "../b?x=1#f", "http://a.test/dir/sub/page", Method::GET)
            .unwrap()
            .unwrap();
        assert_eq!(h.url.as_str(), "http://a.test/dir/b?x=1");
        assert!(!h.cross_origin);
        let h = hop(301, "//b.test/p", "https://a.test/", Method::GET)
            .unwrap()
            .unwrap();
        assert_eq!(h.url.as_str(), "https://b.test/p");
        assert!(h.cross_origin);
    }

    #[test]
    fn method_rewriting() {
        let m = |s, m: Method| hop(s, "/x", "http://a/", m).unwrap().unwrap();
        assert_eq!(m(303, Method::POST).method, Method::GET);
        assert_eq!(m(303, Method::PUT).method, Method::GET);
        assert_eq!(m(303, Method::HEAD).method, Method::HEAD);
        assert_eq!(m(302, Method::POST).method, Method::GET);
        assert_eq!(m(301, Method::POST).method, Method::GET);
        assert!(!m(301, Method::POST).keep_body);
        assert_eq!(m(307, Method::POST).method, Method::POST);
        assert!(m(307, Method::POST).keep_body);
        assert_eq!(m(308, Method::PUT).method, Method::PUT);
        assert_eq!(m(302, Method::PUT).method, Method::PUT);
    }

    #[test]
    fn refuses_other_schemes_and_downgrades() {
        let e = hop(302, "ftp://a/x", "http://a/", Method::GET).unwrap_err();
        assert!(e.to_string().contains("scheme 'ftp'"), "{e}");
        let e = hop(302, "javascript:alert(1)", "http://a/", Method::GET).unwrap_err();
        assert!(matches!(e, Error::RedirectRefused { .. }));
        let e = hop(302, "http://a/x", "https://a/", Method::GET).unwrap_err();
        assert!(e.to_string().contains("https to plain http"), "{e}");
    }

    #[test]
    fn credentials_dropped_across_origins_only() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic x"));
        headers.insert(COOKIE, HeaderValue::from_static("a=b"));
        let same = hop(302, "/y", "http://a/", Method::GET).unwrap().unwrap();
        let mut h1 = headers.clone();
        headers_for_hop(&mut h1, &same);
        assert!(h1.contains_key(AUTHORIZATION) && h1.contains_key(COOKIE));
        let other = hop(302, "http://a:8080/y", "http://a/", Method::GET)
            .unwrap()
            .unwrap();
        let mut h2 = headers.clone();
        headers_for_hop(&mut h2, &other);
        assert!(!h2.contains_key(AUTHORIZATION) && !h2.contains_key(COOKIE));
    }

    #[test]
    fn user_info_in_location_is_stripped() {
        let h = hop(302, "http://evil:pw@b/x", "http://a/", Method::GET)
            .unwrap()
            .unwrap();
        assert_eq!(h.url.as_str(), "http://b/x");
    }

    #[test]
    fn missing_location_is_not_followed() {
        let none = next_hop(
            StatusCode::FOUND,
            &HeaderMap::new(),
            &Url::parse("http://a/").unwrap(),
            &Method::GET,
            false,
        );
        assert_eq!(none.unwrap(), None);
    }
}
