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
