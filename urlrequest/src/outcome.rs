//! How a finished exchange is presented to Kivy-style callbacks: the one
//! stable type of `result` ([`ResultValue`]) and which callback an outcome
//! goes to ([`Route`]). Pure data shared by every runtime, so that the same
//! handlers see the same values and the same routing whatever does the I/O.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::StatusCode;

use urlrequest_core::{Error, Response, ResponseBody};

/// What a finished request produced, as handed to `on_success`,
/// `on_redirect` and `on_failure`.
///
/// The type depends only on the request's settings, never on the bytes or
/// on whether `on_progress` was set: `File` when the body went to a file,
/// else `Json` when decoding applied (`decode` on and a JSON content type),
/// else `Bytes`. Text is never guessed: decode bytes yourself with the
/// charset you expect.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultValue {
    /// The raw body.
    Bytes(Bytes),
    /// The body parsed as JSON.
    Json(serde_json::Value),
    /// The body was written to this file.
    File(PathBuf),
}

impl ResultValue {
    /// The in-memory result of `response`: its JSON value when decoded,
    /// else its bytes (empty when the body was not collected).
    pub fn from_response(response: &Response) -> ResultValue {
        match response.result() {
            ResponseBody::Json(v) => ResultValue::Json(v.clone()),
            ResponseBody::Bytes(b) => ResultValue::Bytes(b.clone()),
            ResponseBody::NotCollected => ResultValue::Bytes(Bytes::new()),
        }
    }

    /// The raw body, when that is the result.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            ResultValue::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The JSON value, when that is the result.
    pub fn as_json(&self) -> Option<&serde_json::Value> {
        match self {
            ResultValue::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The downloaded file, when that is the result.
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            ResultValue::File(p) => Some(p),
            _ => None,
        }
    }
}

/// The Kivy callback an outcome is routed to; `on_finish` follows each of
/// them exactly once.
///
/// ```
/// use urlrequest::Route;
/// use urlrequest_core::{http::StatusCode, Error};
/// assert_eq!(Route::for_status(StatusCode::NO_CONTENT), Route::Success);
/// assert_eq!(Route::for_status(StatusCode::FOUND), Route::Redirect);
/// assert_eq!(Route::for_status(StatusCode::NOT_FOUND), Route::Failure);
/// assert_eq!(Route::for_error(&Error::Cancelled), Route::Cancel);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `on_success`: a final response with a 1xx or 2xx status.
    Success,
    /// `on_redirect`: a 3xx that was not followed.
    Redirect,
    /// `on_failure`: a 4xx or 5xx (or any other non-standard class).
    Failure,
    /// `on_error`: the exchange did not complete.
    Error,
    /// `on_cancel`: the exchange was cancelled.
    Cancel,
}

impl Route {
    /// Where a completed exchange (`Done`) with this final status goes.
    /// 1xx cannot be final in this core (interim responses are skipped) but
    /// is routed as Kivy does.
    pub fn for_status(status: StatusCode) -> Route {
        match status.as_u16() / 100 {
            1 | 2 => Route::Success,
            3 => Route::Redirect,
            _ => Route::Failure,
        }
    }

    /// Where an exchange that ended with `Failure(error)` goes.
    pub fn for_error(error: &Error) -> Route {
        match error {
            Error::Cancelled => Route::Cancel,
            _ => Route::Error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use urlrequest_core::TransportError;

    #[test]
    fn statuses_route_by_class() {
        let route = |n: u16| Route::for_status(StatusCode::from_u16(n).unwrap());
        for (n, want) in [
            (100, Route::Success),
            (200, Route::Success),
            (299, Route::Success),
            (300, Route::Redirect),
            (304, Route::Redirect),
            (399, Route::Redirect),
            (400, Route::Failure),
            (404, Route::Failure),
            (500, Route::Failure),
            (599, Route::Failure),
            (999, Route::Failure),
        ] {
            assert_eq!(route(n), want, "status {n}");
        }
    }

    #[test]
    fn only_a_cancel_goes_to_on_cancel() {
        assert_eq!(Route::for_error(&Error::Cancelled), Route::Cancel);
        let refused = Error::Transport(TransportError::Connect("refused".into()));
        assert_eq!(Route::for_error(&refused), Route::Error);
    }

    #[test]
    fn result_value_accessors_match_the_variant() {
        let bytes = ResultValue::Bytes(Bytes::from_static(b"x"));
        assert_eq!(bytes.as_bytes().unwrap().as_ref(), b"x");
        assert!(bytes.as_json().is_none() && bytes.as_path().is_none());
        let json = ResultValue::Json(serde_json::json!({"a": 1}));
        assert_eq!(json.as_json().unwrap()["a"], 1);
        assert!(json.as_bytes().is_none());
        let file = ResultValue::File(PathBuf::from("/tmp/x"));
        assert_eq!(file.as_path(), Some(Path::new("/tmp/x")));
    }

    /// The response the core makes of a JSON body, decoded or not, kept
    /// or not.
    fn response(decode: bool, collect: bool) -> Response {
        use urlrequest_core::{Event, Exchange, Request};
        let now = std::time::Instant::now();
        let request = Request::builder("http://example.com/")
            .decode(decode)
            .collect_body(collect)
            .build()
            .unwrap();
        let mut ex = Exchange::new(request, now);
        ex.poll_action();
        ex.handle_connected(now, false);
        let n = ex.transmit().len();
        ex.handle_written(now, n);
        ex.handle_data(
            now,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n[1]",
        );
        std::iter::from_fn(|| ex.poll_event())
            .find_map(|e| match e {
                Event::Done(r) => Some(r),
                _ => None,
            })
            .expect("a response")
    }

    #[test]
    fn a_response_gives_json_else_bytes_else_empty_bytes() {
        let decoded = response(true, true);
        assert_eq!(
            ResultValue::from_response(&decoded),
            ResultValue::Json(serde_json::json!([1]))
        );
        let raw = response(false, true);
        assert_eq!(
            ResultValue::from_response(&raw),
            ResultValue::Bytes(Bytes::from_static(b"[1]"))
        );
        let streamed = response(true, false);
        assert_eq!(
            ResultValue::from_response(&streamed),
            ResultValue::Bytes(Bytes::new())
        );
    }
}
