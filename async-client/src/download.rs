//! Downloads to a file: the body goes to the shared layer's
//! [`FileTarget`] (a temporary file next to the target, synced and renamed
//! into place on `Done`, deleted otherwise), so the target never holds a
//! partial body and memory stays flat whatever the body size.
//!
//! The sink writes in the task that drives the request, in buffered 64 KiB
//! writes to the page cache, and syncs once at the end. No thread pool is
//! involved: a download leaves no helper thread behind, and a dropped
//! future deletes its temporary file at once.

use std::path::Path;

use urlrequest::client::FileTarget;
use urlrequest::Error;
use urlrequest_core::Response;

use crate::driver::Driver;
use crate::net::Net;

/// Drives `driver` to its end, the body going to `target`; the response
/// comes back once the file is in place.
pub(crate) async fn to_file<N: Net>(
    mut driver: Driver<N>,
    target: &Path,
) -> Result<Response, Error> {
    let mut file = FileTarget::new(target);
    loop {
        let event = driver.next_or_cancelled().await;
        // An error (the exchange's or the file's) ends the download;
        // dropping the driver closes the connection.
        if let Some(response) = file.event(event)? {
            return Ok(response);
        }
    }
}
