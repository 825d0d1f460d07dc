//! [`ServerError`]: why a real server could not be started.

use std::fmt;
use std::io;
use std::time::Duration;

/// Why a real server could not be started.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
    /// The program (or Python module) is not installed.
    Missing {
        /// What was looked for.
        program: String,
        /// The command that installs it.
        install: String,
    },
    /// Preparing the directory, configuration or process failed.
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The process exited before it answered.
    Exited {
        /// The server.
        name: String,
        /// Its exit status.
        status: String,
        /// What it logged.
        log: String,
    },
    /// The process did not answer within the deadline.
    NotReady {
        /// The server.
        name: String,
        /// How long it was given.
        waited: Duration,
        /// What it logged.
        log: String,
    },
}

impl ServerError {
    /// A [`ServerError::Missing`].
    pub fn missing(program: &str, install: &str) -> ServerError {
        ServerError::Missing {
            program: program.to_string(),
            install: install.to_string(),
        }
    }

    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> ServerError {
        let what = what.into();
        move |source| ServerError::Io { what, source }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Missing { program, install } => write!(
                f,
                "{program} is not installed; install it with `{install}` \
                 (.ci/run does this before `cargo test --features interop`)"
            ),
            ServerError::Io { what, source } => write!(f, "{what}: {source}"),
            ServerError::Exited { name, status, log } => {
                write!(
                    f,
                    "{name} exited before answering ({status}); its log:\n{log}"
                )
            }
            ServerError::NotReady { name, waited, log } => write!(
                f,
                "{name} did not answer within {waited:?}; its log:\n{log}"
            ),
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServerError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ServerError;

    #[test]
    fn missing_names_the_install_command() {
        let text = ServerError::missing("nginx", "apt-get install -y nginx-light").to_string();
        assert!(text.starts_with("nginx is not installed"), "{text}");
        assert!(text.contains("`apt-get install -y nginx-light`"), "{text}");
    }
}
