//! Proxies: HTTPS through an in-process `CONNECT` proxy that requires
//! `Proxy-Authorization` (and refuses with 407 without it), plain http
//! through an absolute-form forwarding proxy, and a dead proxy, whose
//! failure names it and where it came from.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use support::pki::Ca;
use support::{respond, serve, Req};
use urlrequest_conformance::HttpProxy;
use urlrequest_core::{EnvProxies, Request};
use urlrequest_std::{Agent, UrlRequest};

const AUTH: &str = "Basic cHJveHk6c2VjcmV0";

#[test]
fn https_through_connect_proxy_with_authorization() {
    let ca = Ca::new("Test CA proxy");
    let origin = ca.serve(
        &["localhost"],
        false,
        Arc::new(|req: &Req, w: &mut dyn Write| {
            let leaked = req.header("proxy-authorization").is_some();
            respond(
                w,
                "200 OK",
                &[],
                format!("tunnelled leaked={leaked}").as_bytes(),
            )?;
            Ok(true)
        }),
    );
    let proxy = HttpProxy::start(Some(AUTH.into())).unwrap();
    let pem = ca.write_pem("proxy", "");
    let req = UrlRequest::builder(origin.https_url("localhost", "/secret#frag"))
        .proxy_host(proxy.addr().ip().to_string())
        .proxy_port(proxy.addr().port())
        .proxy_headers([("Proxy-Authorization", AUTH)])
        .ca_file(&pem)
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(req.error().map(|e| e.to_string()), None);
    assert_eq!(
        req.result().unwrap().as_bytes().unwrap().as_ref(),
        b"tunnelled leaked=false"
    );
    let connects = proxy.requests();
    assert_eq!(connects.len(), 1);
    assert_eq!(
        connects[0].request_line,
        format!("CONNECT localhost:{} HTTP/1.1", origin.addr.port())
    );
    assert_eq!(connects[0].header("proxy-authorization"), Some(AUTH));
    assert_eq!(origin.requests.lock().unwrap()[0].target, "/secret");
}

#[test]
fn proxy_refusal_407_is_an_error_naming_the_status() {
    let ca = Ca::new("Test CA 407");
    let origin = ca.serve(
        &["localhost"],
        false,
        Arc::new(|_: &Req, w: &mut dyn Write| {
            respond(w, "200 OK", &[], b"unreachable")?;
            Ok(true)
        }),
    );
    let proxy = HttpProxy::start(Some(AUTH.into())).unwrap();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let req = UrlRequest::builder(origin.https_url("localhost", "/"))
        .proxy_host(proxy.addr().ip().to_string())
        .proxy_port(proxy.addr().port())
        .proxy_headers([("Proxy-Authorization", "Basic d3Jvbmc6d3Jvbmc=")])
        .ca_file(ca.write_pem("407", ""))
        .on_error(move |_, e| l1.lock().unwrap().push(e.to_string()))
        .on_finish(move |_| l2.lock().unwrap().push("finish".into()))
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        log[0],
        format!(
            "proxy {} (from the proxy_host/proxy_port parameters) refused CONNECT \
             with status 407 Proxy Authentication Required",
            proxy.addr()
        )
    );
    assert_eq!(log[1], "finish");
    assert_eq!(req.error().unwrap().kind_name(), "proxy-refused");
    assert_eq!(origin.accepted(), 0);
}

#[test]
fn plain_http_through_forward_proxy_uses_absolute_form() {
    let origin = serve(|req, w| {
        let leaked = req.header("proxy-authorization").is_some();
        respond(
            w,
            "200 OK",
            &[],
            format!("via proxy {} leaked={leaked}", req.target).as_bytes(),
        )?;
        Ok(true)
    });
    let proxy = HttpProxy::start(None).unwrap();
    let req = UrlRequest::builder(origin.url("/page?x=1#frag"))
        .proxy_host(proxy.addr().ip().to_string())
        .proxy_port(proxy.addr().port())
        .proxy_headers([("Proxy-Authorization", AUTH)])
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(
        req.result().unwrap().as_bytes().unwrap().as_ref(),
        b"via proxy /page?x=1 leaked=false"
    );
    let seen = proxy.requests();
    assert_eq!(
        seen[0].request_line,
        format!("GET {} HTTP/1.1", origin.url("/page?x=1")),
        "absolute-form, no fragment"
    );
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some(AUTH),
        "proxy headers go to the proxy"
    );
}

/// A port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn a_dead_proxy_from_the_environment_names_the_variable() {
    let port = closed_port();
    let env = EnvProxies::from_vars([("http_proxy", format!("http://127.0.0.1:{port}"))]).unwrap();
    let agent = Agent::builder().env_proxies(env).build().unwrap();
    let req = Request::builder("http://origin.test/")
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = agent.send(req).unwrap_err();
    assert_eq!(err.kind_name(), "connect", "{err}");
    let msg = err.to_string();
    let prefix = format!(
        "could not connect to proxy 127.0.0.1:{port} (from environment variable http_proxy): "
    );
    assert!(msg.starts_with(&prefix), "{msg}");
    // The operating system's reason, said once, without the address again.
    let reason = &msg[prefix.len()..];
    assert!(reason.to_ascii_lowercase().contains("refused"), "{msg}");
    assert!(!reason.contains(&port.to_string()), "{msg}");
}

#[test]
fn a_dead_proxy_of_the_kivy_parameters_names_them() {
    let port = closed_port();
    let req = UrlRequest::builder("https://origin.test/")
        .proxy_host("127.0.0.1")
        .proxy_port(port)
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    let err = req.error().unwrap();
    assert_eq!(err.kind_name(), "connect", "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "could not connect to proxy 127.0.0.1:{port} (from the proxy_host/proxy_port parameters): "
        )),
        "{err}"
    );
}
