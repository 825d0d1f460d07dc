//! [`FileTarget`]: a download's file, the same in every runtime. The body
//! goes to the shared [`FileSink`] (a temporary file next to the target,
//! synced and renamed into place on `Done`, deleted otherwise; a FIFO or
//! `/dev/null` written straight through), so the target never holds a
//! partial body and memory stays flat whatever the body size.

use std::path::{Path, PathBuf};

use urlrequest_core::{Event, Response};

use crate::error::Error;
use crate::file_sink::FileSink;

/// One download's target and its sink, opened when the response head
/// arrives (an exchange that fails before it leaves nothing to clean up).
/// Dropping it before the end deletes the temporary file.
#[derive(Debug)]
pub struct FileTarget {
    target: PathBuf,
    sink: Option<FileSink>,
}

impl FileTarget {
    /// A download to `target`; nothing is created yet.
    pub fn new(target: &Path) -> FileTarget {
        FileTarget {
            target: target.to_path_buf(),
            sink: None,
        }
    }

    /// Takes one event of the download's exchange (whose request does not
    /// collect its body): `Ok(Some(response))` once the file is in place,
    /// `Ok(None)` to go on, `Err` when the exchange failed (the partial
    /// file is deleted) or the file could not be written (stop the
    /// exchange).
    pub fn event(&mut self, event: Event) -> Result<Option<Response>, Error> {
        match event {
            Event::Progress { .. } => {
                self.open()?;
            }
            Event::Body(chunk) => {
                let written = self.open()?.write(&chunk);
                written.map_err(|e| self.error(e))?;
            }
            Event::Done(response) => {
                self.open()?;
                let sink = self.sink.take().expect("opened above");
                sink.commit().map_err(|e| self.error(e))?;
                return Ok(Some(response));
            }
            Event::Failure(error) => {
                // Dropping the sink deletes the partial file.
                self.sink = None;
                return Err(Error::Request(error));
            }
            Event::Redirect { .. } => {}
        }
        Ok(None)
    }

    fn open(&mut self) -> Result<&mut FileSink, Error> {
        if self.sink.is_none() {
            let sink = FileSink::create(&self.target).map_err(|e| self.error(e))?;
            self.sink = Some(sink);
        }
        Ok(self.sink.as_mut().expect("opened above"))
    }

    fn error(&self, e: std::io::Error) -> Error {
        Error::file(self.target.clone(), e)
    }
}
