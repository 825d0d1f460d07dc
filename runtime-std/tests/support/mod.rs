//! In-process servers for the tests: the conformance crate's test server
//! (plain or TLS, keep-alive, a count of accepted connections) and its test
//! CA; proxies are the conformance crate's `HttpProxy`.
#![allow(dead_code)]

pub mod pki;

#[allow(unused_imports)]
pub use urlrequest_conformance::test_server::{
    read_request, respond, serve, serve_on, Handler, Req, Server,
};
