//! Kivy's own `UrlRequest` tests, ported: the behaviour each test of
//! Kivy's `test_urlrequest_urllib.py` (13 tests) and of the `TestCallbacks`
//! class of `test_urlrequest_requests.py` (14 tests) checks, against local
//! servers serving the bodies those tests expect (`kivy_suite` module).
//! Each check is written once and run through every way of running a
//! request (`KivyLoop`: std with `wait`, std with Kivy's `is_finished`
//! loop, smol, tokio, frame): one test per check and loop, named
//! `<loop>::<check>`, so `cargo test --test kivy_suite std_tick::` runs a
//! column.
//!
//! The `differs_*` checks are the places where urlrequest differs from
//! Kivy on purpose (listed with their reasons in `conformance/README.md`):
//! each asserts our behaviour where Kivy's would fail or differ.

use urlrequest::ResultValue;
use urlrequest_conformance::kivy_suite::{
    basic, blob_body, run_kivy, Args, Cb, KivyLoop, KivyServers, KivySpec, Ran, BASIC_USER,
    EXAMPLE_USER, GET_BODY, POST_BODY,
};

use Cb::{Error, Failure, Finish, Progress, Redirect, Success};

fn run(spec: &KivySpec, how: KivyLoop) -> Ran {
    let ran = run_kivy(spec, how).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        ran.all_on_loop_thread(),
        "a callback ran on another thread: {:?}",
        ran.events
    );
    assert!(ran.props.finished, "is_finished after the loop: {ran:?}");
    ran
}

