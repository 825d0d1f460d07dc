//! nginx as a second server, when it is installed: the conformance crate's
//! launcher with its benchmark tuning, serving a sparse file (case A) and a
//! 100-byte file (cases B and C).

use std::fs::File;
use std::path::PathBuf;

use urlrequest_conformance::servers::{find_program, Nginx};

use super::server::SMALL;

/// A running nginx and the executable it was started from.
pub struct Bench {
    /// The executable, named in the tables.
    pub exe: PathBuf,
    /// The server; stopped when dropped.
    pub nginx: Nginx,
}

/// Starts nginx serving `/big` (a sparse file of `big` bytes) and `/small`
/// (100 bytes); `Ok(None)` when nginx is not installed.
pub fn start(big: u64) -> Result<Option<Bench>, String> {
    let Some(exe) = find_program("nginx") else {
        return Ok(None);
    };
    let nginx = Nginx::start_for_benchmark().map_err(|e| e.to_string())?;
    // Sparse: no disk space and no page-cache misses, the file reads as
    // zeros straight from memory.
    File::create(nginx.www().join("big"))
        .and_then(|f| f.set_len(big))
        .map_err(|e| format!("nginx: sparse file: {e}"))?;
    nginx
        .put("small", &[b's'; SMALL])
        .map_err(|e| e.to_string())?;
    Ok(Some(Bench { exe, nginx }))
}
