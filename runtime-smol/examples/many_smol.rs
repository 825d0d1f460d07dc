//! Fetches several URLs at once, one task each, and prints a progress line
//! per URL.
//!
//! ```text
//! cargo run -p urlrequest-smol --example many_smol -- https://example.com/ http://127.0.0.1:8000/big
//! cargo run -p urlrequest-smol --example many_smol     # no arguments: a local demo server
//! ```
//!
//! With no arguments it starts the workspace's demo server on loopback, so
//! it runs offline.

use std::time::Duration;

use futures_lite::StreamExt;
use urlrequest_conformance::demo::{self, ProgressPrinter};
use urlrequest_smol::{Client, Request};

fn main() {
    let mut urls: Vec<String> = std::env::args().skip(1).collect();
    let _demo = urls.is_empty().then(|| {
        let server = demo::serve();
        urls = demo::PATHS.iter().map(|p| server.url(p)).collect();
        println!(
            "no URLs given: fetching from a local demo server at {}",
            server.url("")
        );
        server
    });
    // One client: its pool and TLS configuration serve every task.
    let client = Client::new();
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let tasks: Vec<_> = urls
            .into_iter()
            .enumerate()
            .map(|(i, url)| ex.spawn(fetch(client.clone(), i, url)))
            .collect();
        for task in tasks {
            task.await;
        }
    }));
}

/// Streams one URL's events (the body is counted, never kept) and prints
/// them.
async fn fetch(client: Client, i: usize, url: String) {
    let request = match Request::builder(&url)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(r) => r,
        Err(e) => return println!("[{i}] {url}: {e}"),
    };
    let mut printer = ProgressPrinter::new(i, &url);
    let mut events = client.events(request);
    while let Some(event) = events.next().await {
        printer.show(&event);
    }
}
