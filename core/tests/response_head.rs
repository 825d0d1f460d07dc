//! `Exchange::response_head` stays available after the exchange finished,
//! so a driver that only looks after the whole response arrived in one read
//! still sees the head.

use std::time::Instant;

use urlrequest_core::{Action, Exchange, Request};

#[test]
fn response_head_survives_the_end_of_the_exchange() {
    let now = Instant::now();
    let mut ex = Exchange::new(Request::get("http://a.test/").unwrap(), now);
    assert!(matches!(ex.poll_action(), Some(Action::Connect(_))));
    ex.handle_connected(now, false);
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    assert!(ex.response_head().is_none());
    ex.handle_data(
        now,
        b"HTTP/1.1 404 Not Found\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: 2\r\n\r\nno",
    );
    while ex.poll_action().is_some() {}
    assert!(ex.is_finished());
    let (status, headers) = ex.response_head().expect("head kept after finishing");
    assert_eq!(status, 404);
    assert_eq!(headers.get_all("x-a").iter().count(), 2);
}
