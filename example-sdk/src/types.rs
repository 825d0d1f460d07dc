//! The values the API sends and answers with.

use serde::{Deserialize, Serialize};

/// The answer of `GET /ip`: the address the request came from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Ip {
    /// The client's address as the server saw it.
    pub origin: String,
}

/// Something to send: `POST /anything` echoes it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Its name.
    pub name: String,
    /// How many.
    pub count: u32,
}

/// The answer of `POST /anything`: what the server received.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Echo {
    /// The request's method.
    pub method: String,
    /// The request's JSON body, parsed.
    pub json: Item,
}

/// The answer of `GET /user-agent`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct UserAgent {
    #[serde(rename = "user-agent")]
    pub(crate) user_agent: String,
}
