//! A failure with the proxy itself (its name does not resolve, it cannot be
//! connected to in time, it refuses `CONNECT`) names the proxy and where it
//! came from, whatever reported it; a failure past the proxy reads as it
//! would without one. Driven through the exchange alone, as a runtime
//! would drive it.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use urlrequest_core::{
    Action, EnvProxies, Error, Event, Exchange, Proxy, ProxySource, Request, Transcript,
    TransportError,
};

fn refused() -> io::Error {
    io::Error::from(io::ErrorKind::ConnectionRefused)
}

/// The failure the exchange ends with.
fn failure(ex: &mut Exchange) -> Error {
    let mut last = None;
    while let Some(e) = ex.poll_event() {
        last = Some(e);
    }
    match last {
        Some(Event::Failure(e)) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Opens the connection and lets the proxy answer `CONNECT` with `reply`.
fn connect_answered(ex: &mut Exchange, now: Instant, reply: &[u8]) {
    assert!(matches!(ex.poll_action(), Some(Action::Connect(_))));
    ex.handle_connected(now, false);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    let n = ex.transmit().len();
    assert!(ex.transmit().starts_with(b"CONNECT "));
    ex.handle_written(now, n);
    ex.handle_data(now, reply);
}

#[test]
fn a_refused_proxy_from_the_environment_names_the_variable() {
    let env = EnvProxies::from_vars([("http_proxy", "http://127.0.0.1:9")]).unwrap();
    let mut req = Request::get("http://a.test/").unwrap();
    env.apply(&mut req);
    let now = Instant::now();
    let mut ex = Exchange::new(req, now);
    let Some(Action::Connect(target)) = ex.poll_action() else {
        panic!("a connection first")
    };
    assert_eq!((target.host.as_str(), target.port), ("127.0.0.1", 9));
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    ex.handle_transport_error(
        now,
        TransportError::unreachable("127.0.0.1", 9, &[(addr, refused())]),
    );
    let e = failure(&mut ex);
    assert_eq!(e.kind_name(), "connect");
    assert_eq!(
        e.to_string(),
        format!(
            "could not connect to proxy 127.0.0.1:9 (from environment variable http_proxy): {}",
            refused()
        )
    );
    assert_eq!(
        e.cause(),
        &Error::Transport(TransportError::unreachable(
            "127.0.0.1",
            9,
            &[(addr, refused())]
        ))
    );
}

#[test]
fn an_unresolvable_proxy_setting_is_named() {
    let req = Request::builder("http://a.test/")
        .proxy(Proxy::new("proxy.invalid", 3128).unwrap())
        .build()
        .unwrap();
    let now = Instant::now();
    let mut ex = Exchange::new(req, now);
    ex.poll_action();
    ex.handle_transport_error(now, TransportError::unresolved("proxy.invalid", None));
    let e = failure(&mut ex);
    assert_eq!(e.kind_name(), "dns");
    assert_eq!(
        e.to_string(),
        "could not resolve proxy proxy.invalid:3128 (from the proxy setting): no addresses found"
    );
}

#[test]
fn a_proxy_of_the_kivy_parameters_refusing_connect_is_named() {
    let req = Request::builder("https://a.test/")
        .proxy(
            Proxy::new("127.0.0.1", 3128)
                .unwrap()
                .with_source(ProxySource::KivyParams),
        )
        .build()
        .unwrap();
    let now = Instant::now();
    let mut ex = Exchange::new(req, now);
    connect_answered(
        &mut ex,
        now,
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
    );
    let e = failure(&mut ex);
    assert_eq!(e.kind_name(), "proxy-refused");
    assert_eq!(
        e.to_string(),
        "proxy 127.0.0.1:3128 (from the proxy_host/proxy_port parameters) refused CONNECT \
         with status 407 Proxy Authentication Required"
    );
}

#[test]
fn a_proxy_not_connected_within_the_connect_timeout_is_named() {
    let env = EnvProxies::from_vars([("HTTPS_PROXY", "[::1]:3128")]).unwrap();
    let mut req = Request::builder("https://a.test/")
        .connect_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    env.apply(&mut req);
    let t0 = Instant::now();
    let mut ex = Exchange::new(req, t0);
    ex.poll_action();
    ex.handle_timeout(t0 + Duration::from_millis(300));
    let e = failure(&mut ex);
    assert_eq!(e.kind_name(), "timeout");
    assert_eq!(
        e.to_string(),
        "could not connect to proxy [::1]:3128 (from environment variable HTTPS_PROXY): \
         timed out after 300ms"
    );
}

#[test]
fn a_proxy_closing_before_answering_connect_is_named() {
    let req = Request::builder("https://a.test/")
        .proxy(Proxy::new("proxy.test", 8080).unwrap())
        .build()
        .unwrap();
    let now = Instant::now();
    let mut ex = Exchange::new(req, now);
    connect_answered(&mut ex, now, b"");
    ex.handle_eof(now);
    let e = failure(&mut ex);
    assert_eq!(e.kind_name(), "truncated");
    assert_eq!(
        e.to_string(),
        "proxy proxy.test:8080 (from the proxy setting): \
         proxy closed the connection before answering CONNECT"
    );
}

#[test]
fn failures_past_the_proxy_read_as_without_one() {
    let now = Instant::now();
    // TLS with the server, through the tunnel.
    let req = Request::builder("https://a.test/")
        .proxy(Proxy::new("proxy.test", 8080).unwrap())
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, now);
    connect_answered(&mut ex, now, b"HTTP/1.1 200 Connection established\r\n\r\n");
    assert!(matches!(ex.poll_action(), Some(Action::StartTls { .. })));
    ex.handle_transport_error(now, TransportError::Tls("bad certificate".into()));
    let e = failure(&mut ex);
    assert_eq!(e.to_string(), "TLS failed: bad certificate");
    assert!(!matches!(e, Error::Proxy { .. }));
    // A forwarded plain-http request whose answer is cut short.
    let req = Request::builder("http://a.test/")
        .proxy(Proxy::new("proxy.test", 8080).unwrap())
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, now);
    ex.poll_action();
    ex.handle_connected(now, false);
    assert_eq!(ex.poll_action(), Some(Action::Write));
    let n = ex.transmit().len();
    ex.handle_written(now, n);
    ex.handle_data(now, b"HTTP/1.1 200 OK\r\nContent-Le");
    ex.handle_eof(now);
    let e = failure(&mut ex);
    assert_eq!(e.kind_name(), "truncated");
    assert!(!matches!(e, Error::Proxy { .. }), "{e}");
    // And a cancel while connecting to the proxy is only a cancel.
    let req = Request::builder("http://a.test/")
        .proxy(Proxy::new("proxy.test", 8080).unwrap())
        .build()
        .unwrap();
    let mut ex = Exchange::new(req, now);
    ex.poll_action();
    ex.cancel();
    assert_eq!(failure(&mut ex), Error::Cancelled);
}

