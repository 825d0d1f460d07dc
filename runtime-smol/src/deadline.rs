//! Racing I/O against the core's deadline with an `async_io::Timer`.

use std::future::Future;
use std::time::Instant;

use async_io::Timer;
use futures_lite::future;

/// Runs `work` until it completes (`Some`) or `deadline` passes (`None`).
/// Without a deadline the work simply runs to completion. The work is polled
/// first, so a result that is ready wins over a timer that is also due.
pub(crate) async fn until<T>(
    deadline: Option<Instant>,
    work: impl Future<Output = T>,
) -> Option<T> {
    match deadline {
        None => Some(work.await),
        Some(at) => {
            future::or(async { Some(work.await) }, async {
                Timer::at(at).await;
                None
            })
            .await
        }
    }
}
