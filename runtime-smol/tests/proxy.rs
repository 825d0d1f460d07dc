//! Proxies: https through a CONNECT tunnel that requires credentials, and
//! plain http in absolute-form.

mod support;

use support::tls::{Pki, TlsServer};
use urlrequest_conformance::test_server::{respond, serve};
use urlrequest_conformance::HttpProxy;
use urlrequest_smol::{core, Client, Error, Proxy as ProxyConfig, Request};

const AUTH: &str = "Basic dXNlcjpzZWNyZXQ=";

#[test]
fn https_goes_through_a_connect_tunnel_with_proxy_credentials() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let proxy = HttpProxy::start(Some(AUTH.into())).unwrap();
    let client = Client::builder().ca_file(pki.ca_file()).build().unwrap();
    let via = ProxyConfig::new("127.0.0.1", proxy.addr().port())
        .unwrap()
        .header("Proxy-Authorization", AUTH)
        .unwrap();
    let req = Request::builder(format!("https://localhost:{}/tunnelled", server.port()))
        .proxy(via)
        .build()
        .unwrap();
    let resp = smol::block_on(client.send(req)).unwrap();
    // The origin saw the request, and not the proxy's credentials.
    assert_eq!(resp.bytes().unwrap().as_ref(), b"secure /tunnelled");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].request_line,
        format!("CONNECT localhost:{} HTTP/1.1", server.port())
    );
    assert_eq!(seen[0].header("proxy-authorization"), Some(AUTH));
}

#[test]
fn a_407_from_the_proxy_is_a_failure_naming_the_status() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let proxy = HttpProxy::start(Some(AUTH.into())).unwrap();
    let client = Client::builder().ca_file(pki.ca_file()).build().unwrap();
    let via = ProxyConfig::new("127.0.0.1", proxy.addr().port()).unwrap();
    let req = Request::builder(format!("https://localhost:{}/", server.port()))
        .proxy(via)
        .build()
        .unwrap();
    let err = smol::block_on(client.send(req)).unwrap_err();
    // The failure names the proxy; its cause is the refusal.
    let Error::Request(core_err @ core::Error::Proxy { .. }) = &err else {
        panic!("expected a failure with the proxy, got {err:?}")
    };
    assert!(
        matches!(
            core_err.cause(),
            core::Error::ProxyRefused { status: 407, .. }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "proxy 127.0.0.1:{} (from the proxy setting) refused CONNECT \
             with status 407 Proxy Authentication Required",
            proxy.addr().port()
        )
    );
    assert_eq!(server.accepted(), 0, "nothing reached the origin");
}

#[test]
fn plain_http_goes_to_the_proxy_in_absolute_form() {
    let origin = serve(|req, w| {
        let leaked = req.header("proxy-authorization").is_some();
        let body = format!("origin saw {} leaked={leaked}", req.target);
        respond(w, "200 OK", &[], body.as_bytes())?;
        Ok(true)
    });
    let proxy = HttpProxy::start(Some(AUTH.into())).unwrap();
    let via = ProxyConfig::new("127.0.0.1", proxy.addr().port())
        .unwrap()
        .header("Proxy-Authorization", AUTH)
        .unwrap();
    let req = Request::builder(origin.url("/path?q=1#frag"))
        .proxy(via)
        .build()
        .unwrap();
    let resp = smol::block_on(Client::new().send(req)).unwrap();
    assert_eq!(
        resp.bytes().unwrap().as_ref(),
        b"origin saw /path?q=1 leaked=false"
    );
    let seen = proxy.requests();
    assert_eq!(
        seen[0].request_line,
        format!("GET {} HTTP/1.1", origin.url("/path?q=1")),
        "absolute-form, no fragment"
    );
    assert_eq!(seen[0].header("proxy-authorization"), Some(AUTH));
    let host = format!("127.0.0.1:{}", origin.addr.port());
    assert_eq!(seen[0].header("host"), Some(host.as_str()));
}
