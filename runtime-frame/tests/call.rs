//! Calls on the frame client: a handle yields the value after the tick
//! that ends the request, a cancelled one yields the cancellation, and the
//! blocking form refuses to run inside the client's own tick.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use urlrequest_conformance::test_server::{respond, serve};
use urlrequest_frame::{Call, Client, Request, SendRequest, UrlRequest};

fn server() -> urlrequest_conformance::test_server::Server {
    serve(|req, w| {
        respond(w, "200 OK", &[], req.target.as_bytes())?;
        Ok(true)
    })
}

fn body(path: &str, url: &str) -> Call<String> {
    Call::response(Request::get(format!("{url}{path}")).unwrap())
        .map(|r| r.text().unwrap_or_default())
}

#[test]
fn a_handle_yields_the_value_once_after_ticks() {
    let server = server();
    let client = Client::new();
    let mut handle = client.start_call(body("/a", &server.url("")));
    assert!(handle.poll().is_none());
    let value = loop {
        client.tick(Instant::now());
        if let Some(v) = handle.poll() {
            break v;
        }
        client.wait(None);
    };
    assert_eq!(value.unwrap(), "/a");
    assert!(handle.is_taken() && handle.poll().is_none());
}

#[test]
fn a_cancelled_handle_yields_the_cancellation() {
    let server = server();
    let client = Client::new();
    let mut handle = client.start_call(body("/a", &server.url("")));
    handle.cancel();
    let value = loop {
        client.tick(Instant::now());
        if let Some(v) = handle.poll() {
            break v;
        }
        client.wait(None);
    };
    assert!(value.unwrap_err().is_cancelled());
}

#[test]
fn the_blocking_form_refuses_to_run_inside_a_tick() {
    let server = server();
    let client = Client::new();
    let inner = Arc::new(Mutex::new(None));
    let (c, i, url) = (client.clone(), inner.clone(), server.url(""));
    let req = UrlRequest::builder(server.url("/outer"))
        .client(&client)
        .on_success(move |_, _| {
            *i.lock().unwrap() = Some(SendRequest::call(&c, body("/inner", &url)));
        })
        .build()
        .unwrap();
    while !req.is_finished() {
        client.tick(Instant::now());
        client.wait(None);
    }
    let err = inner.lock().unwrap().take().unwrap().unwrap_err();
    assert!(
        err.to_string().contains("from inside its own tick"),
        "{err}"
    );
    // Outside a tick the same call runs to its end.
    assert_eq!(
        SendRequest::call(&client, body("/after", &server.url(""))).unwrap(),
        "/after"
    );
}
