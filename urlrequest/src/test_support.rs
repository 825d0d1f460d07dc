//! Helpers for this crate's unit tests.

use std::time::Instant;

use urlrequest_core::{Event, Exchange, Request, Response};

/// The response the core makes of `wire`, a server's answer to a GET of
/// `url`.
pub(crate) fn answered(url: &str, wire: &[u8]) -> Response {
    let now = Instant::now();
    let mut ex = Exchange::new(Request::get(url).unwrap(), now);
    while ex.poll_action().is_some() {}
    ex.handle_connected(now, false);
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    ex.handle_data(now, wire);
    ex.handle_eof(now);
    std::iter::from_fn(|| ex.poll_event())
        .find_map(|e| match e {
            Event::Done(r) => Some(r),
            _ => None,
        })
        .expect("a response")
}
