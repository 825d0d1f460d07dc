//! Forms and cookies against httpbin under gunicorn: a URL-encoded form and
//! a multipart form (fields and a file) parsed by httpbin's `/post`, and
//! `/cookies/set`, whose 302 sets a cookie the jar must send to `/cookies`
//! on the next hop, through urlrequest-std, -smol and -tokio (and the
//! frame runtime for cookies).

use std::sync::Arc;

use serde_json::{json, Value};
use urlrequest_conformance::servers::{Httpbin, Shared};
use urlrequest_core::{CookieJar, Multipart, Request, Response};

static HTTPBIN: Shared<Httpbin> = Shared::new();

fn httpbin() -> Arc<Httpbin> {
    HTTPBIN
        .get(Httpbin::start)
        .unwrap_or_else(|e| panic!("cannot start httpbin: {e}"))
}

/// Sends `request` with a client of each runtime, each given the jar
/// `jar()` makes (when it makes one); returns (runtime, response).
fn each_runtime(
    jar: &dyn Fn() -> Option<CookieJar>,
    request: &dyn Fn() -> Request,
) -> Vec<(&'static str, Response)> {
    let mut out = Vec::new();
    let mut agent = urlrequest_std::Agent::builder();
    if let Some(j) = jar() {
        agent = agent.cookie_jar(j);
    }
    out.push((
        "std",
        agent
            .build()
            .expect("client settings")
            .send(request())
            .expect("std"),
    ));
    let mut smol = urlrequest_smol::ClientBuilder::default();
    if let Some(j) = jar() {
        smol = smol.cookie_jar(j);
    }
    let smol = smol.build().unwrap();
    out.push(("smol", smol::block_on(smol.send(request())).expect("smol")));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut tokio = urlrequest_tokio::ClientBuilder::default();
    if let Some(j) = jar() {
        tokio = tokio.cookie_jar(j);
    }
    let tokio = tokio.build().unwrap();
    out.push(("tokio", rt.block_on(tokio.send(request())).expect("tokio")));
    out
}

fn json_of(r: &Response) -> Value {
    serde_json::from_slice(r.bytes().expect("collected")).expect("httpbin answers JSON")
}

#[test]
fn urlencoded_form_is_parsed_by_httpbin() {
    let hb = httpbin();
    let url = hb.url("/post");
    let request = || {
        Request::builder(&url)
            .form([("a", "1 2"), ("sym", "&=+%"), ("utf8", "é€")])
            .decode(false)
            .build()
            .unwrap()
    };
    for (name, r) in each_runtime(&|| None, &request) {
        assert_eq!(r.status(), 200, "{name}");
        let v = json_of(&r);
        assert_eq!(
            v["form"],
            json!({"a": "1 2", "sym": "&=+%", "utf8": "é€"}),
            "{name}"
        );
        assert_eq!(
            v["headers"]["Content-Type"], "application/x-www-form-urlencoded",
            "{name}"
        );
    }
}

#[test]
fn multipart_fields_and_file_are_parsed_by_httpbin() {
    let hb = httpbin();
    let url = hb.url("/post");
    let request = || {
        let form = Multipart::new()
            .text("title", "Notes")
            .text("quote", "say \"hi\"")
            .file("doc", "notes.txt", "text/plain", "line one\nline two\n");
        Request::builder(&url)
            .multipart(form)
            .decode(false)
            .build()
            .unwrap()
    };
    for (name, r) in each_runtime(&|| None, &request) {
        assert_eq!(r.status(), 200, "{name}");
        let v = json_of(&r);
        assert_eq!(
            v["form"],
            json!({"title": "Notes", "quote": "say \"hi\""}),
            "{name}"
        );
        assert_eq!(v["files"], json!({"doc": "line one\nline two\n"}), "{name}");
        let ctype = v["headers"]["Content-Type"].as_str().unwrap_or_default();
        assert!(
            ctype.starts_with("multipart/form-data; boundary=urlrequest-"),
            "{name}: {ctype}"
        );
    }
}

#[test]
fn cookie_set_by_a_302_reaches_the_next_hop_and_stays_in_the_jar() {
    let hb = httpbin();
    // A fresh jar per runtime: the cookies set by the 302 reach /cookies.
    let set = hb.url("/cookies/set?flavour=oat&size=big");
    let jars = std::sync::Mutex::new(Vec::new());
    let make = || {
        let jar = CookieJar::new();
        jars.lock().unwrap().push(jar.clone());
        Some(jar)
    };
    for (name, r) in each_runtime(&make, &|| Request::get(&set).unwrap()) {
        assert_eq!(r.status(), 200, "{name}");
        assert_eq!(r.url().as_str(), hb.url("/cookies"), "{name}");
        assert_eq!(
            json_of(&r)["cookies"],
            json!({"flavour": "oat", "size": "big"}),
            "{name}"
        );
    }
    let jars = jars.into_inner().unwrap();
    assert_eq!(jars.len(), 3);
    assert!(jars.iter().all(|j| j.len() == 2));
    let set = hb.url("/cookies/set?k=v");
    let jar = CookieJar::new();
    let agent = urlrequest_std::Agent::builder()
        .cookie_jar(jar.clone())
        .build()
        .expect("client settings");
    let first = agent.send(Request::get(&set).unwrap()).unwrap();
    assert_eq!(json_of(&first)["cookies"], json!({"k": "v"}));
    // The same jar on a later request, then deleted by the server.
    let again = agent
        .send(Request::get(hb.url("/cookies")).unwrap())
        .unwrap();
    assert_eq!(json_of(&again)["cookies"], json!({"k": "v"}));
    let gone = agent
        .send(Request::get(hb.url("/cookies/delete?k")).unwrap())
        .unwrap();
    assert_eq!(json_of(&gone)["cookies"], json!({}));
    assert!(jar.is_empty());
    // Without a jar nothing is kept.
    let plain = urlrequest_std::Agent::new();
    let r = plain.send(Request::get(&set).unwrap()).unwrap();
    assert_eq!(json_of(&r)["cookies"], json!({}));
}

#[test]
fn frame_runtime_keeps_cookies_too() {
    let hb = httpbin();
    let jar = CookieJar::new();
    let client = urlrequest_frame::Client::builder()
        .cookie_jar(jar.clone())
        .build()
        .expect("client settings");
    let transfer = client.start(Request::get(hb.url("/cookies/set?f=1")).unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let response = loop {
        client.tick(std::time::Instant::now());
        if let Some(r) = std::iter::from_fn(|| transfer.poll_event()).find_map(|e| match e {
            urlrequest_core::Event::Done(r) => Some(r),
            urlrequest_core::Event::Failure(e) => panic!("frame: {e}"),
            _ => None,
        }) {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "frame request did not finish"
        );
        client.wait(Some(std::time::Duration::from_millis(50)));
    };
    assert_eq!(json_of(&response)["cookies"], json!({"f": "1"}));
}
