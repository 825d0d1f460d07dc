//! `multipart/form-data` bodies whose files are streamed from disk:
//! [`MultipartUpload`], made into an [`Upload`].

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use urlrequest_core::{check_multipart_boundary, multipart_part_head, MultipartSeed};

use crate::upload::Upload;

/// Bytes read at a time when hashing or scanning a file.
const CHUNK: usize = 64 * 1024;

enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        path: PathBuf,
        content_type: String,
    },
}

/// A `multipart/form-data` body (RFC 7578) whose file parts are read from
/// disk while the request is written, never whole into memory.
///
/// The bytes are those [`Multipart::encode`](urlrequest_core::Multipart::encode)
/// gives for the same parts with the files' bytes, boundary included: a
/// given boundary is refused when it occurs in a part (files are scanned
/// piece by piece), and a derived one is hashed from the parts (files
/// streamed through the hash) and derived again until no part holds it.
/// The length is known, so `Content-Length` is sent, and the body can be
/// read again (files are reopened), so a 307/308 redirect is followed.
///
/// ```no_run
/// use urlrequest::MultipartUpload;
/// let (content_type, upload) = MultipartUpload::new()
///     .text("title", "Holiday")
///     .file("photo", "/tmp/photo.jpg", "image/jpeg")
///     .into_upload()?;
/// assert!(content_type.starts_with("multipart/form-data; boundary="));
/// # let _ = upload;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Default)]
pub struct MultipartUpload {
    boundary: Option<String>,
    parts: Vec<Part>,
}

impl std::fmt::Debug for MultipartUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultipartUpload")
            .field("boundary", &self.boundary)
            .field("parts", &self.parts.len())
            .finish()
    }
}

impl MultipartUpload {
    /// An empty form.
    pub fn new() -> MultipartUpload {
        MultipartUpload::default()
    }

    /// Uses this boundary instead of deriving one; [`into_upload`](Self::into_upload)
    /// fails when it is not a valid boundary or occurs in a part.
    pub fn boundary(mut self, boundary: impl Into<String>) -> Self {
        self.boundary = Some(boundary.into());
        self
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part::Text {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Adds the file at `path` as the field `name`, its file name the
    /// path's last component, with `content_type` (empty means
    /// `application/octet-stream`). The file is opened by
    /// [`into_upload`](Self::into_upload), and again when the body is sent.
    pub fn file(
        mut self,
        name: impl Into<String>,
        path: impl AsRef<Path>,
        content_type: impl Into<String>,
    ) -> Self {
        self.parts.push(Part::File {
            name: name.into(),
            path: path.as_ref().to_path_buf(),
            content_type: content_type.into(),
        });
        self
    }

    /// The `Content-Type` value (`multipart/form-data; boundary=...`) and
    /// the body, its length known. Fails when a file cannot be read, or a
    /// given boundary is invalid or occurs in a part (`InvalidInput`).
    pub fn into_upload(self) -> io::Result<(String, Upload)> {
        let named = |path: &Path, e: io::Error| {
            io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
        };
        // Each part: its head, then its data (in memory or a file of a size).
        let mut parts = Vec::with_capacity(self.parts.len());
        for p in self.parts {
            match p {
                Part::Text { name, value } => {
                    let head = multipart_part_head(&name, None).to_vec();
                    parts.push((head, Data::Bytes(value.into_bytes())));
                }
                Part::File {
                    name,
                    path,
                    content_type,
                } => {
                    let len = File::open(&path)
                        .and_then(|f| f.metadata())
                        .map_err(|e| named(&path, e))?
                        .len();
                    let filename = path
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let head =
                        multipart_part_head(&name, Some((&filename, &content_type))).to_vec();
                    parts.push((head, Data::File { path, len }));
                }
            }
        }
        // Whether `b` occurs in a part; a file's error is kept for later.
        let failure = std::cell::RefCell::new(None::<io::Error>);
        let occurs = |b: &str| {
            let needle = b.as_bytes();
            parts.iter().any(|(head, data)| {
                contains(head, needle)
                    || match data {
                        Data::Bytes(v) => contains(v, needle),
                        Data::File { path, .. } => match file_contains(path, needle) {
                            Ok(found) => found,
                            Err(e) => {
                                failure.borrow_mut().get_or_insert(named(path, e));
                                true
                            }
                        },
                    }
            })
        };
        let boundary = match self.boundary {
            Some(b) => {
                check_multipart_boundary(&b)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
                let found = occurs(&b);
                if let Some(e) = failure.borrow_mut().take() {
                    return Err(e);
                }
                if found {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("the boundary {b:?} occurs in a part"),
                    ));
                }
                b
            }
            None => {
                let mut seed = MultipartSeed::new();
                for (head, data) in &parts {
                    seed.write(head);
                    let len = match data {
                        Data::Bytes(v) => {
                            seed.write(v);
                            v.len() as u64
                        }
                        Data::File { path, len } => {
                            hash_file(&mut seed, path, *len).map_err(|e| named(path, e))?;
                            *len
                        }
                    };
                    seed.write(&len.to_le_bytes());
                }
                let b = seed.derive(|b| {
                    // After a read error, stop deriving: the error is returned.
                    let failed = failure.borrow().is_some();
                    !failed && occurs(b)
                });
                if let Some(e) = failure.borrow_mut().take() {
                    return Err(e);
                }
                b
            }
        };
        // The segments: delimiter and head, data, CRLF ... closing delimiter.
        let mut segments = Vec::new();
        let mut pending = Vec::new();
        for (head, data) in parts {
            pending.extend_from_slice(b"--");
            pending.extend_from_slice(boundary.as_bytes());
            pending.extend_from_slice(b"\r\n");
            pending.extend_from_slice(&head);
            match data {
                Data::Bytes(v) => pending.extend_from_slice(&v),
                Data::File { path, len } => {
                    segments.push(Data::Bytes(std::mem::take(&mut pending)));
                    segments.push(Data::File { path, len });
                }
            }
            pending.extend_from_slice(b"\r\n");
        }
        pending.extend_from_slice(b"--");
        pending.extend_from_slice(boundary.as_bytes());
        pending.extend_from_slice(b"--\r\n");
        segments.push(Data::Bytes(pending));
        let total: u64 = segments.iter().map(Data::len).sum();
        let reader = Chain {
            segments,
            total,
            pos: 0,
            open: None,
        };
        let upload = Upload::from_seekable(reader, Some(total))?;
        Ok((format!("multipart/form-data; boundary={boundary}"), upload))
    }
}

