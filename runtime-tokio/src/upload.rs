//! Streamed request bodies from tokio's `AsyncRead`: [`TokioBody`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};
use urlrequest_async::{AsyncUpload, BodySource};
use urlrequest_core::BodyStream;

/// A tokio reader as the source of a streamed request body
/// ([`AsyncUpload`]). Made by [`upload_from_reader`] and
/// [`upload_from_file`].
#[derive(Debug)]
pub struct TokioBody<R> {
    inner: R,
    seekable: bool,
    /// A seek to the start was started and awaits completion.
    seeking: bool,
}

impl<R: AsyncRead + AsyncSeek + Send + Unpin> BodySource for TokioBody<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut self.inner).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_rewind(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.seekable {
            return Poll::Ready(Err(io::Error::other(
                "a reader cannot be read again from its start",
            )));
        }
        if !self.seeking {
            Pin::new(&mut self.inner).start_seek(io::SeekFrom::Start(0))?;
            self.seeking = true;
        }
        match Pin::new(&mut self.inner).poll_complete(cx) {
            Poll::Ready(r) => {
                self.seeking = false;
                Poll::Ready(r.map(drop))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A reader that cannot seek, for [`upload_from_reader`].
#[derive(Debug)]
pub struct NoSeek<R>(R);

impl<R: AsyncRead + Unpin> AsyncRead for NoSeek<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<R: Unpin> AsyncSeek for NoSeek<R> {
    fn start_seek(self: Pin<&mut Self>, _: io::SeekFrom) -> io::Result<()> {
        Err(io::Error::other(
            "a reader cannot be read again from its start",
        ))
    }
    fn poll_complete(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Err(io::Error::other(
            "a reader cannot be read again from its start",
        )))
    }
}

/// A body read once from a tokio `AsyncRead`; `length` when known
/// (`Content-Length`), `None` to send it chunked. A 307/308 redirect then
/// ends with the 3xx response, as the bytes are gone.
pub fn upload_from_reader(
    reader: impl AsyncRead + Send + Unpin + 'static,
    length: Option<u64>,
) -> AsyncUpload {
    AsyncUpload::new(
        TokioBody {
            inner: NoSeek(reader),
            seekable: false,
            seeking: false,
        },
        BodyStream {
            length,
            replayable: false,
        },
    )
}

/// A body of `length` bytes from a seekable tokio source (a
/// `tokio::fs::File` at its start): sent again after a 307/308 redirect.
pub fn upload_from_file(
    file: impl AsyncRead + AsyncSeek + Send + Unpin + 'static,
    length: u64,
) -> AsyncUpload {
    AsyncUpload::new(
        TokioBody {
            inner: file,
            seekable: true,
            seeking: false,
        },
        BodyStream::sized(length).replayable(),
    )
}
