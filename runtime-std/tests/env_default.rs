//! Clients read the proxy environment by default, as curl, reqwest and
//! ureq do, and `no_env_proxies()` turns that off. One test in its own
//! process: it sets `http_proxy` for the whole process, so nothing else
//! may run beside it.

mod support;

use std::net::TcpListener;
use std::time::Duration;

use support::{respond, serve};
use urlrequest_std::{Client, Request, UrlRequest};

#[test]
fn the_environment_names_the_proxy_unless_the_client_opts_out() {
    let origin = serve(|_, w| {
        respond(w, "200 OK", &[], b"direct")?;
        Ok(true)
    });
    // A port with no listener: a request through it fails at once.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::env::set_var("http_proxy", format!("http://127.0.0.1:{dead}"));
    std::env::remove_var("no_proxy");
    std::env::remove_var("NO_PROXY");
    let request = || {
        Request::builder(origin.url("/"))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    };

    // The default client goes through the environment's proxy, and its
    // failure names the proxy and the variable.
    let err = Client::new().send(request()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("proxy 127.0.0.1:{dead}")), "{msg}");
    assert!(msg.contains("http_proxy"), "{msg}");

    // So does a UrlRequest on the process-wide client.
    let req = UrlRequest::builder(origin.url("/")).build().unwrap();
    req.wait(Duration::from_secs(10));
    let msg = req.error().expect("the request failed").to_string();
    assert!(msg.contains("http_proxy"), "{msg}");

    // Opting out goes direct.
    let direct = Client::builder().no_env_proxies().build().unwrap();
    let response = direct.send(request()).unwrap();
    assert_eq!(response.text().unwrap(), "direct");

    // NO_PROXY is read as well.
    std::env::set_var("NO_PROXY", "127.0.0.1");
    let response = Client::new().send(request()).unwrap();
    assert_eq!(response.text().unwrap(), "direct");
}
