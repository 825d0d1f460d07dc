//! [`Rebase`]: one address a recording was made at and the address it
//! answers for in a replay, so a recording made against a test server on
//! a random port answers the same paths on another host or port
//! ([`Recording::rebase`](crate::Recording::rebase)).

use urlrequest_core::{BuildError, Event, Url};

/// Recorded `scheme://host:port/prefix` answers for `live`'s: the rest of
/// the path and the query are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rebase {
    recorded: Url,
    live: Url,
}

impl Rebase {
    /// Both are base URLs: scheme, host, port and an optional path prefix
    /// (a query or fragment in them is ignored).
    pub(crate) fn new(recorded: &str, live: &str) -> Result<Rebase, BuildError> {
        Ok(Rebase {
            recorded: base_url(recorded)?,
            live: base_url(live)?,
        })
    }

    /// The live URL a recorded one answers for, when it is under the
    /// recorded base.
    pub(crate) fn to_live(&self, recorded: &Url) -> Option<Url> {
        move_url(recorded, &self.recorded, &self.live)
    }
}

/// Recorded URLs as a replay shows them: under the first base that applies
/// moved to its live one, else as recorded.
pub(crate) fn live_url(rebases: &[Rebase], recorded: &Url) -> Url {
    rebases
        .iter()
        .find_map(|r| r.to_live(recorded))
        .unwrap_or_else(|| recorded.clone())
}

/// Moves the URLs an event carries (a redirect's, the response's) from
/// the recorded address to the live one, so a replay reports the address
/// asked for. A `Failure` keeps its message as recorded.
pub(crate) fn rebase_event(rebases: &[Rebase], event: &mut Event) {
    if rebases.is_empty() {
        return;
    }
    match event {
        Event::Redirect { from, to, .. } => {
            *from = live_url(rebases, from);
            *to = live_url(rebases, to);
        }
        Event::Done(response) => {
            let url = live_url(rebases, response.url());
            response.set_url(url);
        }
        _ => {}
    }
}

fn base_url(text: &str) -> Result<Url, BuildError> {
    let url = Url::parse(text).map_err(|e| BuildError::InvalidUrl {
        url: text.to_string(),
        reason: e.to_string(),
    })?;
    if url.host_str().is_none() {
        return Err(BuildError::MissingHost {
            url: text.to_string(),
        });
    }
    Ok(url)
}

/// `url` with `from`'s scheme, host, port and path prefix replaced by
/// `to`'s; `None` when `url` is not under `from`.
fn move_url(url: &Url, from: &Url, to: &Url) -> Option<Url> {
    let same_origin = url.scheme() == from.scheme()
        && url.host() == from.host()
        && url.port_or_known_default() == from.port_or_known_default();
    if !same_origin {
        return None;
    }
    let prefix = from.path().trim_end_matches('/');
    let rest = url.path().strip_prefix(prefix)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None; // "/v10" is not under "/v1"
    }
    let mut moved = to.clone();
    let path = format!("{}{rest}", to.path().trim_end_matches('/'));
    moved.set_path(if path.is_empty() { "/" } else { &path });
    moved.set_query(url.query());
    moved.set_fragment(url.fragment());
    Some(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn paths_and_queries_under_the_recorded_base_move_to_the_live_one() {
        let r = Rebase::new("http://127.0.0.1:40123", "https://api.example.com").unwrap();
        assert_eq!(
            r.to_live(&url("http://127.0.0.1:40123/users/7?x=1"))
                .unwrap()
                .as_str(),
            "https://api.example.com/users/7?x=1"
        );
        assert_eq!(
            r.to_live(&url("http://127.0.0.1:40123/")).unwrap().as_str(),
            "https://api.example.com/"
        );
        // Another port or host is not under the base.
        assert_eq!(r.to_live(&url("http://127.0.0.1:40124/users/7")), None);
        assert_eq!(r.to_live(&url("https://127.0.0.1:40123/users/7")), None);
    }

    #[test]
    fn a_path_prefix_is_replaced_whole_segments_only() {
        let r = Rebase::new("http://h:1/v1/", "http://g:2/api/v2").unwrap();
        assert_eq!(
            r.to_live(&url("http://h:1/v1/items?q")).unwrap().as_str(),
            "http://g:2/api/v2/items?q"
        );
        assert_eq!(
            r.to_live(&url("http://h:1/v1")).unwrap().as_str(),
            "http://g:2/api/v2"
        );
        assert_eq!(r.to_live(&url("http://h:1/v10/items")), None);
        assert_eq!(r.to_live(&url("http://h:1/other")), None);
        // The default port is the same port written out.
        let r = Rebase::new("http://h", "http://g:2").unwrap();
        assert!(r.to_live(&url("http://h:80/x")).is_some());
    }

    #[test]
    fn a_redirect_event_names_the_live_urls_and_other_hosts_stay() {
        let rebases = [Rebase::new("http://127.0.0.1:40123", "https://api.example.com").unwrap()];
        let mut event = Event::Redirect {
            status: urlrequest_core::http::StatusCode::FOUND,
            from: url("http://127.0.0.1:40123/a"),
            to: url("http://cdn.example.net/b"),
            method: urlrequest_core::http::Method::GET,
        };
        rebase_event(&rebases, &mut event);
        match event {
            Event::Redirect { from, to, .. } => {
                assert_eq!(from.as_str(), "https://api.example.com/a");
                assert_eq!(to.as_str(), "http://cdn.example.net/b");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bases_that_are_not_urls_with_a_host_are_refused() {
        let e = Rebase::new("127.0.0.1:40123", "http://g").unwrap_err();
        assert!(
            e.to_string().starts_with("invalid URL '127.0.0.1:40123'"),
            "{e}"
        );
        let e = Rebase::new("http://h", "data:text/plain,x").unwrap_err();
        assert_eq!(e.to_string(), "URL 'data:text/plain,x' has no host");
    }
}
