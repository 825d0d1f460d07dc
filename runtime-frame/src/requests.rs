//! The request API every runtime offers (`get`, `send`, `upload`,
//! `events`, `download`), in the frame loop's form: each starts at the
//! next tick and returns a handle polled after ticks, so the loop never
//! blocks on a request.

use std::path::Path;

use urlrequest::{Call, Error, Upload};
use urlrequest_core::{Request, RequestBuilder, Response};

use crate::call::CallHandle;
use crate::client::Client;
use crate::transfer::{DownloadSink, Transfer};

impl Client {
    /// GETs `url`: the handle gives the final response after the tick that
    /// ends it (see [`send`](Self::send)).
    pub fn get(&self, url: &str) -> Result<CallHandle<Response>, Error> {
        Ok(self.send(Request::get(url)?))
    }

    /// Sends `request` at the next tick; the handle gives the final
    /// response, whatever its status, after the tick that ends it.
    ///
    /// ```no_run
    /// use std::time::Instant;
    /// use urlrequest_frame::{Client, Request};
    ///
    /// let client = Client::new();
    /// let mut response = client.send(Request::get("http://127.0.0.1:8000/")?);
    /// loop {
    ///     client.tick(Instant::now());
    ///     if let Some(result) = response.poll() {
    ///         println!("{}", result?.status());
    ///         break;
    ///     }
    ///     // ... update and draw the frame ...
    /// #   client.wait(None);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(&self, request: Request) -> CallHandle<Response> {
        self.start_call(Call::response(request))
    }

    /// Sends the request of `builder` with a body streamed from `upload`
    /// (read on the ticking thread, within the tick's budget); the
    /// builder's body, if any, is replaced. See [`Upload`] for lengths and
    /// redirects.
    pub fn upload(
        &self,
        builder: RequestBuilder,
        upload: Upload,
    ) -> Result<CallHandle<Response>, Error> {
        let transfer = self.start_upload(builder, upload)?;
        Ok(CallHandle::new(transfer, Box::new(Ok)))
    }

    /// The core's events for `request`, queued in the returned
    /// [`Transfer`] tick by tick. **The body is streamed, not collected**:
    /// it arrives only in the `Body` events and `Done` has no body, as in
    /// every runtime's `events` ([`start`](Self::start) runs a request
    /// exactly as built).
    pub fn events(&self, mut request: Request) -> Transfer {
        request.set_collect_body(false);
        self.start(request)
    }

    /// Streams the body into the file at `path`, a tick's budget at a
    /// time: into a temporary file in the same directory, renamed to
    /// `path` only when the exchange completes (`Done`, whatever the
    /// status), deleted on failure. The handle gives the response (with no
    /// body: its content is the file) once the file is in place; a file
    /// that cannot be written is [`Error::File`]. The final sync and
    /// rename happen inside the tick that ends the download.
    pub fn download(&self, mut request: Request, path: impl AsRef<Path>) -> CallHandle<Response> {
        request.set_collect_body(false);
        let (sink, transfer) = DownloadSink::new(path.as_ref());
        self.submit_plain(request, &transfer, Box::new(sink), None);
        CallHandle::new(transfer, Box::new(Ok))
    }
}
