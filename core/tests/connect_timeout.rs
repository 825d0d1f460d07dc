//! `connect_timeout`: a deadline on getting each new connection ready (TCP,
//! proxy tunnel, TLS), named by phase, that stops counting once the request
//! can be written.

use std::time::{Duration, Instant};

use urlrequest_core::{trace_line, Action, Exchange, Proxy, Request};

const MS: Duration = Duration::from_millis(1);

fn events(ex: &mut Exchange) -> Vec<String> {
    std::iter::from_fn(|| ex.poll_event())
        .map(|e| trace_line(&e))
        .collect()
}

fn request(url: &str) -> urlrequest_core::RequestBuilder {
    Request::builder(url).connect_timeout(500 * MS)
}

#[test]
fn a_connect_that_never_completes_fails_at_the_deadline() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(request("http://a.test/").build().unwrap(), t0);
    assert!(matches!(ex.poll_action(), Some(Action::Connect(_))));
    assert_eq!(ex.poll_timeout(), Some(t0 + 500 * MS));
    ex.handle_timeout(t0 + 499 * MS);
    assert!(!ex.is_finished(), "not yet");
    ex.handle_timeout(t0 + 500 * MS);
    assert_eq!(
        events(&mut ex),
        ["failure timeout: timed out after 500ms while connecting"]
    );
}

#[test]
fn a_tls_handshake_that_never_completes_is_named() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(request("https://a.test/").build().unwrap(), t0);
    ex.poll_action();
    ex.handle_connected(t0 + 200 * MS, false);
    assert!(matches!(ex.poll_action(), Some(Action::StartTls { .. })));
    // The deadline runs from when the connection was asked for.
    assert_eq!(ex.poll_timeout(), Some(t0 + 500 * MS));
    ex.handle_timeout(t0 + 500 * MS);
    assert_eq!(
        events(&mut ex),
        ["failure timeout: timed out after 500ms while performing the TLS handshake"]
    );
}

#[test]
fn a_proxy_that_never_answers_connect_is_named() {
    let t0 = Instant::now();
    let req = request("https://a.test/")
        .proxy(Proxy::new("proxy.test", 3128).unwrap())
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, t0);
    ex.poll_action();
    ex.handle_connected(t0, false);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    let n = ex.transmit().len();
    ex.handle_written(t0 + MS, n);
    ex.handle_timeout(t0 + 500 * MS);
    assert_eq!(
        events(&mut ex),
        [
            "failure timeout: proxy proxy.test:3128 (from the proxy setting): \
          timed out after 500ms while setting up the proxy tunnel"
        ]
    );
}

#[test]
fn once_the_request_can_be_written_the_deadline_is_gone() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(request("https://a.test/").build().unwrap(), t0);
    ex.poll_action();
    ex.handle_connected(t0 + 100 * MS, false);
    ex.poll_action();
    ex.handle_tls_ready(t0 + 400 * MS);
    assert_eq!(ex.poll_timeout(), None, "no other timeout is set");
    assert_eq!(ex.poll_action(), Some(Action::Write));
    let n = ex.transmit().len();
    ex.handle_written(t0 + 401 * MS, n);
    // A slow server is not a slow connection.
    ex.handle_timeout(t0 + 10_000 * MS);
    ex.handle_data(
        t0 + 10_000 * MS,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    let trace = events(&mut ex);
    assert!(trace.last().unwrap().starts_with("done 200"), "{trace:?}");
}

#[test]
fn each_new_connection_gets_its_own_deadline() {
    let t0 = Instant::now();
    let mut ex = Exchange::new(request("http://a.test/").build().unwrap(), t0);
    ex.poll_action();
    ex.handle_connected(t0 + 400 * MS, false);
    ex.poll_action();
    let n = ex.transmit().len();
    ex.handle_written(t0 + 400 * MS, n);
    let t1 = t0 + 2000 * MS;
    ex.handle_data(
        t1,
        b"HTTP/1.1 302 Found\r\nLocation: http://b.test/\r\nContent-Length: 0\r\n\r\n",
    );
    // The redirect needs a new connection (another origin): 500 ms from now.
    let mut connect = None;
    while let Some(a) = ex.poll_action() {
        if let Action::Connect(t) = a {
            connect = Some(t);
            break;
        }
    }
    assert_eq!(connect.expect("a new connection").host, "b.test");
    assert_eq!(ex.poll_timeout(), Some(t1 + 500 * MS));
    ex.handle_timeout(t1 + 500 * MS);
    let trace = events(&mut ex);
    assert_eq!(
        trace.last().unwrap(),
        "failure timeout: timed out after 500ms while connecting"
    );
    assert!(ex.poll_event().is_none(), "nothing follows the failure");
}
