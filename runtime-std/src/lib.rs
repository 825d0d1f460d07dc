//! placeholder
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod agent;
mod cancel;
mod driver;
mod error;
mod tls;
mod transport;

pub use agent::{
    get, send, Agent, AgentBuilder, DriveOptions, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_IDLE_PER_HOST,
};
pub use cancel::CancelHandle;
pub use error::Error;
pub use tls::{CaMode, Tls};
pub use urlrequest_core::{self as core, Request, Response};
