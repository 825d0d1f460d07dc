//! Every conformance case through the smol driver, over loopback sockets:
//! the event trace must be the one the case expects.

use futures_lite::StreamExt;
use urlrequest_conformance::{run_suite, LoopbackDriver};
use urlrequest_smol::{Client, Event, Request};

fn fetch(request: Request) -> Result<Vec<Event>, String> {
    // A fresh client per case: cases about keep-alive script their own
    // connections and must not inherit one from another case.
    let client = Client::new();
    // A case with a streamed body says which one.
    Ok(smol::block_on(
        match urlrequest_conformance::upload::current_upload() {
            Some(u) => client.events_with_upload(
                request,
                urlrequest_smol::AsyncUpload::new(
                    urlrequest_conformance::upload::PatternSource(u.reader()),
                    u.stream,
                ),
            ),
            None => client.events_collecting(request),
        }
        .collect(),
    ))
}

#[test]
fn every_case_gives_the_expected_trace() {
    let report = run_suite(&LoopbackDriver::new("runtime-smol", fetch));
    eprintln!(
        "runtime-smol: {} passed, {} skipped, {} failed",
        report.passed(),
        report.skipped(),
        report.failed()
    );
    assert!(report.passed() > 0, "no case ran:\n{report}");
    assert!(report.is_success(), "{report}");
}