enum Data {
    Bytes(Vec<u8>),
    File { path: PathBuf, len: u64 },
}

impl Data {
    fn len(&self) -> u64 {
        match self {
            Data::Bytes(v) => v.len() as u64,
            Data::File { len, .. } => *len,
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether `needle` occurs in the file, read piece by piece (the last
/// `needle.len() - 1` bytes of a piece are kept so a match across two
/// pieces is found).
fn file_contains(path: &Path, needle: &[u8]) -> io::Result<bool> {
    let mut f = File::open(path)?;
    let keep = needle.len().saturating_sub(1);
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + keep);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => return Ok(false),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        window.extend_from_slice(&buf[..n]);
        if contains(&window, needle) {
            return Ok(true);
        }
        let cut = window.len().saturating_sub(keep);
        window.drain(..cut);
    }
}

/// Feeds the file's first `len` bytes to `seed`, piece by piece.
fn hash_file(seed: &mut MultipartSeed, path: &Path, len: u64) -> io::Result<()> {
    let mut f = File::open(path)?.take(len);
    let mut buf = vec![0u8; CHUNK];
    let mut seen = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        seed.write(&buf[..n]);
        seen += n as u64;
    }
    if seen != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the file shrank while it was read",
        ));
    }
    Ok(())
}

/// The body: in-memory segments and files, read in order; it can seek, so
/// it can be sent again (files are reopened at the right offset).
struct Chain {
    segments: Vec<Data>,
    total: u64,
    pos: u64,
    /// The file being read: its segment's index and the open file.
    open: Option<(usize, File)>,
}

impl Read for Chain {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Find the segment holding `pos`.
        let mut start = 0u64;
        for (i, seg) in self.segments.iter().enumerate() {
            let len = seg.len();
            if self.pos >= start + len {
                start += len;
                continue;
            }
            let off = self.pos - start;
            let want = buf.len().min((len - off).min(usize::MAX as u64) as usize);
            let n = match seg {
                Data::Bytes(v) => {
                    let off = off as usize;
                    buf[..want].copy_from_slice(&v[off..off + want]);
                    want
                }
                Data::File { path, .. } => {
                    if !matches!(&self.open, Some((j, _)) if *j == i) {
                        let mut f = File::open(path)?;
                        f.seek(SeekFrom::Start(off))?;
                        self.open = Some((i, f));
                    }
                    let (_, f) = self.open.as_mut().expect("opened above");
                    let n = f.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!("{} shrank while it was sent", path.display()),
                        ));
                    }
                    n
                }
            };
            self.pos += n as u64;
            return Ok(n);
        }
        Ok(0)
    }
}

impl Seek for Chain {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.total.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        if target != self.pos {
            self.open = None;
            self.pos = target;
        }
        Ok(self.pos)
    }
}
