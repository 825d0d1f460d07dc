//! A local server of the API for the tests: the conformance crate's
//! in-process HTTP/1.1 server (real sockets on 127.0.0.1) answering the
//! four endpoints the way httpbin does.

use urlrequest_conformance::test_server::{respond, serve, Req, Server};
use urlrequest_example_sdk::{Httpbin, Item};

/// A running server and the API client pointed at it.
pub struct Api {
    pub server: Server,
    pub api: Httpbin,
}

/// Starts a server on a free port.
pub fn start() -> Api {
    let server = serve(|req, w| {
        let (status, body) = answer(req);
        let json = body.starts_with('{');
        let kind = if json {
            "application/json"
        } else {
            "text/plain"
        };
        respond(w, &status, &[("Content-Type", kind)], body.as_bytes())?;
        Ok(true)
    });
    let api = Httpbin::new(server.url("/"));
    Api { server, api }
}

/// The status line's code and reason, and the body, for `req`.
fn answer(req: &Req) -> (String, String) {
    use serde_json::json;
    let ok = |v: serde_json::Value| ("200 OK".to_string(), v.to_string());
    match (req.method.as_str(), req.target.as_str()) {
        ("GET", "/ip") => ok(json!({"origin": "127.0.0.1"})),
        ("GET", "/user-agent") => ok(json!({"user-agent": req.header("user-agent")})),
        ("POST", "/anything") => {
            let body: serde_json::Value =
                serde_json::from_slice(&req.body).unwrap_or(serde_json::Value::Null);
            ok(json!({"method": req.method, "json": body}))
        }
        ("GET", target) if target.starts_with("/status/") => {
            let code = &target["/status/".len()..];
            let body = if code.starts_with('2') {
                String::new()
            } else {
                format!("status {code} as asked")
            };
            (format!("{code} As Asked"), body)
        }
        _ => ("404 Not Found".to_string(), "no such endpoint".to_string()),
    }
}

/// The items the tests echo.
pub fn items() -> Vec<Item> {
    vec![
        Item {
            name: "teapot".into(),
            count: 1,
        },
        Item {
            name: "cups".into(),
            count: 6,
        },
    ]
}
