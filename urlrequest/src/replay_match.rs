//! Which recorded request answers a replayed one ([`MatchRules`]): the
//! same method, URL (after rebasing), body and named headers; and, when
//! none does, the message that shows the request and the nearest recorded
//! ones with what differs.

use std::fmt::{self, Write as _};

use urlrequest_core::http::HeaderName;
use urlrequest_core::{Request, Transcript};

use crate::replay_rebase::{live_url, Rebase};

/// How many near misses a mismatch message lists.
const NEAREST: usize = 3;

/// What makes a recorded request the one a replayed request gets.
#[derive(Debug, Clone, Default)]
pub(crate) struct MatchRules {
    /// Headers whose values must be the same (every value, in order).
    pub(crate) headers: Vec<HeaderName>,
    /// Recorded addresses that answer for live ones.
    pub(crate) rebases: Vec<Rebase>,
}

/// One way a recorded request is not the one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Difference {
    Method,
    /// Scheme, host or port (after rebasing).
    Origin,
    Path,
    Query,
    Body {
        recorded: BodyDesc,
    },
    Header(HeaderName),
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Method => f.write_str("method differs"),
            Difference::Origin => f.write_str("scheme, host or port differs"),
            Difference::Path => f.write_str("path differs"),
            Difference::Query => f.write_str("query differs"),
            Difference::Body { recorded } => write!(f, "body differs (recorded {recorded})"),
            Difference::Header(name) => write!(f, "header {name} differs"),
        }
    }
}

/// A request body as the matching sees it: in-memory bytes by length and
/// hash; a streamed body by its declared length (its bytes are not known
/// before it is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
enum BodyDesc {
    Bytes { len: usize, hash: u64 },
    Stream { length: Option<u64> },
}

impl BodyDesc {
    fn of(request: &Request) -> BodyDesc {
        if let Some(stream) = request.body_stream() {
            return BodyDesc::Stream {
                length: stream.length,
            };
        }
        let body = request.body().map_or(&[][..], |b| b.as_ref());
        BodyDesc::Bytes {
            len: body.len(),
            hash: fnv1a(body),
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, BodyDesc::Bytes { len: 0, .. })
    }
}

impl fmt::Display for BodyDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyDesc::Bytes { len: 0, .. } => f.write_str("no body"),
            BodyDesc::Bytes { len, hash } => write!(f, "{len} bytes, hash {hash:016x}"),
            BodyDesc::Stream { length: Some(n) } => write!(f, "a streamed body of {n} bytes"),
            BodyDesc::Stream { length: None } => f.write_str("a streamed body"),
        }
    }
}

/// FNV-1a, 64 bits: a stable short name for a body in messages.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl MatchRules {
    /// How `recorded` differs from `wanted`; empty when it answers it.
    fn differences(&self, wanted: &Request, recorded: &Request) -> Vec<Difference> {
        let mut out = Vec::new();
        if wanted.method() != recorded.method() {
            out.push(Difference::Method);
        }
        let (w, r) = (wanted.url(), live_url(&self.rebases, recorded.url()));
        if (w.scheme(), w.host(), w.port_or_known_default())
            != (r.scheme(), r.host(), r.port_or_known_default())
        {
            out.push(Difference::Origin);
        }
        if w.path() != r.path() {
            out.push(Difference::Path);
        }
        if w.query() != r.query() {
            out.push(Difference::Query);
        }
        let (wb, rb) = (BodyDesc::of(wanted), BodyDesc::of(recorded));
        if wb != rb {
            out.push(Difference::Body { recorded: rb });
        }
        for name in &self.headers {
            let values = |req: &Request| -> Vec<Vec<u8>> {
                req.headers()
                    .get_all(name)
                    .iter()
                    .map(|v| v.as_bytes().to_vec())
                    .collect()
            };
            if values(wanted) != values(recorded) {
                out.push(Difference::Header(name.clone()));
            }
        }
        out
    }

    /// The index of the first of `recorded` that answers `wanted`, else the
    /// message naming the request and the nearest ones.
    pub(crate) fn find<'a>(
        &self,
        wanted: &Request,
        recorded: impl Iterator<Item = &'a Transcript>,
    ) -> Result<usize, String> {
        let mut misses = Vec::new();
        for (i, t) in recorded.enumerate() {
            let differences = self.differences(wanted, &t.request);
            if differences.is_empty() {
                return Ok(i);
            }
            misses.push((rank(&differences), i, &t.request, differences));
        }
        Err(self.miss_message(wanted, misses))
    }

    fn miss_message(
        &self,
        wanted: &Request,
        mut misses: Vec<(u8, usize, &Request, Vec<Difference>)>,
    ) -> String {
        let mut out = format!("replay: {}", describe(wanted));
        if misses.is_empty() {
            out.push_str(" has no answer: the recording holds no more requests");
            return out;
        }
        out.push_str(" matches no unused recorded request; nearest:");
        misses.sort_by_key(|(rank, i, _, d)| (*rank, d.len(), *i));
        for (n, (_, _, request, differences)) in misses.iter().take(NEAREST).enumerate() {
            let why: Vec<String> = differences.iter().map(ToString::to_string).collect();
            let _ = write!(
                out,
                " [{}] {} {}: {};",
                n + 1,
                request.method(),
                request.url(),
                why.join(", ")
            );
        }
        out.pop(); // the last ';'
        if misses.len() > NEAREST {
            let _ = write!(out, " (and {} more unused)", misses.len() - NEAREST);
        }
        out
    }
}