#[test]
fn a_direct_failure_is_unchanged() {
    let now = Instant::now();
    let mut ex = Exchange::new(Request::get("http://127.0.0.1:9/").unwrap(), now);
    ex.poll_action();
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    ex.handle_transport_error(
        now,
        TransportError::unreachable("127.0.0.1", 9, &[(addr, refused())]),
    );
    assert_eq!(
        failure(&mut ex).to_string(),
        format!("could not connect: 127.0.0.1:9: {}", refused())
    );
}

#[test]
fn a_replay_names_the_same_proxy_and_source() {
    let env = EnvProxies::from_vars([("ALL_PROXY", "http://u:p@127.0.0.1:9")]).unwrap();
    let mut req = Request::get("http://a.test/").unwrap();
    env.apply(&mut req);
    let now = Instant::now();
    let mut ex = Exchange::recording(req, now);
    ex.poll_action();
    ex.handle_transport_error(now, TransportError::Connect("127.0.0.1:9: refused".into()));
    let live = failure(&mut ex);
    let text = ex.transcript().unwrap().to_json_lines();
    assert!(text.contains(r#""source":{"env":"ALL_PROXY"}"#), "{text}");
    let replayed = Transcript::parse(&text).unwrap().replay(Instant::now());
    match replayed.last() {
        Some(Event::Failure(e)) => assert_eq!(e, &live),
        other => panic!("expected the failure again, got {other:?}"),
    }
    assert_eq!(
        live.to_string(),
        "could not connect to proxy 127.0.0.1:9 (from environment variable ALL_PROXY): refused"
    );
}

#[test]
fn a_transcript_without_a_proxy_source_reads_as_a_setting() {
    let req = Request::builder("http://a.test/")
        .proxy(
            Proxy::new("p.test", 1)
                .unwrap()
                .with_source(ProxySource::KivyParams),
        )
        .build()
        .unwrap();
    let ex = Exchange::recording(req, Instant::now());
    let text = ex.transcript().unwrap().to_json_lines();
    let kivy = r#","source":"kivy_params""#;
    assert!(text.contains(kivy), "{text}");
    let back = Transcript::parse(&text).unwrap();
    assert_eq!(
        back.request.proxy().unwrap().source(),
        &ProxySource::KivyParams
    );
    let old = Transcript::parse(&text.replacen(kivy, "", 1)).unwrap();
    assert_eq!(old.request.proxy().unwrap().source(), &ProxySource::Setting);
    let bad = Transcript::parse(&text.replacen(kivy, r#","source":"gossip""#, 1));
    let bad = bad.unwrap_err().to_string();
    assert!(bad.contains("request.proxy.source"), "{bad}");
}
