//! Every conformance case through this runtime's driver, over loopback
//! sockets: the event trace must be the one the case expects.

use std::ops::ControlFlow;
use std::time::Instant;

use urlrequest_conformance::{run_suite, LoopbackDriver};
use urlrequest_core::{Event, Exchange, Request};
use urlrequest_std::{Agent, DriveOptions};

fn fetch(request: Request) -> Result<Vec<Event>, String> {
    // A fresh agent per case: cases about keep-alive script their own
    // connections and must not inherit one from another case.
    let agent = Agent::new();
    let mut ex = Exchange::new(request, Instant::now());
    let mut events = Vec::new();
    // A case with a streamed body says which one.
    let mut upload = urlrequest_conformance::upload::current_upload().map(|u| {
        if u.stream.replayable {
            urlrequest_std::Upload::from_seekable(u.reader(), u.stream.length).unwrap()
        } else {
            urlrequest_std::Upload::from_reader(u.reader(), u.stream.length)
        }
    });
    agent.drive_upload(
        &mut ex,
        &DriveOptions::new(),
        upload.as_mut(),
        |event, _| {
            events.push(event);
            ControlFlow::Continue(())
        },
    );
    Ok(events)
}

#[test]
fn every_case_gives_the_expected_trace() {
    let report = run_suite(&LoopbackDriver::new("runtime-std", fetch));
    eprintln!(
        "runtime-std: {} passed, {} skipped, {} failed",
        report.passed(),
        report.skipped(),
        report.failed()
    );
    assert!(report.passed() > 0, "no case ran:\n{report}");
    assert!(report.is_success(), "{report}");
}
