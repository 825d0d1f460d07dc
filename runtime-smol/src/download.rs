//! `file_path` downloads: the body goes to a temporary file next to the
//! target, renamed into place on `Done` and deleted otherwise, so the target
//! never holds a partial body. Memory stays flat whatever the body size.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use urlrequest_core::{Error, Event, Request, Response, TransportError};

use crate::driver::Driver;

/// Body bytes gathered before one write to the file: large enough that the
/// hop to the blocking pool is rare, small enough to keep memory flat.
const WRITE_AT: usize = 256 * 1024;

static PART_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The same request with body collection off, so a download never holds the
/// whole body in memory. Every field of a request can be read back, so it is
/// rebuilt through the builder; should that ever fail, the original is used.
pub(crate) fn without_collecting(request: &Request) -> Result<Request, Error> {
    if !request.collect_body() {
        return Ok(request.clone());
    }
    let mut b = Request::builder(request.url().as_str())
        .method(request.method().as_str())
        .chunk_size(request.chunk_size())
        .max_redirects(request.max_redirects())
        .decode(request.decode())
        .limits(*request.limits())
        .allow_https_to_http(request.allow_https_to_http())
        .collect_body(false);
    for (name, value) in request.headers() {
        b = b.header_bytes(name.as_str().as_bytes(), value.as_bytes());
    }
    if let Some(body) = request.body() {
        b = b.body(body.clone());
    }
    if let Some(t) = request.timeout() {
        b = b.timeout(t);
    }
    if let Some(p) = request.proxy() {
        b = b.proxy(p.clone());
    }
    Ok(b.build().unwrap_or_else(|_| request.clone()))
}

/// Drives `driver` to its end, writing `Body` events to a part file that
/// becomes `target` on `Done`. `observe` sees every non-terminal event after
/// its bytes were taken; the terminal outcome is the return value, known only
/// once the file is in place.
pub(crate) async fn to_file(
    mut driver: Driver,
    target: &Path,
    observe: &mut (dyn FnMut(&Event) + Send),
) -> Result<Response, Error> {
    let mut part = PartFile::create(target).map_err(|e| file_error(target, e))?;
    let mut pending = Vec::with_capacity(WRITE_AT);
    while let Some(event) = driver.next_event().await {
        match event {
            Event::Body(chunk) => {
                pending.extend_from_slice(&chunk);
                if pending.len() >= WRITE_AT {
                    pending = part
                        .write(pending)
                        .await
                        .map_err(|e| file_error(target, e))?;
                }
                observe(&Event::Body(chunk));
            }
            Event::Done(response) => {
                part.write(pending)
                    .await
                    .map_err(|e| file_error(target, e))?;
                part.commit().await.map_err(|e| file_error(target, e))?;
                return Ok(response);
            }
            // Dropping `part` deletes the partial file.
            Event::Failure(error) => return Err(error),
            other => observe(&other),
        }
    }
    unreachable!("the core always ends with a terminal event")
}

fn file_error(target: &Path, e: io::Error) -> Error {
    Error::Transport(TransportError::Io(format!(
        "cannot write {}: {e}",
        target.display()
    )))
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
