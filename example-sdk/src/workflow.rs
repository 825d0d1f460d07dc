//! Work of several calls, generic over the client that runs them.

use urlrequest::{Error, SendRequest};

use crate::api::Httpbin;
use crate::types::{Echo, Item};

/// Echoes each item in turn on `client`, stopping at the first error.
pub fn echo_each(
    client: &impl SendRequest,
    api: &Httpbin,
    items: &[Item],
) -> Result<Vec<Echo>, Error> {
    items
        .iter()
        .map(|item| client.call(api.echo(item)?))
        .collect()
}
