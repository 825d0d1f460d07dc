//! tinyproxy, a real forwarding proxy, in front of nginx: plain http in
//! absolute-form through urlrequest-std (Agent and Kivy-style
//! `proxy_host`/`proxy_port`) and urlrequest-smol, observed in nginx's
//! access log by the `Via` header tinyproxy adds; https to nginx's TLS port
//! through a `CONNECT` tunnel; a `CONNECT` the proxy refuses, which
//! must fail naming the proxy's status; and the proxy taken from
//! `http_proxy` (`EnvProxies`), bypassed for a `NO_PROXY` range.
//!
//! ureq 3 sends plain http through a proxy as a `CONNECT` tunnel too, so
//! against a proxy that tunnels only to listed ports (as configured here,
//! and as RFC 9110 9.3.6 recommends) its requests are refused; the tests
//! pin that down (see DIFFERENCES.md).

mod interop_support;

use std::time::Duration;

use interop_support::{pattern, same, Call, Clients, Outcome, OURS};
use urlrequest_conformance::servers::{Nginx, Tinyproxy, TlsFiles};
use urlrequest_std::{Agent, TlsSettings, UrlRequest};

fn servers(connect_ports: &[u16]) -> (Nginx, Tinyproxy) {
    let nginx = Nginx::start().unwrap_or_else(|e| panic!("cannot start nginx: {e}"));
    let proxy =
        Tinyproxy::start(connect_ports).unwrap_or_else(|e| panic!("cannot start tinyproxy: {e}"));
    (nginx, proxy)
}

/// The runtimes' outcomes, after checking that ureq's `CONNECT` for plain
/// http was refused by the proxy.
fn runtimes_only(outcomes: &[Outcome]) -> &[Outcome] {
    assert_eq!(outcomes[OURS].client, "ureq");
    match &outcomes[OURS].result {
        Err(failed) => {
            assert_eq!(failed.kind, "proxy-refused", "{failed}");
            assert!(failed.message.contains("403"), "{failed}");
        }
        Ok(got) => panic!("ureq got through the proxy: {}", got.status),
    }
    &outcomes[..OURS]
}

#[test]
fn plain_http_goes_through_the_proxy() {
    let (nginx, proxy) = servers(&[]);
    let want = pattern(300_000, 3);
    nginx.put("via.bin", &want).unwrap();
    let clients = Clients::new();
    let outcomes = clients.each(&Call::get(nginx.url("/via.bin")).proxy(proxy.addr()));
    let outcomes = runtimes_only(&outcomes);
    assert_eq!(same(outcomes, |g| g.status), 200);
    assert!(
        same(outcomes, |g| g.body == want),
        "bodies differ from the file"
    );

    // Kivy-style proxy settings.
    let req = UrlRequest::builder(nginx.url("/via.bin"))
        .proxy_host(proxy.host())
        .proxy_port(proxy.port())
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(req.resp_status().map(|s| s.as_u16()), Some(200));
    assert_eq!(
        req.result().unwrap().as_bytes().map(|b| b.to_vec()),
        Some(want)
    );

    // Every request reached nginx through tinyproxy, which names itself
    // in `Via`, and in origin-form (the proxy rewrote the absolute-form).
    // Ours, then the Kivy-style request.
    let log = nginx.wait_for_entries(OURS + 1);
    assert_eq!(log.len(), OURS + 1, "{log:#?}");
    for entry in &log {
        assert!(entry.via.contains("tinyproxy"), "not proxied: {entry:?}");
        assert_eq!(entry.uri, "/via.bin");
    }
}

#[test]
fn redirects_through_the_proxy_stay_on_it() {
    let (nginx, proxy) = servers(&[]);
    nginx.put("dir/index.html", b"proxied index").unwrap();
    let outcomes = Clients::new().each(&Call::get(nginx.url("/dir")).proxy(proxy.addr()));
    let outcomes = runtimes_only(&outcomes);
    assert_eq!(same(outcomes, |g| g.status), 200);
    assert_eq!(same(outcomes, |g| g.body.clone()), b"proxied index");
    assert_eq!(same(outcomes, |g| g.url.clone()), nginx.url("/dir/"));
    let log = nginx.wait_for_entries(2 * OURS);
    assert_eq!(log.len(), 2 * OURS, "{log:#?}");
    assert!(log.iter().all(|e| e.via.contains("tinyproxy")), "{log:#?}");
}

#[test]
fn query_strings_survive_the_absolute_form() {
    let (nginx, proxy) = servers(&[]);
    nginx.put("q.txt", b"q").unwrap();
    let outcomes =
        Clients::new().each(&Call::get(nginx.url("/q.txt?a=1&b=two%20words")).proxy(proxy.addr()));
    let outcomes = runtimes_only(&outcomes);
    assert_eq!(same(outcomes, |g| g.status), 200);
    let log = nginx.wait_for_entries(OURS);
    let uris: Vec<&str> = log.iter().map(|e| e.uri.as_str()).collect();
    assert_eq!(uris, ["/q.txt?a=1&b=two%20words"; OURS]);
}

