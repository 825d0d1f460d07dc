//! Files for multipart forms, read from disk here because the core touches
//! no file.

use std::path::Path;

use urlrequest_core::Multipart;

/// Adds the file at `path` to `form` as the field `name`: its bytes (read
/// whole into memory; [`MultipartUpload`](crate::MultipartUpload) streams
/// files from disk instead), its
/// file name (the path's last component) and `content_type` (empty means
/// `application/octet-stream`). A file that cannot be read is an error
/// naming the path.
///
/// ```
/// let path = std::env::temp_dir().join(format!("note-{}.txt", std::process::id()));
/// std::fs::write(&path, "hi")?;
/// let form = urlrequest::multipart_file(urlrequest::Multipart::new(), "doc", &path, "text/plain")?;
/// let part = &form.parts()[0];
/// assert_eq!(part.name(), "doc");
/// assert_eq!(part.filename(), path.file_name().and_then(|f| f.to_str()));
/// assert_eq!(part.data().as_ref(), b"hi");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn multipart_file(
    form: Multipart,
    name: &str,
    path: impl AsRef<Path>,
    content_type: &str,
) -> std::io::Result<Multipart> {
    let path = path.as_ref();
    let data = std::fs::read(path).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
    })?;
    let filename = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(form.file(name, filename, content_type, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_names_the_path() {
        let e = multipart_file(Multipart::new(), "f", "/no/such/file.bin", "").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(
            e.to_string().starts_with("cannot read /no/such/file.bin: "),
            "{e}"
        );
    }
}
