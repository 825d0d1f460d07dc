//! [`Call`]: one API operation as a value, a [`Request`] and how its
//! [`Response`] becomes a typed result. An API client ("SDK") returns
//! `Call`s and never names a runtime; whoever runs it picks one (an
//! `Agent`, an async `Client`, the frame loop, a `Recording`).
//!
//! This file also owns the words of the errors a `Call` makes of a
//! response: a status that is not 2xx, and a body that is not the
//! expected JSON.

use std::fmt;

use serde::de::DeserializeOwned;
use urlrequest_core::{Request, Response};

use crate::error::Error;

/// How a call's response becomes its value.
pub type Parse<T> = Box<dyn FnOnce(Response) -> Result<T, Error> + Send + 'static>;

/// A request and how to turn its response into a `T`: one operation of an
/// API client, written once and run on any client.
///
/// It is `Send` (whatever `T` is), so an async task can hold it across an
/// `.await`. Run it with `agent.call(call)` (std), `client.call(call).await`
/// (smol, tokio), `client.start_call(call)` (the frame loop), or through
/// [`SendRequest::call`](crate::SendRequest::call) /
/// [`AsyncSendRequest::call`](crate::AsyncSendRequest::call) in code
/// generic over the client.
///
/// ```
/// use urlrequest::{Call, Request};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Ip {
///     origin: String,
/// }
///
/// let call: Call<Ip> = Call::json(Request::get("http://127.0.0.1:9/ip")?);
/// assert_eq!(call.request().url().path(), "/ip");
/// // Only the origin is wanted: map the value, the request stays.
/// let origin: Call<String> = call.map(|ip| ip.origin);
/// # let _ = origin;
/// # Ok::<(), urlrequest::Error>(())
/// ```
#[must_use = "a call does nothing until a client runs it"]
pub struct Call<T> {
    request: Request,
    parse: Parse<T>,
}

impl<T> fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", self.request.method())
            .field("url", &self.request.url().as_str())
            .field("value", &std::any::type_name::<T>())
            .finish()
    }
}

impl<T> Call<T> {
    /// A call of `request` whose response `parse` turns into the value
    /// (or an error). `parse` sees every completed response, whatever its
    /// status; an exchange that did not complete never reaches it.
    pub fn new(
        request: Request,
        parse: impl FnOnce(Response) -> Result<T, Error> + Send + 'static,
    ) -> Call<T> {
        Call {
            request,
            parse: Box::new(parse),
        }
    }

    /// The same call, its value passed through `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U + Send + 'static) -> Call<U>
    where
        T: 'static,
    {
        let parse = self.parse;
        Call::new(self.request, move |response| parse(response).map(f))
    }

    /// The request it sends.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The request, to change a setting the API client left open (a
    /// timeout, a header's value...).
    pub fn request_mut(&mut self) -> &mut Request {
        &mut self.request
    }

    /// The request and its parser, for a client that runs the call itself.
    pub fn into_parts(self) -> (Request, Parse<T>) {
        (self.request, self.parse)
    }

    /// The value of `response`, a response to this call's request.
    pub fn parse(self, response: Response) -> Result<T, Error> {
        (self.parse)(response)
    }
}

impl<T: DeserializeOwned> Call<T> {
    /// A call whose 2xx response body is the JSON of a `T`. Any other
    /// status is an error naming the status, the URL and the start of the
    /// body; a body that is not a `T` is an error naming `T` and what
    /// serde_json found. The body is parsed once, into `T`: the request's
    /// own JSON decoding is turned off.
    ///
    /// ```
    /// # use urlrequest::{Call, Request};
    /// let call = Call::<Vec<u32>>::json(Request::get("http://127.0.0.1:9/numbers")?);
    /// # let _ = call;
    /// # Ok::<(), urlrequest::Error>(())
    /// ```
    pub fn json(mut request: Request) -> Call<T> {
        request.set_decode(false);
        Call::new(request, |response| {
            let response = response.error_for_status()?;
            Ok(response.json()?)
        })
    }
}

impl Call<()> {
    /// A call whose answer carries nothing of interest: `Ok(())` for any
    /// 2xx, the same status error as [`json`](Self::json) otherwise. The
    /// body is not decoded.
    pub fn empty(mut request: Request) -> Call<()> {
        request.set_decode(false);
        Call::new(request, |response| {
            response.error_for_status()?;
            Ok(())
        })
    }
}

impl Call<Response> {
    /// A call whose value is the response itself, whatever its status.
    pub fn response(request: Request) -> Call<Response> {
        Call::new(request, Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::answered as respond;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Ip {
        origin: String,
    }

    const URL: &str = "http://example.com/ip";

    #[test]
    fn a_call_is_send() {
        fn send<S: Send>(_: &S) {}
        // A value type that is not Send does not make the call not Send.
        let call = Call::new(Request::get(URL).unwrap(), |_| Ok(std::rc::Rc::new(1)));
        send(&call);
    }

    #[test]
    fn json_gives_the_value_of_a_2xx() {
        let call = Call::<Ip>::json(Request::get(URL).unwrap());
        let ip = call.parse(respond(
            URL,
            b"HTTP/1.1 200 OK\r\nContent-Length: 22\r\n\r\n{\"origin\":\"127.0.0.1\"}",
        ));
        assert_eq!(ip.unwrap().origin, "127.0.0.1");
    }

    #[test]
    fn json_names_status_url_and_body_of_a_non_2xx() {
        let call = Call::<Ip>::json(Request::get(URL).unwrap());
        let err = call
            .parse(respond(
                URL,
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nno such ip",
            ))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "HTTP 404 Not Found from http://example.com/ip: no such ip"
        );
    }

    #[test]
    fn a_long_error_body_is_cut() {
        let body = "x".repeat(500);
        let wire =
            format!("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 500\r\n\r\n{body}");
        let err = Call::empty(Request::get(URL).unwrap())
            .parse(respond(URL, wire.as_bytes()))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(&format!(": {}... (500 bytes)", "x".repeat(200))),
            "{err}"
        );
    }

    #[test]
    fn json_and_empty_parse_the_body_themselves() {
        assert!(Request::get(URL).unwrap().decode());
        assert!(!Call::<Ip>::json(Request::get(URL).unwrap())
            .request()
            .decode());
        assert!(!Call::empty(Request::get(URL).unwrap()).request().decode());
    }

    #[test]
    fn json_names_the_type_a_body_is_not() {
        let call = Call::<Ip>::json(Request::get(URL).unwrap());
        let err = call
            .parse(respond(
                URL,
                b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
            ))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("Ip"), "{text}");
        assert!(text.contains("missing field `origin`"), "{text}");
        assert_eq!(err.kind_name(), "body");
    }

    #[test]
    fn empty_and_map_and_response() {
        let ok = respond(URL, b"HTTP/1.1 204 No Content\r\n\r\n");
        assert!(Call::empty(Request::get(URL).unwrap())
            .parse(ok.clone())
            .is_ok());
        let status = Call::response(Request::get(URL).unwrap())
            .map(|r| r.status().as_u16())
            .parse(ok);
        assert_eq!(status.unwrap(), 204);
        let (request, parse) = Call::<Ip>::json(Request::get(URL).unwrap()).into_parts();
        assert_eq!(request.url().as_str(), URL);
        let missing = respond(URL, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            parse(missing).unwrap_err().to_string(),
            "HTTP 404 Not Found from http://example.com/ip"
        );
    }
}
