//! The driver trait and the suite runner: how any way of driving the core
//! (an in-memory loop, a thread-per-request runtime, an async runtime, a
//! transcript replay) is checked against every case with one call.

use std::fmt;

use urlrequest_core::{trace_line, Event, Request};

use crate::case::Case;
use crate::diff::diff_lines;
use crate::loopback::ScriptedServer;
use crate::normalize::normalize_line;

/// One way of running a request. Implement it for a new runtime, then call
/// [`run_suite`].
///
/// A driver runs the case's request against the case's server script and
/// returns the event trace: one [`urlrequest_core::trace_line`] per event,
/// with real origins mapped back to placeholders ([`crate::Origins::unmap`]).
/// Drivers that move real bytes over loopback sockets need not do any of that
/// themselves: [`LoopbackDriver`] wraps a plain "fetch this request, return
/// its events" function.
pub trait Driver {
    /// A short name for reports.
    fn name(&self) -> &str;

    /// Runs one case. `Err` is for problems that are not a trace: the server
    /// saw a request it did not expect, the driver could not run at all.
    fn run(&self, case: &Case) -> Result<Vec<String>, String>;

    /// `Some(reason)` to skip a case this driver cannot run. By default cases
    /// that need an HTTPS server are skipped.
    fn skip(&self, case: &Case) -> Option<String> {
        case.needs_tls()
            .then(|| "needs an HTTPS server, which this driver has none of".to_string())
    }
}

/// How one case went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The trace was the expected one and the server's checks held.
    Passed,
    /// The trace differed.
    Failed {
        /// The case's trace.
        expected: Vec<String>,
        /// The driver's trace.
        actual: Vec<String>,
    },
    /// The driver or the scripted server reported an error.
    Error(String),
    /// The driver skipped the case.
    Skipped(String),
}

/// A case's name, where it is written and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseReport {
    /// `family/name`.
    pub name: String,
    /// `file:line` of the case.
    pub location: String,
    /// The result.
    pub outcome: Outcome,
}

/// Results of a driver over a set of cases.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteReport {
    /// The driver's name.
    pub driver: String,
    /// One entry per case, in suite order.
    pub cases: Vec<CaseReport>,
}

impl SuiteReport {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }

    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.count(|o| *o == Outcome::Passed)
    }

    /// Cases that failed or errored.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. } | Outcome::Error(_)))
    }

    /// Cases skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }

    /// No case failed or errored (and at least one ran).
    pub fn is_success(&self) -> bool {
        self.failed() == 0 && self.passed() > 0
    }
}

impl fmt::Display for SuiteReport {
    /// A summary line, then every failure with its diff (`-` expected,
    /// `+` actual) or error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "driver {}: {} passed, {} failed, {} skipped, of {} cases",
            self.driver,
            self.passed(),
            self.failed(),
            self.skipped(),
            self.cases.len()
        )?;
        for c in &self.cases {
            match &c.outcome {
                Outcome::Passed | Outcome::Skipped(_) => {}
                Outcome::Failed { expected, actual } => {
                    writeln!(f, "\nFAILED {} ({})", c.name, c.location)?;
                    f.write_str(&diff_lines(expected, actual))?;
                }
                Outcome::Error(m) => {
                    writeln!(f, "\nERROR {} ({})\n{m}", c.name, c.location)?;
                }
            }
        }
        Ok(())
    }
}

/// Runs one case and judges it. Certificate rejections in the driver's
/// trace are compared by class ([`normalize_line`]).
pub fn run_case(driver: &dyn Driver, case: &Case) -> CaseReport {
    let outcome = if let Some(reason) = driver.skip(case) {
        Outcome::Skipped(reason)
    } else {
        match driver.run(case) {
            Ok(actual) => {
                let actual: Vec<String> = actual.iter().map(|l| normalize_line(l)).collect();
                if actual == case.expected {
                    Outcome::Passed
                } else {
                    Outcome::Failed {
                        expected: case.expected.clone(),
                        actual,
                    }
                }
            }
            Err(e) => Outcome::Error(e),
        }
    };
    CaseReport {
        name: case.full_name(),
        location: case.location.clone(),
        outcome,
    }
}

/// Runs `cases` with `driver`.
pub fn run_cases(driver: &dyn Driver, cases: &[Case]) -> SuiteReport {
    SuiteReport {
        driver: driver.name().to_string(),
        cases: cases.iter().map(|c| run_case(driver, c)).collect(),
    }
}

/// Runs every case shipped in this crate's `cases/` directory with `driver`.
///
/// Panics if the shipped case files do not parse (a bug in this crate, caught
/// by its own tests).
pub fn run_suite(driver: &dyn Driver) -> SuiteReport {
    let cases = crate::builtin_cases().unwrap_or_else(|e| panic!("{e}"));
    run_cases(driver, &cases)
}

/// Runs a case against a fresh [`ScriptedServer`] on loopback: starts it,
/// builds the request with its real origins, hands the request to `fetch`,
/// maps the events to trace lines with placeholders, and checks the
/// server's side of the script.
pub fn run_over_loopback<F>(case: &Case, fetch: F) -> Result<Vec<String>, String>
where
    F: FnOnce(Request) -> Result<Vec<Event>, String>,
{
    let server = ScriptedServer::start(case).map_err(|e| format!("scripted server: {e}"))?;
    let origins = server.origins().clone();
    let request = case.request(&origins)?;
    crate::upload::set_current(case.request.body_stream);
    let result = fetch(request);
    crate::upload::set_current(None);
    let verdict = server.finish();
    let events = result?;
    let trace: Vec<String> = events
        .iter()
        .map(|e| origins.unmap(&trace_line(e)))
        .collect();
    match verdict {
        Ok(_) => Ok(trace),
        Err(e) => Err(format!(
            "the scripted server reports:\n{e}\ntrace was:\n{}",
            trace.join("\n")
        )),
    }
}

/// A [`Driver`] made of a function that fetches one request over real
/// sockets and returns its events; cases run against [`ScriptedServer`]s on
/// loopback.
///
/// ```no_run
/// use urlrequest_conformance::{run_suite, LoopbackDriver};
/// # fn my_runtime_fetch(_: urlrequest_core::Request) -> Result<Vec<urlrequest_core::Event>, String> { todo!() }
/// let report = run_suite(&LoopbackDriver::new("my-runtime", my_runtime_fetch));
/// assert!(report.is_success(), "{report}");
/// ```
pub struct LoopbackDriver<F> {
    name: String,
    fetch: F,
    tls: bool,
}

impl<F> LoopbackDriver<F>
where
    F: Fn(Request) -> Result<Vec<Event>, String>,
{
    /// A driver named `name` that runs each request with `fetch`.
    pub fn new(name: impl Into<String>, fetch: F) -> LoopbackDriver<F> {
        LoopbackDriver {
            name: name.into(),
            fetch,
            tls: false,
        }
    }

    /// Runs the TLS cases too: `fetch` must trust
    /// [`TestCa::trusted`](crate::TestCa::trusted)'s PEM file and verify
    /// certificates.
    pub fn with_tls(mut self) -> LoopbackDriver<F> {
        self.tls = true;
        self
    }
}

impl<F> Driver for LoopbackDriver<F>
where
    F: Fn(Request) -> Result<Vec<Event>, String>,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn run(&self, case: &Case) -> Result<Vec<String>, String> {
        run_over_loopback(case, &self.fetch)
    }

    fn skip(&self, case: &Case) -> Option<String> {
        (!self.tls && case.needs_tls())
            .then(|| "needs TLS; see LoopbackDriver::with_tls".to_string())
    }
}
