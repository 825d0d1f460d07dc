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
/// implementations, the runtime's `Client` (a type of its own, whose page
/// lists the shared client's methods) and `ClientBuilder`, and the names
/// `UrlRequest`, `UrlRequestBuilder`,
/// `ResultCallback`, `ErrorCallback`, `ProgressCallback`, `PlainCallback`
/// and `RequestEvents`. Doc attributes before the marker name document the
/// marker; those after `client:` document the `Client`; those after
/// `url_request:` document the `UrlRequest` alias
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
        $(#[$client_doc:meta])*
        client:
        $(#[$url_request_doc:meta])*
        url_request:
    ) => {
        $(#[$client_doc])*
        ///
        /// Its methods are those of the async client every async runtime
        /// shares ([`urlrequest_async::Client`], listed below under "Methods
        /// from Deref"): `get`, `send`, `upload`, `events`, `download`,
        /// `call`.
        #[derive(Clone, Default)]
        pub struct Client($crate::Client<$net>);

        impl Client {
            /// A client with the defaults (see [`urlrequest::ClientBuilder::new`]).
            pub fn new() -> Client {
                Client($crate::Client::new())
            }

            /// Configures a client: the builder every runtime shares.
            pub fn builder() -> ClientBuilder {
                ClientBuilder::new()
            }

            /// The process-wide client of this runtime (default settings),
            /// used by `UrlRequest`s that name no client.
            pub fn shared() -> Client {
                Client($crate::Client::shared())
            }
        }

        impl ::std::ops::Deref for Client {
            type Target = $crate::Client<$net>;

            fn deref(&self) -> &$crate::Client<$net> {
                &self.0
            }
        }

        impl ::std::borrow::Borrow<$crate::Client<$net>> for Client {
            fn borrow(&self) -> &$crate::Client<$net> {
                &self.0
            }
        }

        impl ::std::fmt::Debug for Client {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::urlrequest::BuildClient for Client {
            fn from_config(
                settings: ::urlrequest::ClientSettings,
            ) -> ::std::result::Result<Client, ::urlrequest::Error> {
                <$crate::Client<$net> as ::urlrequest::BuildClient>::from_config(settings).map(Client)
            }
        }

        impl ::urlrequest::AsyncSendRequest for Client {
            fn send_request(
                &self,
                request: ::urlrequest::Request,
            ) -> impl ::std::future::Future<
                Output = ::std::result::Result<::urlrequest::Response, ::urlrequest::Error>,
            > + Send {
                self.0.send(request)
            }
        }

        /// Configures a [`Client`]: the builder every runtime shares, with
        /// the same settings under the same names (see
        /// [`urlrequest::ClientBuilder`]).
        pub type ClientBuilder = ::urlrequest::ClientBuilder<Client>;

        $(#[$runtime_doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $runtime;

        impl ::urlrequest::Runtime for $runtime {
            type Client = Client;
            // The run dispatches after every delivery, in its task: every
            // callback runs as its event comes.
            const DEFAULT_DISPATCH: ::urlrequest::Dispatch = ::urlrequest::Dispatch::Queued;
            const DISPATCHING_THREAD: bool = false;

            fn default_client() -> Client {
                Client::shared()
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