/// Nearest first: same method and path, then same path, then same method.
fn rank(differences: &[Difference]) -> u8 {
    let method = differences.contains(&Difference::Method);
    let path = differences.contains(&Difference::Path);
    match (path, method) {
        (false, false) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (true, true) => 3,
    }
}

/// `POST http://h/items (14 bytes, hash ...)`: the method, URL and, when
/// there is one, the body.
fn describe(request: &Request) -> String {
    let body = BodyDesc::of(request);
    if body.is_empty() {
        format!("{} {}", request.method(), request.url())
    } else {
        format!("{} {} ({body})", request.method(), request.url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use urlrequest_core::Exchange;

    fn recorded(request: Request) -> Transcript {
        Exchange::recording(request, Instant::now())
            .transcript()
            .expect("a recording exchange has a transcript")
    }

    fn post(url: &str, body: &str) -> Request {
        Request::builder(url)
            .method("POST")
            .body(body.to_string())
            .build()
            .unwrap()
    }

    #[test]
    fn the_same_method_url_and_body_match() {
        let rules = MatchRules::default();
        let all = [
            recorded(post("http://h/a", "one")),
            recorded(post("http://h/a", "two")),
        ];
        assert_eq!(rules.find(&post("http://h/a", "two"), all.iter()), Ok(1));
        assert_eq!(rules.find(&post("http://h/a", "one"), all.iter()), Ok(0));
    }

    #[test]
    fn an_absent_body_and_an_empty_one_are_the_same() {
        let rules = MatchRules::default();
        let get = Request::get("http://h/a").unwrap();
        let empty = Request::builder("http://h/a")
            .method("GET")
            .body("")
            .build()
            .unwrap();
        assert_eq!(rules.find(&get, [recorded(empty)].iter()), Ok(0));
    }

    #[test]
    fn the_nearest_come_first_and_say_what_differs() {
        let rules = MatchRules::default();
        let all = [
            recorded(Request::get("http://h/other").unwrap()),
            recorded(Request::get("http://h/items?page=2").unwrap()),
            recorded(post("http://h/items", "{\"n\":1}")),
            recorded(Request::get("http://h/x").unwrap()),
            recorded(Request::get("http://elsewhere/items").unwrap()),
        ];
        let e = rules
            .find(&post("http://h/items", "{\"n\":2}"), all.iter())
            .unwrap_err();
        let body1 = format!("7 bytes, hash {:016x}", fnv1a(b"{\"n\":1}"));
        let body2 = format!("7 bytes, hash {:016x}", fnv1a(b"{\"n\":2}"));
        assert_eq!(
            e,
            format!(
                "replay: POST http://h/items ({body2}) matches no unused recorded request; \
                 nearest: [1] POST http://h/items: body differs (recorded {body1}); \
                 [2] GET http://h/items?page=2: method differs, query differs, \
                 body differs (recorded no body); \
                 [3] GET http://elsewhere/items: method differs, scheme, host or port differs, \
                 body differs (recorded no body) (and 2 more unused)"
            )
        );
    }

    #[test]
    fn a_streamed_body_matches_by_its_declared_length() {
        let streamed = |length| {
            Request::builder("http://h/up")
                .method("PUT")
                .body_stream(urlrequest_core::BodyStream {
                    length,
                    replayable: false,
                })
                .build()
                .unwrap()
        };
        let rules = MatchRules::default();
        let all = [recorded(streamed(Some(5)))];
        assert_eq!(rules.find(&streamed(Some(5)), all.iter()), Ok(0));
        let e = rules.find(&streamed(Some(6)), all.iter()).unwrap_err();
        assert!(
            e.ends_with("[1] PUT http://h/up: body differs (recorded a streamed body of 5 bytes)"),
            "{e}"
        );
        let e = rules.find(&streamed(None), all.iter()).unwrap_err();
        assert!(
            e.starts_with("replay: PUT http://h/up (a streamed body) matches"),
            "{e}"
        );
    }

    #[test]
    fn nothing_left_says_so() {
        let e = MatchRules::default()
            .find(&Request::get("http://h/a").unwrap(), [].iter())
            .unwrap_err();
        assert_eq!(
            e,
            "replay: GET http://h/a has no answer: the recording holds no more requests"
        );
    }
}
