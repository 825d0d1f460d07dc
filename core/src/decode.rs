//! JSON decoding of collected bodies: which content types count as JSON, and
//! turning invalid JSON into a failure that keeps the raw bytes.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::HeaderMap;

use crate::error::Error;

/// Whether the `Content-Type` is `application/json` or `<type>/<subtype>+json`
/// (parameters such as `charset` are ignored).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return false;
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let json_suffix = subtype.len() >= 5
        && subtype.is_char_boundary(subtype.len() - 5)
        && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json");
    !kind.is_empty() && (essence.eq_ignore_ascii_case("application/json") || json_suffix)
}

/// Parses `body` as JSON.
pub(crate) fn decode_json(body: &Bytes) -> Result<serde_json::Value, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Json {
        message: e.to_string(),
        raw: body.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ct(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn json_media_types() {
        assert!(is_json(&ct("application/json")));
        assert!(is_json(&ct("Application/JSON; charset=utf-8")));
        assert!(is_json(&ct("application/problem+json")));
        assert!(is_json(&ct("application/vnd.api+json;v=2")));
        assert!(!is_json(&ct("text/plain")));
        assert!(!is_json(&ct("application/jsonp")));
        assert!(!is_json(&ct("+json")));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn invalid_json_keeps_raw_bytes() {
        let raw = Bytes::from_static(b"{\"a\":");
        match decode_json(&raw).unwrap_err() {
            Error::Json { raw: kept, message } => {
                assert_eq!(kept, raw);
                assert!(message.contains("EOF"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
