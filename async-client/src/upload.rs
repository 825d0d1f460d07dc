//! Streamed request bodies for the async client: [`AsyncUpload`], a body
//! read from an async source while the request is written.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::{AsyncRead, AsyncSeek};
use urlrequest_core::BodyStream;

/// Where an [`AsyncUpload`] reads its bytes: any async reader, through
/// [`AsyncUpload::from_async_read`], or a type of a runtime's own (tokio's
/// `AsyncRead` in `urlrequest-tokio`).
pub trait BodySource: Send {
    /// Reads the next bytes into `buf`; `Ok(0)` is the end of the body.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;

    /// Goes back to the first byte, for a body sent again after a 307/308
    /// redirect. By default a source cannot.
    fn poll_rewind(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = cx;
        Poll::Ready(Err(io::Error::other(
            "this body source cannot be read again from its start",
        )))
    }

    /// Told how much of the body was taken after each read (for a source
    /// that reports progress itself). By default nothing happens.
    fn progress(self: Pin<&mut Self>, sent: u64, total: Option<u64>) {
        let _ = (sent, total);
    }
}

/// A blocking [`Upload`](urlrequest::Upload) read in the task: each read
/// blocks it for as long as the source takes (a file: briefly).
struct Blocking(urlrequest::Upload);

impl BodySource for Blocking {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.0.read(buf))
    }

    fn poll_rewind(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.rewind())
    }

    fn progress(mut self: Pin<&mut Self>, sent: u64, total: Option<u64>) {
        self.0.report(Some((sent, total)));
    }
}

struct Reader<R>(R);

impl<R: AsyncRead + Send + Unpin> BodySource for Reader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

struct Seekable<R>(R);

impl<R: AsyncRead + AsyncSeek + Send + Unpin> BodySource for Seekable<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }

    fn poll_rewind(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0)
            .poll_seek(cx, io::SeekFrom::Start(0))
            .map_ok(drop)
    }
}

type ProgressFn = Box<dyn FnMut(u64, Option<u64>) + Send>;

/// A request body streamed from an async source: memory stays flat
/// whatever its size (the core asks for at most 64 KiB at a time). With a
/// known length it goes with `Content-Length` (the source must give exactly
/// that many bytes), otherwise chunked. A 307/308 redirect is followed only
/// for a source that can start over ([`from_async_file`](Self::from_async_file));
/// otherwise the 3xx response is the result.
pub struct AsyncUpload {
    pub(crate) source: Pin<Box<dyn BodySource>>,
    stream: BodyStream,
    on_progress: Option<ProgressFn>,
}

impl fmt::Debug for AsyncUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncUpload")
            .field("stream", &self.stream)
            .finish()
    }
}

impl AsyncUpload {
    /// A body from `source`, described by `stream` (its length when known,
    /// and whether the source can start over).
    pub fn new(source: impl BodySource + 'static, stream: BodyStream) -> AsyncUpload {
        AsyncUpload {
            source: Box::pin(source),
            stream,
            on_progress: None,
        }
    }

    /// A body read once from an async reader (`futures_io::AsyncRead`, as
    /// smol's types are); `length` when known, `None` to send it chunked.
    pub fn from_async_read(
        reader: impl AsyncRead + Send + Unpin + 'static,
        length: Option<u64>,
    ) -> AsyncUpload {
        AsyncUpload::new(
            Reader(reader),
            BodyStream {
                length,
                replayable: false,
            },
        )
    }

    /// A body from a seekable async source of `length` bytes from its
    /// current start (an `async_fs::File`): sent again from its start after
    /// a 307/308 redirect.
    pub fn from_async_file(
        file: impl AsyncRead + AsyncSeek + Send + Unpin + 'static,
        length: u64,
    ) -> AsyncUpload {
        AsyncUpload::new(Seekable(file), BodyStream::sized(length).replayable())
    }

    /// A blocking [`Upload`](urlrequest::Upload) (a reader, a file) read in
    /// the task that runs the request, its progress callback included; each
    /// read blocks the task for as long as the source takes. How a
    /// Kivy-style `UrlRequest`'s `upload` runs on the async runtimes.
    pub fn from_blocking(upload: urlrequest::Upload) -> AsyncUpload {
        let stream = upload.body_stream();
        AsyncUpload::new(Blocking(upload), stream)
    }

    /// Calls `f(sent, total)` after each piece of the body is taken from
    /// the source, in the task that runs the request; `sent` restarts at 0
    /// when the body is sent again after a redirect.
    pub fn on_progress(mut self, f: impl FnMut(u64, Option<u64>) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// What the request must declare for this body.
    pub fn body_stream(&self) -> BodyStream {
        self.stream
    }

    pub(crate) fn report(&mut self, progress: Option<(u64, Option<u64>)>) {
        let Some((sent, total)) = progress else {
            return;
        };
        if let Some(f) = self.on_progress.as_mut() {
            f(sent, total);
        }
        self.source.as_mut().progress(sent, total);
    }
}