#[test]
fn refused_connect_names_the_proxy_status() {
    // CONNECT allowed to one port only; asking for another is refused with
    // 403 before any TLS starts.
    let (nginx, proxy) = servers(&[1]);
    let url = format!("https://127.0.0.1:{}/", nginx.addr().port());
    let clients = Clients::new();
    let std = interop_support::with_std(&clients.std, &Call::get(&url).proxy(proxy.addr()))
        .expect_err("std: the tunnel must be refused");
    let smol = interop_support::with_smol(&clients.smol, &Call::get(&url).proxy(proxy.addr()))
        .expect_err("smol: the tunnel must be refused");
    let tokio = interop_support::with_tokio(&clients.tokio, &Call::get(&url).proxy(proxy.addr()))
        .expect_err("tokio: the tunnel must be refused");
    for (client, failed) in [("std", &std), ("smol", &smol), ("tokio", &tokio)] {
        assert_eq!(failed.kind, "proxy-refused", "{client}: {failed}");
        assert!(failed.message.contains("403"), "{client}: {failed}");
    }
    assert_eq!(std, smol);
    assert_eq!(std, tokio);
    assert!(
        proxy.log_text().contains("Refused CONNECT"),
        "tinyproxy did not log the refusal:\n{}",
        proxy.log_text()
    );
}

#[test]
fn https_through_a_connect_tunnel_to_local_tls() {
    let tls = TlsFiles::generate(&["localhost"]).unwrap();
    let nginx = Nginx::start_with(Some(&tls)).unwrap_or_else(|e| panic!("cannot start nginx: {e}"));
    let tls_port = nginx.tls_addr().unwrap().port();
    let proxy =
        Tinyproxy::start(&[tls_port]).unwrap_or_else(|e| panic!("cannot start tinyproxy: {e}"));
    let want = pattern(150_000, 11);
    nginx.put("tunnel.bin", &want).unwrap();
    let url = nginx.https_url("/tunnel.bin").unwrap();
    let call = Call::get(&url).proxy(proxy.addr());

    let std = Agent::builder()
        .tls(TlsSettings::default().ca_file(tls.ca()))
        .build()
        .expect("client settings");
    let smol = urlrequest_smol::Client::builder()
        .ca_file(tls.ca())
        .build()
        .unwrap();
    let tokio = interop_support::TokioClient::new(
        urlrequest_tokio::Client::builder()
            .ca_file(tls.ca())
            .build()
            .unwrap(),
    );
    let got_std = interop_support::with_std(&std, &call).unwrap();
    let got_smol = interop_support::with_smol(&smol, &call).unwrap();
    let got_tokio = interop_support::with_tokio(&tokio, &call).unwrap();
    assert_eq!(
        (got_std.status, got_smol.status, got_tokio.status),
        (200, 200, 200)
    );
    assert!(
        got_std.body == want && got_smol.body == want && got_tokio.body == want,
        "bodies differ from the file"
    );

    // Kivy-style: proxy_host/proxy_port with ca_file.
    let req = UrlRequest::builder(&url)
        .proxy_host(proxy.host())
        .proxy_port(proxy.port())
        .ca_file(tls.ca())
        .build()
        .unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(req.resp_status().map(|s| s.as_u16()), Some(200));

    // Inside a tunnel the proxy sees only ciphertext: no Via reaches nginx,
    // and tinyproxy logged the CONNECTs.
    // Ours, then the Kivy-style request.
    let log = nginx.wait_for_entries(OURS + 1);
    assert_eq!(log.len(), OURS + 1, "{log:#?}");
    assert!(log.iter().all(|e| e.via.is_empty()), "{log:#?}");
    let request = format!("CONNECT localhost:{tls_port} HTTP/1.1");
    let connects = proxy.log_text().matches(&request).count();
    assert_eq!(connects, OURS + 1, "tinyproxy's log:\n{}", proxy.log_text());
}

#[test]
fn proxy_variables_send_requests_through_tinyproxy_unless_no_proxy() {
    let (nginx, proxy) = servers(&[]);
    nginx.put("env.txt", b"via the environment").unwrap();
    let env = |no_proxy: &str| {
        urlrequest_std::EnvProxies::from_vars([
            ("http_proxy", proxy.url()),
            ("NO_PROXY", no_proxy.to_string()),
        ])
        .unwrap()
    };
    let fetch_all = |no_proxy: &str| {
        let std_agent = Agent::builder()
            .env_proxies(env(no_proxy))
            .build()
            .expect("client settings");
        let r = std_agent
            .send(urlrequest_std::Request::get(nginx.url("/env.txt")).unwrap())
            .unwrap();
        assert_eq!(r.bytes().unwrap().as_ref(), b"via the environment");
        let smol = urlrequest_smol::ClientBuilder::default()
            .env_proxies(env(no_proxy))
            .build()
            .unwrap();
        let r = smol::block_on(
            smol.send(urlrequest_core::Request::get(nginx.url("/env.txt")).unwrap()),
        )
        .unwrap();
        assert_eq!(r.bytes().unwrap().as_ref(), b"via the environment");
    };
    fetch_all("example.com");
    let log = nginx.wait_for_entries(2);
    assert_eq!(log.len(), 2, "{log:#?}");
    assert!(log.iter().all(|e| e.via.contains("tinyproxy")), "{log:#?}");
    nginx.clear_access_log();
    fetch_all("127.0.0.0/8");
    let log = nginx.wait_for_entries(2);
    assert_eq!(log.len(), 2, "{log:#?}");
    assert!(
        log.iter().all(|e| !e.via.contains("tinyproxy")),
        "went through the proxy: {log:#?}"
    );
}
