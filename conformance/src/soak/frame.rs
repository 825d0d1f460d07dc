//! The soak through urlrequest-frame: up to `concurrency` requests in
//! flight on one thread, advanced by `tick` with `wait` in between. GETs,
//! POSTs and redirects are plain `Transfer`s; downloads are `UrlRequest`s
//! with `file_path`, whose callbacks run inside the tick.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use urlrequest_core::Event;
use urlrequest_frame::{Client, Transfer, UrlRequest};

use super::{collect_download, download_path, next_request, Ctx, Ended, Kind, Planned, Tally};
use crate::chaos::FAULT_HEADER;

/// One request in flight.
enum InFlight {
    /// A GET, POST or redirect: its outcome, once its events said it.
    Send(Transfer, Option<Ended>),
    /// A download: the request, its file, and its callbacks counted (1 per
    /// outcome callback, 100 for `on_finish`).
    Download(UrlRequest, PathBuf, Arc<AtomicUsize>),
}

/// How long one client's wait may sleep while the other may have work.
const WAIT_SLICE: Duration = Duration::from_millis(2);

pub(super) fn frame_batch(
    ctx: &Ctx,
    clients: &(Client, Client),
    seed: u64,
    count: usize,
    tally: &Tally,
) {
    let next = AtomicUsize::new(0);
    let mut flight: Vec<(Planned, Instant, InFlight)> = Vec::new();
    loop {
        while flight.len() < ctx.plan.concurrency {
            let Some((p, req)) = next_request(ctx, &next, seed, count) else {
                break;
            };
            let start = Instant::now();
            let item = match p.kind {
                Kind::Download => {
                    let path = download_path(ctx.dir, &p);
                    let calls = Arc::new(AtomicUsize::new(0));
                    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
                    let built = UrlRequest::builder(req.url().as_str())
                        .header(FAULT_HEADER, p.fault.name())
                        .timeout(ctx.plan.timeout)
                        .file_path(&path)
                        .client(&clients.0)
                        .on_success(move |_, _| {
                            c1.fetch_add(1, Ordering::SeqCst);
                        })
                        .on_error(move |_, _| {
                            c2.fetch_add(1, Ordering::SeqCst);
                        })
                        .on_finish(move |_| {
                            c3.fetch_add(100, Ordering::SeqCst);
                        })
                        .build();
                    match built {
                        Ok(r) => InFlight::Download(r, path, calls),
                        Err(e) => {
                            tally.wrong(&p, format!("build: {e}"));
                            continue;
                        }
                    }
                }
                Kind::Post => InFlight::Send(clients.1.start(req), None),
                _ => InFlight::Send(clients.0.start(req), None),
            };
            flight.push((p, start, item));
        }
        if flight.is_empty() {
            return;
        }
        for client in [&clients.0, &clients.1] {
            client.wait(Some(WAIT_SLICE));
            client.tick(Instant::now());
        }
        flight.retain_mut(|(p, start, item)| {
            let Some(ended) = ended(item, p, tally) else {
                return true;
            };
            tally.record(ctx.files, p, ended, start.elapsed(), ctx.bound);
            false
        });
    }
}

/// The outcome of a request that is over, `None` while it runs.
fn ended(item: &mut InFlight, p: &Planned, tally: &Tally) -> Option<Ended> {
    match item {
        InFlight::Send(transfer, outcome) => {
            while let Some(event) = transfer.poll_event() {
                match event {
                    Event::Done(r) => {
                        let body = r.bytes().map(|b| b.to_vec()).unwrap_or_default();
                        *outcome = Some(Ended::Done(r.status().as_u16(), body));
                    }
                    Event::Failure(e) => {
                        *outcome = Some(Ended::Failed(e.kind_name(), e.to_string()))
                    }
                    _ => {}
                }
            }
            if !transfer.is_finished() {
                return None;
            }
            Some(outcome.take().unwrap_or_else(|| {
                Ended::Failed("cancelled", "the transfer ended with no outcome".into())
            }))
        }
        InFlight::Download(req, path, calls) => {
            if !req.is_finished() {
                return None;
            }
            // One outcome callback and one on_finish, exactly, by now: they
            // ran inside the tick that finished the request.
            let calls = calls.load(Ordering::SeqCst);
            if calls != 101 {
                tally.wrong(p, format!("callbacks counted {calls}, not 101"));
            }
            let status = match req.error() {
                None => Ok(req.resp_status().map_or(0, |s| s.as_u16())),
                Some(e) => Err((e.kind_name(), e.to_string())),
            };
            Some(collect_download(path, status))
        }
    }
}
