//! How this crate runs the shared Kivy layer: [`Smol`], its runtime (a
//! request runs in the task that awaits it), and the names an application
//! uses.

use crate::net::SmolNet;

urlrequest_async::async_runtime! {
    /// The smol runtime: async-io sockets and timers. A request runs in the
    /// task that awaits `send()`, and its callbacks run there as they happen.
    runtime: Smol,
    net: SmolNet,
    /// An HTTP client for async code on smol. Cheap to clone: clones share one
    /// keep-alive pool, one per-host limit and one TLS configuration.
    ///
    /// It starts no executor and no background task: every request does its I/O
    /// in the task that polls it, so it runs under `smol::block_on`, a
    /// `smol::Executor`, a `LocalExecutor`, or any executor with the async-io
    /// reactor available.
    ///
    /// ```no_run
    /// # smol::block_on(async {
    /// let client = urlrequest_smol::Client::new();
    /// let request = urlrequest_smol::Request::get("http://127.0.0.1:8080/")?;
    /// let response = client.send(request).await?;
    /// println!("{} {:?}", response.status(), response.bytes());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    client:
    /// One HTTP request with Kivy's callbacks and properties, run as a future
    /// (see [`urlrequest::UrlRequest`]): nothing happens until
    /// [`send`](urlrequest::UrlRequest::send) is awaited; the callbacks then
    /// run in the task that polls it.
    ///
    /// ```no_run
    /// use urlrequest_smol::{ResultValue, UrlRequest};
    /// # smol::block_on(async {
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
    /// # Ok::<(), urlrequest_smol::Error>(())
    /// # }).unwrap();
    /// ```
    url_request:
}
