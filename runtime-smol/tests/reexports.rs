//! Both runtime crates name the core's everyday types the same way, so code
//! moves between them by changing the crate name only, and neither needs a
//! serde_json or http of its own.

use std::marker::PhantomData;

/// Compiles only when both arguments are the same type.
fn same<T>(_: PhantomData<T>, _: PhantomData<T>) {}

macro_rules! same_in_both {
    ($($name:ident),* $(,)?) => {
        $(same(
            PhantomData::<urlrequest_std::$name>,
            PhantomData::<urlrequest_smol::$name>,
        );)*
    };
}

#[test]
fn both_runtimes_reexport_the_same_core_types() {
    same_in_both!(
        Event,
        Exchange,
        Transcript,
        Request,
        RequestBuilder,
        Response,
        ResponseBody,
        BodyError,
        BuildError,
        Limits,
        Phase,
        Proxy,
        TransportError,
        Error,
        FileSink,
        ResultValue,
        CancelHandle,
    );
    same(
        PhantomData::<urlrequest_std::serde_json::Value>,
        PhantomData::<urlrequest_smol::serde_json::Value>,
    );
    same(
        PhantomData::<urlrequest_std::http::HeaderMap>,
        PhantomData::<urlrequest_smol::http::HeaderMap>,
    );
    let line: fn(&urlrequest_std::Event) -> String = urlrequest_std::trace_line;
    let line_smol: fn(&urlrequest_smol::Event) -> String = urlrequest_smol::trace_line;
    let event = urlrequest_std::Event::Progress {
        received: 1,
        total: None,
    };
    assert_eq!(line(&event), line_smol(&event));
    assert_eq!(
        urlrequest_std::DEFAULT_MAX_COLLECTED_BODY,
        urlrequest_smol::DEFAULT_MAX_COLLECTED_BODY
    );
    // The re-exported serde_json is the one `Response::json` works with.
    let v: urlrequest_smol::serde_json::Value = urlrequest_std::serde_json::json!([1]);
    assert_eq!(v[0], 1);
}
