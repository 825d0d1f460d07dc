//! TLS with futures-rustls against a rustls server whose certificates come
//! from a throwaway rcgen CA.

mod support;

use support::tls::{Pki, TlsServer};
use urlrequest_smol::{core, Client, Error, Request, TlsConfigError, TransportError};

fn get(client: &Client, url: &str) -> Result<urlrequest_smol::Response, Error> {
    smol::block_on(client.send(Request::get(url).unwrap()))
}

fn tls_message(err: &Error) -> String {
    match err {
        Error::Request(core::Error::Transport(TransportError::Tls(m))) => m.clone(),
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[test]
fn a_ca_file_is_trusted() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let client = Client::builder().ca_file(pki.ca_file()).build().unwrap();
    // "localhost" may resolve to ::1 first, where nothing listens: the
    // next address is tried.
    let resp = get(&client, &format!("https://localhost:{}/x", server.port())).unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().unwrap().as_ref(), b"secure /x");
}

#[test]
fn keep_alive_works_over_tls() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let client = Client::builder().ca_file(pki.ca_file()).build().unwrap();
    for i in 0..3 {
        let url = format!("https://localhost:{}/{i}", server.port());
        let resp = get(&client, &url).unwrap();
        assert_eq!(
            resp.bytes().unwrap().as_ref(),
            format!("secure /{i}").as_bytes()
        );
    }
    assert_eq!(server.accepted(), 1);
}

#[test]
fn extending_the_roots_still_trusts_the_ca_file() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let client = Client::builder()
        .ca_file(pki.ca_file())
        .ca_mode(urlrequest_smol::CaMode::Extend)
        .build()
        .unwrap();
    let resp = get(&client, &format!("https://localhost:{}/", server.port())).unwrap();
    assert_eq!(resp.status(), 200);
}

#[test]
fn an_unknown_ca_is_rejected() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let url = format!("https://localhost:{}/", server.port());
    // The built-in roots do not know the test CA.
    let err = get(&Client::new(), &url).unwrap_err();
    assert!(tls_message(&err).contains("UnknownIssuer"), "{err}");
    // Nor does a file holding another CA.
    let other = Pki::new("other CA");
    let client = Client::builder().ca_file(other.ca_file()).build().unwrap();
    let err = get(&client, &url).unwrap_err();
    assert!(tls_message(&err).contains("UnknownIssuer"), "{err}");
}

#[test]
fn a_certificate_for_another_host_is_rejected() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let client = Client::builder().ca_file(pki.ca_file()).build().unwrap();
    // The certificate names "localhost", not the address 127.0.0.1.
    let err = get(&client, &format!("https://127.0.0.1:{}/", server.port())).unwrap_err();
    assert!(tls_message(&err).contains("not valid for name"), "{err}");
}

#[test]
fn an_expired_certificate_is_rejected() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], true));
    let client = Client::builder().ca_file(pki.ca_file()).build().unwrap();
    let err = get(&client, &format!("https://localhost:{}/", server.port())).unwrap_err();
    assert!(tls_message(&err).contains("expired"), "{err}");
}

#[test]
fn verify_false_accepts_what_would_be_rejected() {
    let pki = Pki::new("test CA");
    // Unknown CA, expired, and for another name than the one dialled.
    let server = TlsServer::start(pki.leaf(&["elsewhere.test"], true));
    let client = Client::builder().verify(false).build().unwrap();
    let resp = get(&client, &format!("https://127.0.0.1:{}/ok", server.port())).unwrap();
    assert_eq!(resp.bytes().unwrap().as_ref(), b"secure /ok");
}

#[test]
fn a_bad_ca_file_is_a_build_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let err = Client::builder().ca_file(&missing).build().unwrap_err();
    assert!(
        matches!(err, Error::TlsConfig(TlsConfigError::CaFile { .. })),
        "{err}"
    );
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").unwrap();
    let err = Client::builder().ca_file(&empty).build().unwrap_err();
    assert!(
        matches!(err, Error::TlsConfig(TlsConfigError::NoCertificates { .. })),
        "{err}"
    );
}

#[test]
fn plain_http_to_a_tls_port_fails_cleanly() {
    let pki = Pki::new("test CA");
    let server = TlsServer::start(pki.leaf(&["localhost"], false));
    let req = Request::builder(format!("http://127.0.0.1:{}/", server.port()))
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    let err = smol::block_on(Client::new().send(req)).unwrap_err();
    // The TLS server answers garbage or closes: never a success.
    assert!(
        ["malformed", "truncated", "io"].contains(&err.kind_name()),
        "{err}"
    );
}
