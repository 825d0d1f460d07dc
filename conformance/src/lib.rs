//! # urlrequest-conformance
//!
//! The behaviour contract of urlrequest as data: readable case files (a
//! request, what a scripted server does, the exact event trace expected),
//! a [`Driver`] trait that any way of running the core implements, and
//! [`run_suite`] to check a driver against every case with one call.
//!
//! Shipped here:
//! - the case files under `cases/` and their parser ([`parse_cases`],
//!   [`builtin_cases`]); the format is described in the crate's README;
//! - [`MemoryDriver`]: a hand-written poll loop over the core with simulated
//!   servers and virtual time, optionally cutting every read and write at
//!   seeded random points;
//! - [`ScriptedServer`]: the same scripts served on loopback TCP, and
//!   [`LoopbackDriver`] / [`run_over_loopback`] so a runtime only supplies
//!   "fetch this request, return its events";
//! - [`StdDriver`], [`SmolDriver`], [`TokioDriver`], [`FrameDriver`] and [`ReplayDriver`]:
//!   the runtimes over loopback (TLS included, trusting
//!   [`TestCa::trusted`]), and the replay of each live run's recorded
//!   transcript;
//! - [`HttpProxy`] and [`TestCa`]: an in-process forwarding and tunnelling
//!   proxy and a throwaway certificate authority, for tests of any runtime;
//! - [`servers`]: real servers (nginx, httpbin under gunicorn, tinyproxy)
//!   started on free loopback ports for interop tests and benchmarks.
//!
//! ```
//! use urlrequest_conformance::{run_suite, MemoryDriver};
//! let report = run_suite(&MemoryDriver::with_splits(42));
//! assert!(report.is_success(), "{report}");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod callback_trace;
mod case;
pub mod chaos;
pub mod demo;
mod diff;
mod driver;
mod escape;
pub mod kivy_suite;
mod loopback;
mod memory;
mod normalize;
mod origins;
mod parse;
mod pki;
mod proxy;
mod proxy_rules;
mod runtimes;
mod script;
mod server_stream;
pub mod servers;
mod sim;
pub mod soak;
pub mod test_server;
pub mod upload;
mod ureq_diff;

use std::path::{Path, PathBuf};

pub use callback_trace::{callback_trace, is_well_formed, KivyColumn};
pub use case::{
    Case, End, Expect, MultipartSpec, RequestSpec, Step, StepKind, DEFAULT_CASE_WALL_TIME,
};
pub use diff::diff_lines;
pub use driver::{
    run_case, run_cases, run_over_loopback, run_suite, CaseReport, Driver, LoopbackDriver, Outcome,
    SuiteReport,
};
pub use escape::unescape;
pub use loopback::ScriptedServer;
pub use memory::{run_in_memory, MemoryDriver, SplitRng};
pub use normalize::normalize_line;
pub use origins::{Origins, Role};
pub use parse::{parse_cases, ParseError};
pub use pki::{CertKind, TestCa};
pub use proxy::HttpProxy;
pub use runtimes::{FrameDriver, ReplayDriver, SmolDriver, StdDriver, TokioDriver};
pub use script::ReceivedRequest;
pub use ureq_diff::{compare_with_ureq, documented_differences, ureq_comparable, Comparison, Seen};

/// The directory of the shipped case files.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Reads every `*.case` file of `dir`, in file-name order.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, ParseError> {
    let io_error = |e: std::io::Error| ParseError {
        file: dir.display().to_string(),
        line: 0,
        message: e.to_string(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_error)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(io_error)?;
        let shown = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap_or(&path)
            .display()
            .to_string();
        cases.extend(parse_cases(&shown, &text)?);
    }
    Ok(cases)
}

/// Every shipped case.
pub fn builtin_cases() -> Result<Vec<Case>, ParseError> {
    load_cases(&cases_dir())
}
