//! One error for the whole call: sending, checking the status and reading
//! the body all `?` into `urlrequest_std::Error`, each saying what went
//! wrong, against an in-process server.

mod support;

use serde::Deserialize;
use support::{respond, serve};
use urlrequest_std::{Agent, Error, Request};

#[derive(Debug, Deserialize, PartialEq)]
struct User {
    name: String,
}

/// Application code: one function, one error type, `?` on every step.
fn fetch_user(agent: &Agent, url: &str) -> Result<User, Error> {
    let request = Request::get(url)?;
    let response = agent.send(request)?;
    let response = response.error_for_status()?;
    Ok(response.json::<User>()?)
}

fn server() -> support::Server {
    serve(|req, w| {
        match req.target.as_str() {
            "/users/1" => respond(w, "200 OK", &[], br#"{"name":"ada"}"#)?,
            "/users/2" => respond(w, "200 OK", &[], b"<html>not json</html>")?,
            _ => respond(w, "404 Not Found", &[], br#"{"error":"nope"}"#)?,
        }
        Ok(true)
    })
}

#[test]
fn a_found_user_reads_through() {
    let server = server();
    let user = fetch_user(&Agent::new(), &server.url("/users/1")).unwrap();
    assert_eq!(user.name, "ada");
}

#[test]
fn a_404_names_status_url_and_body_start() {
    let server = server();
    let url = server.url("/users/9");
    let e = fetch_user(&Agent::new(), &url).unwrap_err();
    assert_eq!(e.kind_name(), "status");
    assert_eq!(
        e.to_string(),
        format!(r#"HTTP 404 Not Found from {url}: {{"error":"nope"}}"#)
    );
    let status = e.status_error().expect("a status error");
    assert_eq!(status.status(), 404);
    assert_eq!(status.url().as_str(), url);
    // The response is not lost.
    let response = status.clone().into_response();
    assert_eq!(response.bytes().unwrap().as_ref(), br#"{"error":"nope"}"#);
}

#[test]
fn a_body_that_is_not_json_is_a_body_error() {
    let server = server();
    let e = fetch_user(&Agent::new(), &server.url("/users/2")).unwrap_err();
    assert_eq!(e.kind_name(), "body");
    assert!(
        e.to_string()
            .starts_with("body is not valid JSON for one_error::User: expected value"),
        "{e}"
    );
}

#[test]
fn a_refused_connection_and_a_bad_url_keep_their_kinds() {
    // A loopback port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = fetch_user(&Agent::new(), &format!("http://{addr}/users/1")).unwrap_err();
    assert_eq!(e.kind_name(), "connect", "{e}");
    let e = fetch_user(&Agent::new(), "ftp://h/").unwrap_err();
    assert_eq!(e.kind_name(), "build", "{e}");
}
