//! How this crate runs the shared Kivy layer: [`Tokio`], its runtime (a
//! request runs in the task that awaits it), and the names an application
//! uses.

use crate::net::TokioNet;

urlrequest_async::async_runtime! {
    /// The tokio runtime: tokio sockets and timers. A request runs in the
    /// task that awaits `send()`, and its callbacks run there as they happen;
    /// nothing is spawned.
    runtime: Tokio,
    net: TokioNet,
    /// An HTTP client for async code on tokio. Cheap to clone: clones share one
    /// keep-alive pool, one per-host limit and one TLS configuration.
    ///
    /// It starts no runtime and spawns no task: every request does its I/O in
    /// the task that polls it, on a current-thread or multi-thread runtime.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = urlrequest_tokio::Client::builder()
    ///     .per_host_limit(8)
    ///     .build()?;
    /// let response = client
    ///     .send(urlrequest_tokio::Request::get("http://127.0.0.1:8080/")?)
    ///     .await?;
    /// println!("{} {:?}", response.status(), response.bytes());
    /// # Ok(())
    /// # }
    /// ```
    client:
    /// One HTTP request with Kivy's callbacks and properties, run as a future
    /// (see [`urlrequest::UrlRequest`]): nothing happens until
    /// [`send`](urlrequest::UrlRequest::send) is awaited; the callbacks then
    /// run in the task that polls it.
    ///
    /// ```no_run
    /// use urlrequest_tokio::{ResultValue, UrlRequest};
    /// # async fn run() -> Result<(), urlrequest_tokio::Error> {
    /// let req = UrlRequest::builder("http://127.0.0.1:8000/data.json")
    ///     .on_progress(|_req, done, total| println!("{done} of {total:?}"))
    ///     .on_success(|req, result| {
    ///         if let ResultValue::Json(v) = result {
    ///             println!("{} gave {v}", req.url());
    ///         }
    ///     })
    ///     .on_error(|_req, error| eprintln!("failed: {error}"))
    ///     .build()?;
    /// let _ = req.send().await; // the callbacks run here, in this task
    /// assert!(req.is_finished());
    /// # Ok(())
    /// # }
    /// ```
    url_request:
}