/// Kivy's shape for a response read with `on_progress`: progress updates
/// then one outcome in `outcomes`; the first update at 0, the one right
/// before the outcome with everything received.
fn progress_then(ran: &Ran, outcomes: &[&str]) {
    let names = ran.names();
    assert!(names.len() >= 3, "{names:?}");
    assert_eq!(names[0], "progress", "{names:?}");
    assert_eq!(names[names.len() - 2], "progress", "{names:?}");
    assert!(outcomes.contains(names.last().unwrap()), "{names:?}");
    let progress = ran.progress();
    assert_eq!(progress[0].0, 0, "{progress:?}");
    let (received, total) = *progress.last().unwrap();
    assert_eq!(Some(received), total, "{progress:?}");
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

// --- test_urlrequest_urllib.py ---

fn urllib_callbacks(how: KivyLoop) {
    let s = KivyServers::start();
    let spec = KivySpec::new(s.url("/get"), &[Success, Progress, Error, Redirect]).chunk_size(512);
    let ran = run(&spec, how);
    progress_then(&ran, &["success", "redirect"]);
    // Every update, in order, the last one repeated, as Kivy reports them.
    let mut want: Vec<_> = (0..=8).map(|i| (i * 512, Some(4096))).collect();
    want.push((4096, Some(4096)));
    assert_eq!(ran.progress(), want);
}

fn urllib_auth_header(how: KivyLoop) {
    let s = KivyServers::start();
    let spec = KivySpec::new(
        s.url("/basic-auth/user/passwd"),
        &[Success, Progress, Error, Redirect],
    )
    .header("Authorization", &basic(BASIC_USER.0, BASIC_USER.1));
    let ran = run(&spec, how);
    progress_then(&ran, &["success", "redirect"]);
    assert_eq!(
        ran.last_result().and_then(ResultValue::as_json),
        Some(&json(r#"{"authenticated": true, "user": "user"}"#))
    );
}

fn urllib_auth_auto(how: KivyLoop) {
    let s = KivyServers::start();
    let url = s.url("/basic-auth/user/passwd").replace(
        "http://",
        &format!("http://{}:{}@", BASIC_USER.0, BASIC_USER.1),
    );
    let spec = KivySpec::new(url, &[Success, Progress, Error, Redirect]);
    let ran = run(&spec, how);
    progress_then(&ran, &["success", "redirect"]);
    assert_eq!(
        ran.last_result().and_then(ResultValue::as_json),
        Some(&json(r#"{"authenticated": true, "user": "user"}"#))
    );
}

fn urllib_ca_file(https: bool, how: KivyLoop) {
    let s = KivyServers::start();
    let url = if https {
        s.https_url("/get")
    } else {
        s.url("/get")
    };
    let spec = KivySpec::new(url, &[Success, Progress, Error, Redirect])
        .ca_file()
        .chunk_size(512);
    let ran = run(&spec, how);
    progress_then(&ran, &["success", "redirect"]);
    assert_eq!(
        ran.last_result().and_then(ResultValue::as_bytes).cloned(),
        Some(GET_BODY.to_vec().into())
    );
}

fn urllib_ca_file_http(how: KivyLoop) {
    urllib_ca_file(false, how)
}

fn urllib_ca_file_https(how: KivyLoop) {
    urllib_ca_file(true, how)
}

fn urllib_on_finish(how: KivyLoop) {
    let s = KivyServers::start();
    let ran = run(&KivySpec::new(s.url("/ok"), &[Success, Finish]), how);
    assert_eq!(ran.names(), ["success", "finish"]);
}

fn urllib_on_redirect(how: KivyLoop) {
    // Kivy's urllib backend never follows a redirect; ours does unless
    // told not to (see `differs_redirects_are_followed_by_default`).
    let s = KivyServers::start();
    let spec = KivySpec::new(
        s.url("/redirect"),
        &[Success, Progress, Error, Redirect, Failure],
    )
    .max_redirects(0);
    let ran = run(&spec, how);
    progress_then(&ran, &["redirect"]);
    assert!(matches!(
        ran.props.status,
        Some(301 | 302 | 303 | 307 | 308)
    ));
}

fn urllib_on_failure(how: KivyLoop) {
    let s = KivyServers::start();
    let spec = KivySpec::new(
        s.url("/missing"),
        &[Success, Progress, Error, Redirect, Failure],
    )
    .chunk_size(64);
    let ran = run(&spec, how);
    progress_then(&ran, &["failure"]);
    assert_eq!(ran.props.status, Some(404));
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn urllib_on_error(how: KivyLoop) {
    let url = format!("http://127.0.0.1:{}/get", closed_port());
    let spec = KivySpec::new(url, &[Success, Progress, Error, Redirect, Failure]);
    let ran = run(&spec, how);
    assert_eq!(ran.names(), ["error"]);
    // Kivy: an OSError; here the connection failure.
    assert_eq!(ran.error.as_ref().map(|e| e.kind_name()), Some("connect"));
}

fn urllib_post(how: KivyLoop) {
    let s = KivyServers::start();
    let spec = KivySpec::new(s.url("/submit"), &[Success, Finish]).body(POST_BODY);
    let ran = run(&spec, how);
    assert_eq!(ran.names(), ["success", "finish"]);
    assert_eq!(ran.props.status, Some(200));
}

fn urllib_decode_json(how: KivyLoop) {
    let s = KivyServers::start();
    let ran = run(&KivySpec::new(s.url("/data"), &[Success]), how);
    assert_eq!(ran.names(), ["success"]);
    assert_eq!(
        ran.last_result().and_then(ResultValue::as_json),
        Some(&json(r#"{"a": 1, "b": [2, 3]}"#))
    );
}

fn urllib_decode_disabled(how: KivyLoop) {
    let s = KivyServers::start();
    let ran = run(
        &KivySpec::new(s.url("/data"), &[Success]).decode(false),
        how,
    );
    assert_eq!(ran.names(), ["success"]);
    // Kivy gives a `str` here; ours is bytes (see
    // `differs_result_type_does_not_depend_on_on_progress`), never parsed.
    let Some(ResultValue::Bytes(bytes)) = ran.last_result() else {
        panic!("not bytes: {:?}", ran.last_result());
    };
    let text = std::str::from_utf8(bytes).unwrap();
    assert_eq!(json(text), json(r#"{"a": 1, "b": [2, 3]}"#));
}

fn urllib_file_path(how: KivyLoop) {
    let s = KivyServers::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("response.bin");
    let spec = KivySpec::new(s.url("/blob"), &[Success, Progress])
        .file_path(out.clone())
        .chunk_size(64);
    let ran = run(&spec, how);
    assert_eq!(ran.names().last(), Some(&"success"));
    assert_eq!(std::fs::read(&out).unwrap(), blob_body());
}

// --- test_urlrequest_requests.py, class TestCallbacks ---

fn requests_outcome(path: &str, callbacks: &[Cb], want: &[&str], how: KivyLoop) {
    let s = KivyServers::start();
    let ran = run(&KivySpec::new(s.url(path), callbacks), how);
    assert_eq!(ran.names(), want);
}

fn requests_on_success(how: KivyLoop) {
    requests_outcome("/json-200", &[Success], &["success"], how)
}

fn requests_on_success_with_finish(how: KivyLoop) {
    requests_outcome("/json-200", &[Success, Finish], &["success", "finish"], how)
}

fn requests_on_redirect(how: KivyLoop) {
    requests_outcome("/json-301", &[Redirect], &["redirect"], how)
}

fn requests_on_redirect_with_finish(how: KivyLoop) {
    requests_outcome(
        "/json-301",
        &[Redirect, Finish],
        &["redirect", "finish"],
        how,
    )
}

fn requests_on_error(how: KivyLoop) {
    requests_outcome("/raise", &[Error], &["error"], how)
}

fn requests_on_error_with_finish(how: KivyLoop) {
    requests_outcome("/raise", &[Error, Finish], &["error", "finish"], how)
}

fn requests_on_failure(how: KivyLoop) {
    requests_outcome("/json-400", &[Failure], &["failure"], how)
}

fn requests_on_failure_with_finish(how: KivyLoop) {
    requests_outcome("/json-400", &[Failure, Finish], &["failure", "finish"], how)
}

fn requests_on_progress(how: KivyLoop) {
    let s = KivyServers::start();
    let ran = run(
        &KivySpec::new(s.url("/x100"), &[Progress]).chunk_size(70),
        how,
    );
    // The head's 0, two chunks, and the last update again at the end.
    assert_eq!(
        ran.progress(),
        [
            (0, Some(100)),
            (70, Some(100)),
            (100, Some(100)),
            (100, Some(100))
        ]
    );
    assert_eq!(ran.names(), ["progress"; 4]);
}

fn requests_on_progress_with_finish(how: KivyLoop) {
    let s = KivyServers::start();
    let ran = run(
        &KivySpec::new(s.url("/x100"), &[Progress, Finish]).chunk_size(70),
        how,
    );
    assert_eq!(
        ran.names(),
        ["progress", "progress", "progress", "progress", "finish"]
    );
}

fn requests_on_finish(how: KivyLoop) {
    requests_outcome("/json-400", &[Finish], &["finish"], how)
}

fn requests_auth_header(how: KivyLoop) {
    let s = KivyServers::start();
    let spec = KivySpec::new(s.url("/auth-400"), &[Finish])
        .header("Authorization", &basic(EXAMPLE_USER.0, EXAMPLE_USER.1))
        .auth(EXAMPLE_USER.0, EXAMPLE_USER.1);
    let ran = run(&spec, how);
    assert_eq!(ran.names(), ["finish"]);
    // The server answers 400 only with the credentials (500 without).
    assert_eq!(ran.props.status, Some(400));
}

fn requests_ca_file(https: bool, how: KivyLoop) {
    let s = KivyServers::start();
    let url = if https {
        s.https_url("/json-400")
    } else {
        s.url("/json-400")
    };
    let ran = run(&KivySpec::new(url, &[Finish]).ca_file(), how);
    assert_eq!(ran.names(), ["finish"]);
    assert_eq!(ran.props.status, Some(400));
}

fn requests_ca_file_http(how: KivyLoop) {
    requests_ca_file(false, how)
}

fn requests_ca_file_https(how: KivyLoop) {
    requests_ca_file(true, how)
}

// --- Kivy's model of properties, which its wait loops rely on ---

fn properties_change_when_their_callbacks_run(how: KivyLoop) {
    let s = KivyServers::start();
    let spec = KivySpec::new(s.url("/x100"), &[Progress, Success, Finish]).chunk_size(70);
    let ran = run(&spec, how);
    for seen in &ran.events {
        let outcome_seen = seen.name != "progress";
        // The head is there from the first update; is_finished and the
        // result from the outcome callback on, as Kivy sets them.
        assert_eq!(seen.props.status, Some(200), "{seen:?}");
        assert_eq!(seen.props.finished, outcome_seen, "{seen:?}");
        assert_eq!(seen.props.has_result, outcome_seen, "{seen:?}");
    }
    assert_eq!(ran.names().last(), Some(&"finish"));
}

fn repeat_final_progress_can_be_turned_off(how: KivyLoop) {
    let s = KivyServers::start();
    let spec = KivySpec::new(s.url("/x100"), &[Progress])
        .chunk_size(70)
        .repeat_final_progress(false);
    let ran = run(&spec, how);
    assert_eq!(
        ran.progress(),
        [(0, Some(100)), (70, Some(100)), (100, Some(100))]
    );
}

// --- Where urlrequest differs from Kivy on purpose ---

/// Kivy #6522: Kivy's `wait()` loops until `resp_status` is set, which a
/// connection error never does. Here every loop ends (std's `wait`
/// included: the `StdWait` column is `wait`), with the error reported.
fn differs_a_connection_error_ends_the_wait(how: KivyLoop) {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let ran = run(&KivySpec::new(url, &[Error, Finish]), how);
    assert_eq!(ran.names(), ["error", "finish"]);
    assert!(ran.props.finished && ran.props.has_error);
    assert_eq!(ran.props.status, None);
}

/// Kivy's cancel path (`on_cancel`) never sets `is_finished`, so Kivy's
/// own `while not req.is_finished` loop never ends after a cancel. Here a
/// cancelled request is finished when `on_cancel` runs.
fn differs_a_cancelled_request_is_finished(how: KivyLoop) {
    let s = KivyServers::start();
    let spec = KivySpec::new(s.url("/stall"), &[Progress, Cb::Cancel, Success, Finish])
        .chunk_size(512)
        .cancel_at(512);
    let ran = run(&spec, how);
    assert_eq!(ran.names(), ["progress", "progress", "cancel", "finish"]);
    assert_eq!(ran.progress(), [(0, Some(4096)), (512, Some(4096))]);
    let cancel = &ran.events[2];
    assert!(cancel.props.finished, "{cancel:?}");
    assert!(ran.error.as_ref().is_some_and(|e| e.is_cancelled()));
}

/// Kivy's result with `decode=False` is a `str` without `on_progress` and
/// `bytes` with it; here it is the same `ResultValue::Bytes` either way.
fn differs_result_type_does_not_depend_on_on_progress(how: KivyLoop) {
    let s = KivyServers::start();
    let plain = run(&KivySpec::new(s.url("/ok"), &[Success]).decode(false), how);
    let with_progress = run(
        &KivySpec::new(s.url("/ok"), &[Success, Progress]).decode(false),
        how,
    );
    let want = ResultValue::Bytes("ok".into());
    assert_eq!(plain.last_result(), Some(&want));
    assert_eq!(with_progress.last_result(), Some(&want));
}

/// Kivy's urllib backend never follows a redirect (its requests backend
/// does): here redirects are followed by default, up to 10, and
/// `max_redirects(0)` gives urllib's `on_redirect`.
fn differs_redirects_are_followed_by_default(how: KivyLoop) {
    let s = KivyServers::start();
    let ran = run(
        &KivySpec::new(s.url("/redirect"), &[Success, Redirect, Failure]),
        how,
    );
    assert_eq!(ran.names(), ["success"]);
    assert!(
        matches!(&ran.events[0].args, Args::Result(ResultValue::Bytes(b)) if b.as_ref() == b"moved here")
    );
}

/// One test per check and loop: `<loop>::<check>`.
macro_rules! kivy_suite {
    ($($check:ident),* $(,)?) => {
        kivy_suite!(@loop std_wait, StdWait, $($check),*);
        kivy_suite!(@loop std_tick, StdTick, $($check),*);
        kivy_suite!(@loop smol, Smol, $($check),*);
        kivy_suite!(@loop tokio, Tokio, $($check),*);
        kivy_suite!(@loop frame, Frame, $($check),*);
    };
    (@loop $module:ident, $how:ident, $($check:ident),*) => {
        mod $module {
            $(
                #[test]
                fn $check() {
                    super::$check(super::KivyLoop::$how)
                }
            )*
        }
    };
}

kivy_suite!(
    // test_urlrequest_urllib.py: 13 tests (test_ca_file for http and https).
    urllib_callbacks,
    urllib_auth_header,
    urllib_auth_auto,
    urllib_ca_file_http,
    urllib_ca_file_https,
    urllib_on_finish,
    urllib_on_redirect,
    urllib_on_failure,
    urllib_on_error,
    urllib_post,
    urllib_decode_json,
    urllib_decode_disabled,
    urllib_file_path,
    // test_urlrequest_requests.py, TestCallbacks: 14 tests.
    requests_on_success,
    requests_on_success_with_finish,
    requests_on_redirect,
    requests_on_redirect_with_finish,
    requests_on_error,
    requests_on_error_with_finish,
    requests_on_failure,
    requests_on_failure_with_finish,
    requests_on_progress,
    requests_on_progress_with_finish,
    requests_on_finish,
    requests_auth_header,
    requests_ca_file_http,
    requests_ca_file_https,
    // Kivy's property model.
    properties_change_when_their_callbacks_run,
    repeat_final_progress_can_be_turned_off,
    // Intended differences.
    differs_a_connection_error_ends_the_wait,
    differs_a_cancelled_request_is_finished,
    differs_result_type_does_not_depend_on_on_progress,
    differs_redirects_are_followed_by_default,
);
