//! `-T FILE`: the request body streamed from a file (or `-` for stdin,
//! sent chunked), never held in memory.

use std::path::Path;

use urlrequest_std::{BodyStream, Upload};

/// What the request declares for `-T path`: the file's size (it can be
/// sent again after a 307/308), or no length for stdin.
pub fn stream_for(path: &Path) -> Result<BodyStream, String> {
    Ok(open(path)?.body_stream())
}

/// The source for `-T path`.
pub fn open(path: &Path) -> Result<Upload, String> {
    if path == Path::new("-") {
        return Ok(Upload::from_reader(std::io::stdin(), None));
    }
    Upload::from_file(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
