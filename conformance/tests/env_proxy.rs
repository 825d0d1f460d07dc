//! Proxies from the environment (`EnvProxies`, given to a client builder)
//! over real sockets: the in-process `HttpProxy` in front of a plain
//! origin, with the proxy's credentials taken from the proxy URL's
//! user-info, and `NO_PROXY` sending a host direct. Run through
//! runtime-std's `Agent`, runtime-smol's and runtime-tokio's `Client`, and
//! runtime-frame's `Client`. The environment is a table: the process
//! environment is never read or changed.

use std::time::{Duration, Instant};

use urlrequest_conformance::test_server::{respond, serve, Server};
use urlrequest_conformance::HttpProxy;
use urlrequest_core::{EnvProxies, Event, Request};

/// "u:p" in Basic.
const AUTH: &str = "Basic dTpw";

fn origin() -> Server {
    serve(|_req, w| {
        respond(w, "200 OK", &[], b"from origin")?;
        Ok(true)
    })
}

fn env(proxy: &HttpProxy, no_proxy: &str) -> EnvProxies {
    let url = format!("http://u:p@{}", proxy.addr());
    EnvProxies::from_vars([
        ("http_proxy", url.as_str()),
        ("HTTPS_PROXY", url.as_str()),
        ("NO_PROXY", no_proxy),
    ])
    .unwrap()
}

/// What a runtime returns for one request: the status and body, or the
/// error's text.
type Fetch = fn(EnvProxies, Request) -> Result<(u16, Vec<u8>), String>;

fn std_fetch(env: EnvProxies, req: Request) -> Result<(u16, Vec<u8>), String> {
    let agent = urlrequest_std::Agent::builder()
        .env_proxies(env)
        .build()
        .expect("client settings");
    let r = agent.send(req).map_err(|e| e.to_string())?;
    Ok((
        r.status().as_u16(),
        r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
    ))
}

fn smol_fetch(env: EnvProxies, req: Request) -> Result<(u16, Vec<u8>), String> {
    let client = urlrequest_smol::ClientBuilder::default()
        .env_proxies(env)
        .build()
        .unwrap();
    let r = smol::block_on(client.send(req)).map_err(|e| e.to_string())?;
    Ok((
        r.status().as_u16(),
        r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
    ))
}

fn tokio_fetch(env: EnvProxies, req: Request) -> Result<(u16, Vec<u8>), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = urlrequest_tokio::ClientBuilder::default()
        .env_proxies(env)
        .build()
        .unwrap();
    let r = rt.block_on(client.send(req)).map_err(|e| e.to_string())?;
    Ok((
        r.status().as_u16(),
        r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
    ))
}

fn frame_fetch(env: EnvProxies, req: Request) -> Result<(u16, Vec<u8>), String> {
    let client = urlrequest_frame::Client::builder()
        .env_proxies(env)
        .build()
        .expect("client settings");
    let transfer = client.start(req);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        client.tick(Instant::now());
        while let Some(event) = transfer.poll_event() {
            match event {
                Event::Done(r) => {
                    return Ok((
                        r.status().as_u16(),
                        r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
                    ))
                }
                Event::Failure(e) => return Err(e.to_string()),
                _ => {}
            }
        }
        assert!(Instant::now() < deadline, "frame request did not finish");
        client.wait(Some(Duration::from_millis(50)));
    }
}

const RUNTIMES: [(&str, Fetch); 4] = [
    ("std", std_fetch),
    ("smol", smol_fetch),
    ("tokio", tokio_fetch),
    ("frame", frame_fetch),
];

#[test]
fn http_goes_through_the_env_proxy_with_its_credentials() {
    for (name, fetch) in RUNTIMES {
        let origin = origin();
        let proxy = HttpProxy::start(Some(AUTH.into())).unwrap();
        let url = format!("http://{}/x?q=1", origin.addr);
        // NO_PROXY names another host: this one still goes through.
        let got = fetch(
            env(&proxy, "example.com,10.0.0.0/8"),
            Request::get(&url).unwrap(),
        );
        assert_eq!(got, Ok((200, b"from origin".to_vec())), "{name}");
        let seen = proxy.requests();
        assert_eq!(seen.len(), 1, "{name}: {seen:?}");
        assert_eq!(
            seen[0].request_line,
            format!("GET {url} HTTP/1.1"),
            "{name}"
        );
        let auth: Vec<_> = seen[0]
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("proxy-authorization"))
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(auth, [AUTH], "{name}");
        // The proxy forwarded it; the origin never saw the proxy's credentials.
        let at_origin = origin.requests.lock().unwrap().clone();
        assert_eq!(at_origin.len(), 1, "{name}");
        assert_eq!(at_origin[0].header("proxy-authorization"), None, "{name}");
    }
}

#[test]
fn no_proxy_sends_the_host_direct() {
    for (name, fetch) in RUNTIMES {
        for no_proxy in ["127.0.0.1", "127.0.0.0/8", "*"] {
            let origin = origin();
            let proxy = HttpProxy::start(Some(AUTH.into())).unwrap();
            let url = format!("http://{}/direct", origin.addr);
            let got = fetch(env(&proxy, no_proxy), Request::get(&url).unwrap());
            assert_eq!(got, Ok((200, b"from origin".to_vec())), "{name} {no_proxy}");
            assert!(proxy.requests().is_empty(), "{name} {no_proxy}");
            let at_origin = origin.requests.lock().unwrap().clone();
            assert_eq!(at_origin[0].target, "/direct", "{name} {no_proxy}");
        }
    }
}

#[test]
fn https_tunnels_with_connect_carrying_the_credentials() {
    for (name, fetch) in RUNTIMES {
        // The origin speaks plain HTTP, so the TLS handshake inside the
        // tunnel fails: what is checked is the CONNECT the proxy received.
        let origin = origin();
        let proxy = HttpProxy::start(Some(AUTH.into())).unwrap();
        let url = format!("https://localhost:{}/s", origin.addr.port());
        let got = fetch(env(&proxy, ""), Request::get(&url).unwrap());
        assert!(got.is_err(), "{name}: {got:?}");
        let seen = proxy.requests();
        assert_eq!(seen.len(), 1, "{name}: {seen:?}");
        assert_eq!(
            seen[0].request_line,
            format!("CONNECT localhost:{} HTTP/1.1", origin.addr.port()),
            "{name}"
        );
        assert!(
            seen[0]
                .headers
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case("proxy-authorization") && v == AUTH),
            "{name}: {seen:?}"
        );
    }
}

#[test]
fn a_request_proxy_wins_over_the_environment() {
    let origin = origin();
    let env_proxy = HttpProxy::start(None).unwrap();
    let own = HttpProxy::start(None).unwrap();
    let url = format!("http://{}/own", origin.addr);
    let req = Request::builder(&url)
        .proxy(urlrequest_core::Proxy::new("127.0.0.1", own.addr().port()).unwrap())
        .build()
        .unwrap();
    let got = std_fetch(env(&env_proxy, ""), req);
    assert_eq!(got, Ok((200, b"from origin".to_vec())));
    assert!(env_proxy.requests().is_empty());
    assert_eq!(own.requests().len(), 1);
}
