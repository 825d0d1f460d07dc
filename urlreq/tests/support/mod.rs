//! What the urlreq tests share: a command for a program whose environment
//! is cleared of the variables that would make the machine's settings play
//! a part (proxies, as urlreq and curl read them; CGI's `REQUEST_METHOD`).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Proxy settings and the variables that change how they are read.
pub const PROXY_VARS: [&str; 9] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
];

/// `program` with none of [`PROXY_VARS`] in its environment.
pub fn clean_command(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    cmd
}

/// The urlreq binary under test, with a clean environment.
pub fn urlreq_command() -> Command {
    clean_command(Path::new(env!("CARGO_BIN_EXE_urlreq")))
}
