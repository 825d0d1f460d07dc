//! [`ResultValue`]: the one stable type of a request's `result`.

use std::path::{Path, PathBuf};

use bytes::Bytes;

/// What a finished request produced, as handed to `on_success`,
/// `on_redirect` and `on_failure`.
///
/// The type depends only on the request's settings, never on the bytes or
/// on whether `on_progress` was set: `File` when `file_path` was given,
/// else `Json` when decoding applied (`decode` on and a JSON content type),
/// else `Bytes`. Text is never guessed: decode bytes yourself with the
/// charset you expect.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultValue {
    /// The raw body.
    Bytes(Bytes),
    /// The body parsed as JSON.
    Json(serde_json::Value),
    /// The body was written to this file.
    File(PathBuf),
}

impl ResultValue {
    /// The raw body, when that is the result.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            ResultValue::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The JSON value, when that is the result.
    pub fn as_json(&self) -> Option<&serde_json::Value> {
        match self {
            ResultValue::Json(v) => Some(v),
            _ => None,
        }
    }

    /// The downloaded file, when that is the result.
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            ResultValue::File(p) => Some(p),
            _ => None,
        }
    }
}
