//! Streamed request bodies for the blocking runtimes (std, frame):
//! [`Upload`], a body read from a [`Read`] or a file while the request is
//! written.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use urlrequest_core::BodyStream;

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

enum Source {
    Reader(Box<dyn Read + Send>),
    Seekable(Box<dyn ReadSeek>),
}

type ProgressFn = Box<dyn FnMut(u64, Option<u64>) + Send>;

/// A request body streamed from a source: memory stays flat whatever its
/// size (the core asks for at most 64 KiB at a time).
///
/// From a reader the body is read once: with a known length it goes out
/// with `Content-Length` (the reader must give exactly that many bytes),
/// without one it is sent chunked. From a file the length is the file's
/// and the body can be sent again, so a 307/308 redirect is followed; with
/// a reader such a redirect is the result (the 3xx response), since its
/// bytes are gone.
///
/// With urlrequest-std (`Agent::upload` drives it):
///
/// ```text
/// let upload = Upload::from_file("big.iso")?
///     .on_progress(|sent, total| eprintln!("{sent} of {total:?} bytes"));
/// let builder = Request::builder("http://127.0.0.1:8000/put").method("PUT");
/// let response = Agent::shared().upload(builder, upload)?;
/// ```
pub struct Upload {
    source: Source,
    stream: BodyStream,
    on_progress: Option<ProgressFn>,
    /// Where a seekable source starts.
    start: u64,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("stream", &self.stream)
            .field("seekable", &matches!(self.source, Source::Seekable(_)))
            .finish()
    }
}

impl Upload {
    /// A body read once from `reader`; `length` is its size when known
    /// (`Content-Length`), `None` to send it chunked.
    pub fn from_reader(reader: impl Read + Send + 'static, length: Option<u64>) -> Upload {
        Upload {
            source: Source::Reader(Box::new(reader)),
            stream: BodyStream {
                length,
                replayable: false,
            },
            on_progress: None,
            start: 0,
        }
    }

    /// The file at `path`, its current size as `Content-Length`. The file
    /// can be read again, so a 307/308 redirect is followed.
    pub fn from_file(path: impl AsRef<Path>) -> io::Result<Upload> {
        Upload::from_open_file(File::open(path)?)
    }

    /// An open file, from its start, its size as `Content-Length`.
    pub fn from_open_file(mut file: File) -> io::Result<Upload> {
        let meta = file.metadata()?;
        if !meta.is_file() {
            // A FIFO or a device has no size to declare: read it once.
            return Ok(Upload::from_reader(file, None));
        }
        file.seek(SeekFrom::Start(0))?;
        Upload::from_seekable(file, Some(meta.len()))
    }

    /// A body read from `source`'s current position, which can start over:
    /// it is seeked back there for a 307/308 redirect. `length` when known
    /// (`Content-Length`), `None` to send it chunked.
    pub fn from_seekable(
        mut source: impl Read + Seek + Send + 'static,
        length: Option<u64>,
    ) -> io::Result<Upload> {
        let start = source.stream_position()?;
        Ok(Upload {
            source: Source::Seekable(Box::new(source)),
            stream: BodyStream {
                length,
                replayable: true,
            },
            on_progress: None,
            start,
        })
    }

    /// Calls `f(sent, total)` after each piece of the body is taken from
    /// the source, on the thread that runs the request; `sent` restarts at
    /// 0 when the body is sent again after a redirect.
    pub fn on_progress(mut self, f: impl FnMut(u64, Option<u64>) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// What the request must declare for this body
    /// ([`RequestBuilder::body_stream`](urlrequest_core::RequestBuilder::body_stream)).
    pub fn body_stream(&self) -> BodyStream {
        self.stream
    }

    /// Reads the next bytes of the body into `buf` (for a runtime's
    /// driver; `Interrupted` is retried here).
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let r = match &mut self.source {
                Source::Reader(r) => r.read(buf),
                Source::Seekable(f) => f.read(buf),
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }

    /// Goes back to the first byte (for a runtime's driver, on
    /// `Action::RewindBody`); a reader cannot.
    pub fn rewind(&mut self) -> io::Result<()> {
        match &mut self.source {
            Source::Seekable(f) => f.seek(SeekFrom::Start(self.start)).map(drop),
            Source::Reader(_) => Err(io::Error::other(
                "a reader cannot be read again from its start",
            )),
        }
    }

    /// Calls the progress callback with the exchange's
    /// `upload_progress()` (for a runtime's driver).
    pub fn report(&mut self, progress: Option<(u64, Option<u64>)>) {
        if let (Some(f), Some((sent, total))) = (self.on_progress.as_mut(), progress) {
            f(sent, total);
        }
    }
}
