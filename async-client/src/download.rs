//! `file_path` downloads: the body goes to the shared layer's
//! [`FileSink`] (a temporary file next to the target, synced and renamed
//! into place on `Done`, deleted otherwise; a FIFO or `/dev/null` written
//! straight through), so the target never holds a partial body and memory
//! stays flat whatever the body size.
//!
//! The sink writes in the task that drives the request, in buffered 64 KiB
//! writes to the page cache, and syncs once at the end. No thread pool is
//! involved: a download leaves no helper thread behind, and a dropped
//! future deletes its temporary file at once.

use std::path::{Path, PathBuf};

use urlrequest::{Error, FileSink};
use urlrequest_core::{Event, Response};

use crate::driver::Driver;
use crate::net::Net;

/// One download's target and its sink, opened when the response head
/// arrives (an exchange that fails before it leaves nothing to clean up).
/// Dropping it before [`commit`](Self::commit) deletes the temporary file.
pub(crate) struct FileTarget {
    target: PathBuf,
    sink: Option<FileSink>,
}

impl FileTarget {
    pub(crate) fn new(target: &Path) -> FileTarget {
        FileTarget {
            target: target.to_path_buf(),
            sink: None,
        }
    }

    /// Opens the sink unless it is open.
    pub(crate) fn open(&mut self) -> Result<&mut FileSink, Error> {
        if self.sink.is_none() {
            let sink = FileSink::create(&self.target).map_err(|e| self.error(e))?;
            self.sink = Some(sink);
        }
        Ok(self.sink.as_mut().expect("opened above"))
    }

    /// Takes a body chunk.
    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let result = self.open()?.write(chunk);
        result.map_err(|e| self.error(e))
    }

    /// Syncs the file and moves it into place.
    pub(crate) fn commit(mut self) -> Result<PathBuf, Error> {
        self.open()?;
        let sink = self.sink.take().expect("opened above");
        sink.commit().map_err(|e| self.error(e))
    }

    fn error(&self, e: std::io::Error) -> Error {
        Error::file(self.target.clone(), e)
    }
}

/// Drives `driver` to its end, the body going to `target`; the response
/// comes back once the file is in place.
pub(crate) async fn to_file<N: Net>(
    mut driver: Driver<N>,
    target: &Path,
) -> Result<Response, Error> {
    let mut file = FileTarget::new(target);
    loop {
        match driver.next_or_cancelled().await {
            Event::Progress { .. } => {
                file.open()?;
            }
            Event::Body(chunk) => file.write(&chunk)?,
            Event::Done(response) => {
                file.commit()?;
                return Ok(response);
            }
            // Dropping `file` deletes the partial file.
            Event::Failure(error) => return Err(Error::Request(error)),
            Event::Redirect { .. } => {}
        }
    }
}
