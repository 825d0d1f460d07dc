//! Racing I/O against the core's deadline with the runtime's timer.

use std::future::Future;
use std::time::Instant;

use futures_lite::future;

use crate::net::Net;

/// Runs `work` until it completes (`Some`) or `deadline` passes (`None`).
/// Without a deadline the work simply runs to completion. The work is polled
/// first, so a result that is ready wins over a timer that is also due.
pub(crate) async fn until<N: Net, T>(
    deadline: Option<Instant>,
    work: impl Future<Output = T>,
) -> Option<T> {
    match deadline {
        None => Some(work.await),
        Some(at) => {
            future::or(async { Some(work.await) }, async {
                N::sleep_until(at).await;
                None
            })
            .await
        }
    }
}
