//! TLS against an in-process rustls server with a throwaway CA: trusted
//! `ca_file`, unknown CA, wrong host, expired certificate, `verify = false`.

mod support;

use std::io::Write;
use std::sync::Arc;

use support::pki::Ca;
use support::{respond, Req, Server};
use urlrequest_core::Request;
use urlrequest_std::{Agent, CaMode, DriveOptions, Error, TlsSettings};

fn hello(ca: &Ca, names: &[&str], expired: bool) -> Server {
    ca.serve(
        names,
        expired,
        Arc::new(|req: &Req, w: &mut dyn Write| {
            respond(
                w,
                "200 OK",
                &[],
                format!("secure {}", req.target).as_bytes(),
            )?;
            Ok(true)
        }),
    )
}

fn fetch(url: &str, tls: TlsSettings) -> Result<urlrequest_core::Response, Error> {
    Agent::new().send_with(Request::get(url).unwrap(), &DriveOptions::new().tls(tls))
}

#[test]
fn ca_file_is_trusted_and_connections_are_reused() {
    let ca = Ca::new("Test CA trusted");
    let server = hello(&ca, &["localhost"], false);
    let pem = ca.write_pem("trusted", "");
    let agent = Agent::builder()
        .tls(TlsSettings::default().ca_file(&pem))
        .build()
        .expect("client settings");
    for i in 0..3 {
        let url = server.https_url("localhost", &format!("/{i}"));
        let r = agent.get(&url).unwrap();
        assert_eq!(
            r.bytes().unwrap().as_ref(),
            format!("secure /{i}").as_bytes()
        );
    }
    assert_eq!(server.accepted(), 1, "TLS connection kept alive");
}

#[test]
fn ca_file_with_several_certificates_and_extend_mode() {
    let ca = Ca::new("Test CA bundle");
    let other = Ca::new("Unrelated CA");
    let server = hello(&ca, &["localhost"], false);
    let bundle = ca.write_pem("bundle", &other.pem);
    let url = server.https_url("localhost", "/b");
    assert!(fetch(&url, TlsSettings::default().ca_file(&bundle)).is_ok());
    let r = fetch(
        &url,
        TlsSettings::default()
            .ca_file(&bundle)
            .ca_mode(CaMode::Extend),
    )
    .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn unknown_ca_is_rejected_with_a_hint() {
    let ca = Ca::new("Test CA unknown");
    let server = hello(&ca, &["localhost"], false);
    let err = fetch(&server.https_url("localhost", "/"), TlsSettings::default()).unwrap_err();
    assert_eq!(err.kind_name(), "tls", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("UnknownIssuer") || msg.contains("unknown"),
        "{msg}"
    );
    assert!(msg.contains("ca_file"), "{msg}");

    // A ca_file holding only another CA replaces the roots: still unknown.
    let other = Ca::new("Other CA");
    let pem = other.write_pem("other", "");
    let err = fetch(
        &server.https_url("localhost", "/"),
        TlsSettings::default().ca_file(pem),
    )
    .unwrap_err();
    assert_eq!(err.kind_name(), "tls", "{err}");
}

#[test]
fn wrong_host_is_rejected() {
    let ca = Ca::new("Test CA host");
    let server = hello(&ca, &["other.example"], false);
    let pem = ca.write_pem("host", "");
    let err = fetch(
        &server.https_url("localhost", "/"),
        TlsSettings::default().ca_file(pem),
    )
    .unwrap_err();
    assert_eq!(err.kind_name(), "tls", "{err}");
    assert!(err.to_string().contains("another host name"), "{err}");
}

#[test]
fn expired_certificate_is_rejected() {
    let ca = Ca::new("Test CA expired");
    let server = hello(&ca, &["localhost"], true);
    let pem = ca.write_pem("expired", "");
    let err = fetch(
        &server.https_url("localhost", "/"),
        TlsSettings::default().ca_file(pem),
    )
    .unwrap_err();
    assert_eq!(err.kind_name(), "tls", "{err}");
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn verify_false_accepts_unknown_ca_and_wrong_host() {
    let ca = Ca::new("Test CA noverify");
    let server = hello(&ca, &["other.example"], true);
    let r = fetch(
        &server.https_url("localhost", "/x"),
        TlsSettings::default().verify(false),
    )
    .unwrap();
    assert_eq!(r.bytes().unwrap().as_ref(), b"secure /x");
}

#[test]
fn ip_address_certificates_work() {
    let ca = Ca::new("Test CA ip");
    let server = hello(&ca, &["127.0.0.1"], false);
    let pem = ca.write_pem("ip", "");
    let r = fetch(
        &server.https_url("127.0.0.1", "/ip"),
        TlsSettings::default().ca_file(pem),
    )
    .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn unreadable_or_empty_ca_file_is_a_tls_error_naming_it() {
    let ca = Ca::new("Test CA badfile");
    let server = hello(&ca, &["localhost"], false);
    let url = server.https_url("localhost", "/");
    let err = fetch(&url, TlsSettings::default().ca_file("/nonexistent/ca.pem")).unwrap_err();
    assert_eq!(err.kind_name(), "tls");
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    let empty = std::env::temp_dir().join(format!("urlrequest-{}-empty.pem", std::process::id()));
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let err = fetch(&url, TlsSettings::default().ca_file(&empty)).unwrap_err();
    assert!(err.to_string().contains("no PEM CERTIFICATE"), "{err}");
}

#[test]
fn url_request_uses_ca_file_and_verify() {
    let ca = Ca::new("Test CA urlrequest");
    let server = hello(&ca, &["localhost"], false);
    let pem = ca.write_pem("urlrequest", "");
    let req = urlrequest_std::UrlRequest::builder(server.https_url("localhost", "/k"))
        .ca_file(&pem)
        .build()
        .unwrap();
    assert!(req.wait(std::time::Duration::from_secs(10)));
    assert_eq!(req.resp_status().unwrap(), 200);
    let req = urlrequest_std::UrlRequest::builder(server.https_url("localhost", "/k"))
        .build()
        .unwrap();
    assert!(req.wait(std::time::Duration::from_secs(10)));
    assert_eq!(req.error().unwrap().kind_name(), "tls");
}
