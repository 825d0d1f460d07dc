//! Where a `file_path` download goes: a temporary file beside the target,
//! renamed over it only when the exchange completed. A failed, cancelled or
//! abandoned download removes the temporary file and leaves the target as
//! it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A download target that appears only when complete.
///
/// Bytes go to a hidden temporary file in the target's directory;
/// [`commit`](Self::commit) syncs it and renames it over the target.
/// Dropping the sink without committing removes the temporary file, so a
/// failed or cancelled download leaves an existing target untouched and no
/// debris. A target that exists and is not a regular file (`/dev/null`, a
/// FIFO) is written straight through instead.
///
/// ```
/// let path = std::env::temp_dir().join(format!("filesink-doc-{}", std::process::id()));
/// let mut sink = urlrequest::FileSink::create(&path)?;
/// sink.write(b"hello")?;
/// assert!(!path.exists()); // not there until committed
/// sink.commit()?;
/// assert_eq!(std::fs::read(&path)?, b"hello");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FileSink {
    target: PathBuf,
    /// `Some` for the atomic mode: the temporary file to rename.
    temp: Option<PathBuf>,
    out: Option<BufWriter<File>>,
}

impl FileSink {
    /// Opens the sink for `target`. A target that exists and is not a
    /// regular file (a FIFO, `/dev/null`, a terminal) is written straight
    /// through: renaming over it would replace the device with a file.
    pub fn create(target: &Path) -> io::Result<FileSink> {
        match fs::metadata(target) {
            Ok(m) if m.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the path is a directory",
                ))
            }
            Ok(m) if !m.is_file() => {
                let file = OpenOptions::new().write(true).open(target)?;
                return Ok(FileSink {
                    target: target.to_path_buf(),
                    temp: None,
                    out: Some(BufWriter::with_capacity(64 * 1024, file)),
                });
            }
            _ => {}
        }
        let temp = temp_path(target)?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        Ok(FileSink {
            target: target.to_path_buf(),
            temp: Some(temp),
            out: Some(BufWriter::with_capacity(64 * 1024, file)),
        })
    }

    /// Appends body bytes.
    pub fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.out {
            Some(out) => out.write_all(data),
            None => Err(io::Error::other("download file already closed")),
        }
    }

    /// The download is complete: flush, sync and move it into place.
    /// Returns the target path.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        let out = self
            .out
            .take()
            .ok_or_else(|| io::Error::other("download file already closed"))?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        if let Some(temp) = self.temp.take() {
            // Synced before the rename so that the name never points at a
            // file whose data is still only in the page cache.
            let renamed = file
                .sync_all()
                .and_then(|()| fs::rename(&temp, &self.target));
            if let Err(e) = renamed {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        }
        Ok(self.target.clone())
    }
}

impl Drop for FileSink {
    fn drop(&mut self) {
        self.out = None;
        if let Some(temp) = self.temp.take() {
            let _ = fs::remove_file(temp);
        }
    }
}

/// A fresh hidden name in the target's directory, so the final rename stays
/// on one file system.
fn temp_path(target: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp_name = format!(
        ".{}.{}-{n}.part",
        name.to_string_lossy(),
        std::process::id()
    );
    Ok(target.with_file_name(temp_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("urlrequest-sink-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn commit_renames_and_drop_cleans_up() {
        let dir = scratch("commit");
        let target = dir.join("out.bin");
        fs::write(&target, b"old").unwrap();
        let mut sink = FileSink::create(&target).unwrap();
        sink.write(b"new data").unwrap();
        assert_eq!(
            fs::read(&target).unwrap(),
            b"old",
            "target untouched until commit"
        );
        assert_eq!(sink.commit().unwrap(), target);
        assert_eq!(fs::read(&target).unwrap(), b"new data");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temp file left");

        let mut sink = FileSink::create(&target).unwrap();
        sink.write(b"partial").unwrap();
        drop(sink);
        assert_eq!(fs::read(&target).unwrap(), b"new data");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn missing_directory_and_directory_target_fail() {
        let dir = scratch("bad");
        assert!(FileSink::create(&dir.join("no/such/dir/file")).is_err());
        assert!(FileSink::create(&dir).is_err());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn non_regular_target_is_written_through() {
        let mut sink = FileSink::create(Path::new("/dev/null")).unwrap();
        sink.write(b"discarded").unwrap();
        assert_eq!(sink.commit().unwrap(), Path::new("/dev/null"));
        assert!(
            !fs::metadata("/dev/null").unwrap().is_file(),
            "still a device"
        );
    }
}
