//! The connection side of an exchange: where to connect, what to write,
//! retrying a stale pooled connection, and closing or pooling a connection
//! when the exchange is done with it.

use std::time::Instant;

use bytes::Bytes;
use http::Method;
use url::Host;

use super::{Action, ConnectTarget, Exchange, Hop, State};
use crate::error::{Error, Phase};
use crate::event::Event;
use crate::pool::PoolKey;
use crate::transcript::Input;
use crate::wire::request_head;

/// Methods a stale pooled connection may be retried for.
const IDEMPOTENT: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::PUT,
    Method::DELETE,
    Method::OPTIONS,
    Method::TRACE,
];

impl Exchange {
    pub(super) fn record(&mut self, now: Instant, input: Input) {
        self.clock = now;
        if let Some(rec) = &mut self.recorder {
            rec.record(now, input);
        }
    }

    pub(super) fn progress(&mut self, now: Instant) {
        self.deadline = self.request.timeout.map(|t| now + t);
    }

    pub(super) fn phase(&self) -> Phase {
        match self.state {
            State::Connecting => Phase::Connect,
            State::Handshaking => Phase::TlsHandshake,
            State::WritingConnect | State::ReadingConnect => Phase::ProxyConnect,
            State::WritingRequest => Phase::Write,
            State::ReadingHead => Phase::Head,
            State::ReadingBody | State::Draining | State::Finished => Phase::Body,
        }
    }

    /// The origin's host as the connection needs it (an IPv6 address
    /// without brackets).
    fn origin_host(&self) -> String {
        match self.url.host() {
            Some(Host::Ipv6(a)) => a.to_string(),
            // The serialised form: no formatting, one copy.
            Some(_) => self.url.host_str().unwrap_or_default().to_string(),
            None => String::new(),
        }
    }

    /// The pool key of the current URL's connection.
    pub(super) fn pool_key(&self) -> PoolKey {
        PoolKey {
            scheme: self.url.scheme().to_string(),
            host: self.origin_host(),
            port: self.url.port_or_known_default().unwrap_or(80),
            proxy: self
                .request
                .proxy
                .as_ref()
                .map(|p| (p.host.clone(), p.port)),
        }
    }

    pub(super) fn target(&self, reuse: bool) -> ConnectTarget {
        let key = self.pool_key();
        match self.request.proxy.as_ref() {
            None => ConnectTarget {
                host: key.host.clone(),
                port: key.port,
                key,
                reuse,
            },
            Some(p) => ConnectTarget {
                host: p.host.clone(),
                port: p.port,
                key,
                reuse,
            },
        }
    }

    pub(super) fn start_hop(&mut self) {
        self.hop = Hop::default();
        // A new connection is wanted: it must be ready (TCP, proxy tunnel,
        // TLS) within connect_timeout. `queue_request` ends the deadline.
        self.hop.connect_deadline = self.request.connect_timeout.map(|t| self.clock + t);
        self.buf.clear();
        self.writes.clear();
        self.state = State::Connecting;
        let target = self.target(!self.fresh_only);
        self.pending.push_back(Action::Connect(target));
    }

    pub(super) fn queue_request(&mut self) {
        self.hop.connect_deadline = None;
        self.add_expect_header();
        if self.queue_streamed_request() {
            self.hold_body();
            return;
        }
        let via_plain_proxy = if self.url.scheme() == "http" {
            self.request.proxy.as_ref()
        } else {
            None
        };
        let with_cookies = self.request.cookie_jar.as_ref().and_then(|jar| {
            let now = self.request.wall_time.unwrap_or(std::time::UNIX_EPOCH);
            let cookies = jar.cookie_header(&self.url, now)?;
            Some(crate::cookies::merge_cookie_header(&self.headers, cookies))
        });
        let head = request_head(
            &self.method,
            &self.url,
            with_cookies.as_ref().unwrap_or(&self.headers),
            self.body.as_ref().map(Bytes::len),
            via_plain_proxy,
        );
        self.writes.push_back(Bytes::from(head));
        if let Some(b) = &self.body {
            if !b.is_empty() {
                self.writes.push_back(b.clone());
            }
        }
        self.state = State::WritingRequest;
        self.hold_body();
    }

    /// A reused connection that died before answering was stale: try once
    /// more on a fresh one, for methods that may safely be repeated.
    pub(super) fn may_retry(&self) -> bool {
        match &self.hop.conn {
            Some(c) => {
                c.reused
                    && c.response_bytes == 0
                    && !self.fresh_only
                    && IDEMPOTENT.contains(&self.method)
                    && self.upload_repeatable()
            }
            None => false,
        }
    }

    pub(super) fn retry(&mut self) {
        if self.hop.conn.take().is_some() {
            self.pending.push_back(Action::Close);
        }
        self.fresh_only = true;
        self.start_hop();
    }

    pub(super) fn fail(&mut self, error: Error) {
        // A connection not yet made is no longer wanted (a request cancelled
        // before its driver first polled must not open one).
        self.pending
            .retain(|a| !matches!(a, Action::Connect(_) | Action::StartTls { .. }));
        if self.hop.conn.take().is_some() {
            self.pending.push_back(Action::Close);
        }
        self.writes.clear();
        let error = self.with_proxy_named(error);
        self.events.push(Event::Failure(error));
        self.state = State::Finished;
    }

    /// `error`, as [`Error::Proxy`] when it is a failure with the proxy
    /// itself: met while connecting to the proxy or setting up its tunnel,
    /// before the server was reached. The one place a failure learns which
    /// proxy it was and where that proxy came from, whatever runtime
    /// reported it.
    fn with_proxy_named(&self, error: Error) -> Error {
        let with_proxy = matches!(
            self.state,
            State::Connecting | State::WritingConnect | State::ReadingConnect
        );
        // Not the proxy's doing: the caller's cancel, the caller's body.
        let not_the_proxy = matches!(
            error,
            Error::Cancelled | Error::RequestBody { .. } | Error::Proxy { .. }
        );
        match self.request.proxy.as_ref() {
            Some(proxy) if with_proxy && !not_the_proxy => Error::Proxy {
                host: proxy.host.clone(),
                port: proxy.port,
                from: proxy.source.clone(),
                error: Box::new(error),
            },
            _ => error,
        }
    }

    pub(super) fn release_or_close(&mut self) {
        if let Some(conn) = self.hop.conn.take() {
            if self.hop.reusable && self.buf.len() == 0 {
                self.pending.push_back(Action::Release(conn.key));
            } else {
                self.pending.push_back(Action::Close);
            }
        }
    }
}
