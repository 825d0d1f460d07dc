//! [`Httpbin`]: the API's operations, each a [`Call`] for any client to
//! run.

use urlrequest::{Call, Error, Request};

use crate::types::{Echo, Ip, Item, UserAgent};

/// The client of one server of the API. It holds only the base URL: the
/// connections belong to whatever runs its calls.
///
/// ```
/// use urlrequest_example_sdk::Httpbin;
/// let api = Httpbin::new("http://127.0.0.1:8000/");
/// assert_eq!(api.ip()?.request().url().as_str(), "http://127.0.0.1:8000/ip");
/// # Ok::<(), urlrequest::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Httpbin {
    base: String,
}

impl Httpbin {
    /// The API at `base` (`http://host:port`, with or without a path
    /// prefix). A base that is not a URL makes every call an error.
    pub fn new(base: impl Into<String>) -> Httpbin {
        let mut base = base.into();
        while base.ends_with('/') {
            base.pop();
        }
        Httpbin { base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /ip`: the caller's address.
    pub fn ip(&self) -> Result<Call<Ip>, Error> {
        Ok(Call::json(Request::get(self.url("/ip"))?))
    }

    /// `GET /status/{code}`: `Ok(())` when the server answers with a 2xx
    /// `code`, an error naming the status otherwise.
    pub fn status(&self, code: u16) -> Result<Call<()>, Error> {
        Ok(Call::empty(Request::get(
            self.url(&format!("/status/{code}")),
        )?))
    }

    /// `POST /anything` with `item` as JSON: what the server received.
    pub fn echo(&self, item: &Item) -> Result<Call<Echo>, Error> {
        let request = Request::builder(self.url("/anything")).json(item).build()?;
        Ok(Call::json(request))
    }

    /// `GET /user-agent`: the `User-Agent` the server received.
    pub fn user_agent(&self) -> Result<Call<String>, Error> {
        let request = Request::builder(self.url("/user-agent"))
            .user_agent("urlrequest-example-sdk")
            .build()?;
        Ok(Call::json(request).map(|ua: UserAgent| ua.user_agent))
    }
}
