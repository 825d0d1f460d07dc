//! [`async_runtime!`](crate::async_runtime): what each async runtime crate
//! declares for the shared Kivy layer, written once. A runtime crate names
//! its marker type and its [`Net`](crate::Net); the macro makes the
//! `Runtime` and `AsyncRuntime` implementations (requests run in the task
//! that awaits `send()`, with the process-wide client of that `Net` unless
//! the builder names one) and the type names an application uses
//! (`UrlRequest`, `UrlRequestBuilder`, the callback types,
//! `RequestEvents`).

/// Declares an async runtime of the shared Kivy layer over a [`Net`]
/// implementation: the marker type, its `Runtime` and `AsyncRuntime`
/// implementations, and the names `UrlRequest`, `UrlRequestBuilder`,
/// `ResultCallback`, `ErrorCallback`, `ProgressCallback`, `PlainCallback`
/// and `RequestEvents`. Doc attributes before the marker name document the
/// marker; those after `url_request:` document the `UrlRequest` alias
/// (where a runtime shows how its requests are run).
///
/// The crate that calls it depends on `urlrequest` (the Kivy layer).
///
/// [`Net`]: crate::Net
#[macro_export]
macro_rules! async_runtime {
    (
        $(#[$runtime_doc:meta])*
        runtime: $runtime:ident,
        net: $net:ty,
        $(#[$url_request_doc:meta])*
        url_request:
    ) => {
        $(#[$runtime_doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $runtime;

        impl ::urlrequest::Runtime for $runtime {
            type Client = $crate::Client<$net>;
            // The run dispatches after every delivery, in its task: nothing
            // waits in the queue, so nothing is merged.
            const DEFAULT_DISPATCH: ::urlrequest::Dispatch = ::urlrequest::Dispatch::Queued;
            const DISPATCHING_THREAD: bool = false;

            fn default_client() -> $crate::Client<$net> {
                $crate::Client::shared()
            }

            fn on_build(_request: &::urlrequest::UrlRequest<Self>, _autostart: bool) {
                // Runs when `send()` is awaited.
            }
        }

        impl ::urlrequest::AsyncRuntime for $runtime {
            type Events = $crate::RequestEvents<$net>;

            fn events(
                job: ::urlrequest::Job<Self>,
            ) -> impl ::std::future::Future<
                Output = ::std::result::Result<$crate::RequestEvents<$net>, ::urlrequest::Error>,
            > + Send {
                $crate::job_events(job)
            }
        }

        /// One `UrlRequest`'s events, as the shared layer reads them.
        pub type RequestEvents = $crate::RequestEvents<$net>;

        $(#[$url_request_doc])*
        pub type UrlRequest = ::urlrequest::UrlRequest<$runtime>;

        /// Describes a [`UrlRequest`] (see [`urlrequest::UrlRequestBuilder`]).
        pub type UrlRequestBuilder = ::urlrequest::UrlRequestBuilder<$runtime>;

        /// Callback given the request and its result (`on_success`,
        /// `on_redirect`, `on_failure`).
        pub type ResultCallback = ::urlrequest::ResultCallback<UrlRequest>;
        /// Callback given the request and the error (`on_error`).
        pub type ErrorCallback = ::urlrequest::ErrorCallback<UrlRequest>;
        /// Callback given the request, bytes received and the total when
        /// known (`on_progress`).
        pub type ProgressCallback = ::urlrequest::ProgressCallback<UrlRequest>;
        /// Callback given only the request (`on_cancel`, `on_finish`).
        pub type PlainCallback = ::urlrequest::PlainCallback<UrlRequest>;
    };
}
