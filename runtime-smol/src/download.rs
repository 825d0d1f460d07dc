//! `file_path` downloads: the body goes to a temporary file next to the
//! target, renamed into place on `Done` and deleted otherwise, so the target
//! never holds a partial body. Memory stays flat whatever the body size.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use urlrequest_core::{Event, Response};

use crate::driver::Driver;
use crate::error::Error;

/// Body bytes gathered before one write to the file: large enough that the
/// hop to the blocking pool is rare, small enough to keep memory flat.
const WRITE_AT: usize = 256 * 1024;

static PART_COUNTER: AtomicU64 = AtomicU64::new(0);

/// One download's target: its part file (created when the response head
/// arrives) and the bytes not yet written. Dropping it before
/// [`commit`](Self::commit) deletes the part file.
pub(crate) struct FileTarget {
    target: PathBuf,
    part: Option<PartFile>,
    pending: Vec<u8>,
}

impl FileTarget {
    pub(crate) fn new(target: &Path) -> FileTarget {
        FileTarget {
            target: target.to_path_buf(),
            part: None,
            pending: Vec::new(),
        }
    }

    /// Creates the part file unless it exists. Called when the head
    /// arrives, as the std runtime does: an exchange that fails before it
    /// reports its own error and leaves nothing to clean up.
    pub(crate) fn open(&mut self) -> Result<(), Error> {
        if self.part.is_none() {
            let part = PartFile::create(&self.target).map_err(|e| self.error(e))?;
            self.part = Some(part);
            self.pending.reserve(WRITE_AT);
        }
        Ok(())
    }

    /// Takes a body chunk; writes on the blocking pool once enough gathered.
    pub(crate) async fn write(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.open()?;
        self.pending.extend_from_slice(chunk);
        if self.pending.len() >= WRITE_AT {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes what is left and renames the part file over the target.
    pub(crate) async fn commit(mut self) -> Result<PathBuf, Error> {
        self.open()?;
        self.flush().await?;
        let part = self.part.as_mut().expect("opened above");
        part.commit()
            .await
            .map_err(|e| Error::file(self.target.clone(), e))?;
        Ok(self.target.clone())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        let part = self.part.as_mut().expect("callers open first");
        let data = std::mem::take(&mut self.pending);
        match part.write(data).await {
            Ok(emptied) => {
                self.pending = emptied;
                Ok(())
            }
            Err(e) => Err(self.error(e)),
        }
    }

    fn error(&self, e: io::Error) -> Error {
        Error::file(self.target.clone(), e)
    }
}

/// Drives `driver` to its end, the body going to `target`; the response
/// comes back once the file is in place.
pub(crate) async fn to_file(mut driver: Driver, target: &Path) -> Result<Response, Error> {
    let mut file = FileTarget::new(target);
    loop {
        match driver.next_or_cancelled().await {
            Event::Progress { .. } => file.open()?,
            Event::Body(chunk) => file.write(&chunk).await?,
            Event::Done(response) => {
                file.commit().await?;
                return Ok(response);
            }
            // Dropping `file` deletes the partial file.
            Event::Failure(error) => return Err(Error::Request(error)),
            Event::Redirect { .. } => {}
        }
    }
}

/// The temporary file. Deleted on drop unless committed, including when the
/// future owning it is dropped half-way.
struct PartFile {
    part: PathBuf,
    target: PathBuf,
    file: Option<File>,
    committed: bool,
}

impl PartFile {
    fn create(target: &Path) -> io::Result<PartFile> {
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?
            .to_string_lossy()
            .into_owned();
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Same directory as the target, so the final rename never crosses
        // file systems and stays atomic.
        let n = PART_COUNTER.fetch_add(1, Ordering::Relaxed);
        let part = dir.join(format!(".{name}.{}-{n}.part", std::process::id()));
        // Created inline, not on the blocking pool: if this future were
        // dropped while a pool thread created the file, nothing would be
        // left to delete it. Creating one file is a single quick call.
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part)?;
        Ok(PartFile {
            part,
            target: target.to_path_buf(),
            file: Some(file),
            committed: false,
        })
    }

    /// Writes `data` on the blocking pool; gives the emptied buffer back.
    async fn write(&mut self, mut data: Vec<u8>) -> io::Result<Vec<u8>> {
        if data.is_empty() {
            return Ok(data);
        }
        let mut file = self.file.take().ok_or_else(closed)?;
        let (file, result, data) = blocking::unblock(move || {
            let r = file.write_all(&data);
            data.clear();
            (file, r, data)
        })
        .await;
        self.file = Some(file);
        result.map(|()| data)
    }

    async fn commit(&mut self) -> io::Result<()> {
        let file = self.file.take().ok_or_else(closed)?;
        let (part, target) = (self.part.clone(), self.target.clone());
        blocking::unblock(move || {
            drop(file);
            fs::rename(part, target)
        })
        .await?;
        self.committed = true;
        Ok(())
    }
}

fn closed() -> io::Error {
    io::Error::other("the part file was lost after an earlier failure")
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed {
            // The file may still be open on the blocking pool; unlinking is
            // fine on an open file and nothing is left behind.
            let _ = fs::remove_file(&self.part);
        }
    }
}
