//! The receiving half of an exchange: proxy answers, response heads
//! (interim, redirect, final), body framing and delivery in `chunk_size`
//! pieces, and how a response ends (done, redirect followed, failure).

use bytes::Bytes;
use http::header::CONNECTION;
use http::{HeaderMap, Version};

use super::{Action, Exchange, State};
use crate::content_encoding::{codecs_for, ContentDecoder};
use crate::decode::{decode_json, is_json};
use crate::error::Error;
use crate::event::{Event, Response};
use crate::framing::{decide, BodyDecoder, Framing};
use crate::head::{parse_head, HeadParse, ResponseHead};
use crate::rechunk::whole_chunks;
use crate::redirect::{headers_for_hop, is_redirect_status, next_hop, NextHop};
use crate::request::DEFAULT_MAX_COLLECTED_BODY;

/// Largest `chunk_size` for which partial chunks wait in the read buffer
/// (larger ones are assembled in the re-chunker instead).
const HOLD_BACK_MAX_CHUNK: usize = 64 * 1024;

/// Most bytes of a redirect's body read to keep its connection for reuse.
const MAX_REDIRECT_DRAIN: u64 = 64 * 1024;

impl Exchange {
    /// A head that was held back as incomplete but cannot become valid.
    pub(super) fn malformed_at_eof(&self) -> Option<Error> {
        if self.buf.len() == 0 {
            return None;
        }
        parse_head(self.buf.data(), &self.request.limits, true).err()
    }

    /// Works through buffered bytes as far as they go.
    pub(super) fn process(&mut self) {
        loop {
            let more = match self.state {
                State::ReadingConnect => self.process_connect_head(),
                State::ReadingHead => self.process_head(),
                State::ReadingBody | State::Draining => self.process_body(),
                _ => false,
            };
            if !more {
                return;
            }
        }
    }

    // Not inlined: head parsing needs kilobytes of stack, and inlined into
    // `process` that frame would be set up for every body read too; after a
    // 64 KiB read has pushed the stack out of the first-level cache, each
    // line of it touched is a miss (see BENCHMARKS.md).
    #[inline(never)]
    pub(super) fn process_connect_head(&mut self) -> bool {
        let head = match parse_head(self.buf.data(), &self.request.limits, false) {
            Ok(HeadParse::Partial) => return false,
            Ok(HeadParse::Complete(head, len)) => {
                self.buf.consume(len);
                self.hop.head_deadline = None;
                head
            }
            Err(e) => {
                self.fail(e);
                return false;
            }
        };
        if !head.status.is_success() {
            self.fail(Error::ProxyRefused {
                status: head.status.as_u16(),
                reason: head.reason,
            });
            return false;
        }
        if self.buf.len() > 0 {
            self.fail(Error::malformed(format!(
                "proxy sent {} unexpected bytes after accepting the tunnel",
                self.buf.len()
            )));
            return false;
        }
        let server_name = self.target(false).key.host;
        self.pending.push_back(Action::StartTls { server_name });
        self.state = State::Handshaking;
        false
    }

    #[inline(never)]
    pub(super) fn process_head(&mut self) -> bool {
        match parse_head(self.buf.data(), &self.request.limits, false) {
            Ok(HeadParse::Partial) => false,
            Ok(HeadParse::Complete(head, len)) => {
                self.buf.consume(len);
                self.on_head(head);
                true
            }
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    pub(super) fn on_head(&mut self, head: ResponseHead) {
        let status = head.status.as_u16();
        if status == 101 {
            self.fail(Error::malformed(
                "unexpected 101 Switching Protocols: no upgrade was requested",
            ));
            return;
        }
        if head.status.is_informational() {
            if status == 100 {
                self.release_body(); // a body held for `Expect: 100-continue` goes now
            }
            return; // 100 Continue, 103 Early Hints: the real head follows
        }
        self.hop.head_deadline = None;
        if let Some(jar) = &self.request.cookie_jar {
            let now = self.request.wall_time.unwrap_or(std::time::UNIX_EPOCH);
            jar.store_response(
                &self.url,
                head.headers.get_all(http::header::SET_COOKIE),
                now,
            );
        }
        let decision = match decide(&self.method, status, &head.headers) {
            Ok(d) => d,
            Err(e) => {
                self.fail(e);
                return;
            }
        };
        self.hop.reusable = decision.reusable && self.keep_alive(&head);
        self.body_never_sent();
        let max_trailers = self.request.limits.max_head_bytes;
        self.hop.decoder = Some(BodyDecoder::new(decision.framing, max_trailers));
        if is_redirect_status(head.status) && self.request.max_redirects > 0 {
            let hop = next_hop(
                head.status,
                &head.headers,
                &self.url,
                &self.method,
                self.request.allow_https_to_http,
            );
            match hop {
                Err(e) => {
                    self.fail(e);
                    return;
                }
                Ok(Some(hop)) if self.upload_blocks_redirect(&hop) => {}
                Ok(Some(hop)) => {
                    self.begin_redirect(head, hop, decision.framing);
                    return;
                }
                Ok(None) => {}
            }
        }
        self.hop.total = match decision.framing {
            Framing::Length(n) => Some(n),
            Framing::Empty => Some(0),
            Framing::Chunked | Framing::UntilClose => None,
        };
        if self.request.decompress && decision.framing != Framing::Empty {
            if let Some(codecs) = codecs_for(&head.headers) {
                // The length on the wire is the compressed one: the decoded
                // length is unknown until the end.
                self.hop.content = Some(Box::new(ContentDecoder::new(&codecs)));
                self.hop.total = None;
            }
        }
        if let (Some(limit), Some(total)) = (self.body_limit(), self.hop.total) {
            if total > limit {
                self.fail(self.body_too_large(limit));
                return;
            }
        }
        if self.request.collect_body {
            let hint = self.hop.total.unwrap_or(0).min(16 * 1024 * 1024) as usize;
            self.hop.collected = Vec::with_capacity(hint);
        }
        self.events.push_progress(0, self.hop.total);
        self.hop.head = Some(head);
        self.state = State::ReadingBody;
        if self
            .hop
            .decoder
            .as_ref()
            .is_some_and(BodyDecoder::is_finished)
        {
            self.finish_body();
        }
    }

    pub(super) fn begin_redirect(&mut self, head: ResponseHead, hop: NextHop, framing: Framing) {
        if self.hops >= self.request.max_redirects {
            self.fail(Error::TooManyRedirects {
                limit: self.request.max_redirects,
                to: hop.url.to_string(),
            });
            return;
        }
        if self
            .visited
            .iter()
            .any(|(m, u)| *m == hop.method && *u == hop.url)
        {
            self.fail(Error::RedirectLoop {
                url: hop.url.to_string(),
            });
            return;
        }
        self.events.push(Event::Redirect {
            status: head.status,
            from: self.url.clone(),
            to: hop.url.clone(),
            method: hop.method.clone(),
        });
        self.hop.head = Some(head);
        self.hop.redirect = Some(hop);
        self.state = State::Draining;
        let drained = self
            .hop
            .decoder
            .as_ref()
            .is_some_and(BodyDecoder::is_finished);
        let long = matches!(framing, Framing::Length(n) if n > MAX_REDIRECT_DRAIN);
        if framing == Framing::UntilClose || long {
            // Reading a redirect body of unknown or large length to keep the
            // connection is not worth it: close and move on.
            self.hop.reusable = false;
            self.finish_body();
        } else if drained {
            self.finish_body();
        }
    }

    pub(super) fn keep_alive(&self, head: &ResponseHead) -> bool {
        let has = |headers: &HeaderMap, token: &str| {
            headers.get_all(CONNECTION).iter().any(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case(token))
            })
        };
        if has(&self.headers, "close") || has(&head.headers, "close") {
            return false;
        }
        head.version == Version::HTTP_11 || has(&head.headers, "keep-alive")
    }

    /// The chunk size when body bytes wait in the read buffer until a whole
    /// chunk is there: the body is the wire bytes (identity framing), it is
    /// being delivered (not drained), and no partial chunk sits in the
    /// re-chunker.
    pub(super) fn held_back_chunk(&self) -> Option<usize> {
        let chunk = self.rechunker.size();
        let identity = self
            .hop
            .decoder
            .as_ref()
            .is_some_and(|d| d.identity_remaining().is_ok());
        (identity
            && self.hop.content.is_none()
            && !self.hop.draining_all
            && self.state == State::ReadingBody
            && !self.rechunker.has_pending()
            && chunk <= HOLD_BACK_MAX_CHUNK)
            .then_some(chunk)
    }

    pub(super) fn process_body(&mut self) -> bool {
        if self.hop.decoder.is_none() || self.buf.len() == 0 {
            return false;
        }
        let mut input = self.buf.shared();
        if let Some(chunk) = self.held_back_chunk() {
            // A body whose bytes are the wire bytes is taken in whole chunks
            // only: the partial chunk at the end stays in the read buffer,
            // where the next read lands right after it, so every `Body`
            // event is a slice of the buffer and nothing is copied.
            let whole = whole_chunks(input.len(), chunk);
            let more_to_come = match self
                .hop
                .decoder
                .as_ref()
                .map(BodyDecoder::identity_remaining)
            {
                Some(Ok(Some(remaining))) => remaining > input.len() as u64,
                _ => true,
            };
            if more_to_come {
                if whole == 0 {
                    return false;
                }
                input.truncate(whole);
            }
        }
        let Some(decoder) = &mut self.hop.decoder else {
            return false;
        };
        if decoder.identity_remaining().is_ok() {
            // The body is the wire bytes: one piece, no decoding (whole
            // chunks leave as one run of `Body` events, see `deliver`).
            let used = decoder.take_identity(input.len());
            let finished = decoder.is_finished();
            input.truncate(used);
            self.buf.consume(used);
            if used > 0 {
                self.on_body_piece(input, finished);
            }
            return self.finish_if_done(finished);
        }
        self.process_decoded(input)
    }

    /// Ends the body once the decoder has seen all of it, unless a failure
    /// already ended the exchange; `true` when there is more to process
    /// (the next response head after a redirect's body).
    fn finish_if_done(&mut self, finished: bool) -> bool {
        if finished && self.receiving_body() {
            self.finish_body();
            return true;
        }
        false
    }

    fn receiving_body(&self) -> bool {
        matches!(self.state, State::ReadingBody | State::Draining)
    }

    /// `process_body` for a body that has to be decoded (chunked): kept out
    /// of line so the identity path's frame stays small (see
    /// `process_connect_head`).
    #[inline(never)]
    fn process_decoded(&mut self, input: Bytes) -> bool {
        let Some(decoder) = &mut self.hop.decoder else {
            return false;
        };
        let mut pieces = std::mem::take(&mut self.pieces);
        let result = decoder.decode(&input, &mut |p| pieces.push(p));
        drop(input);
        let finished = decoder.is_finished();
        match result {
            Ok(used) => self.buf.consume(used),
            Err(e) => {
                pieces.clear();
                self.pieces = pieces;
                self.fail(e);
                return false;
            }
        }
        let count = pieces.len();
        for (i, piece) in pieces.drain(..).enumerate() {
            if !self.receiving_body() {
                break;
            }
            self.on_body_piece(piece, finished && i + 1 == count);
        }
        self.pieces = pieces;
        self.finish_if_done(finished)
    }

    /// Decodes the bytes held back as a partial chunk, so that they count
    /// before the exchange ends at end of stream or on a timeout.
    pub(super) fn take_held_back(&mut self) {
        if self.receiving_body() {
            self.hop.draining_all = true;
            self.process();
        }
    }

    /// A piece of the body; `last`: nothing follows it.
    pub(super) fn on_body_piece(&mut self, mut piece: Bytes, last: bool) {
        if self.state == State::ReadingBody && self.hop.content.is_some() {
            self.decode_piece(Some(&piece));
            return;
        }
        let before = self.hop.received;
        self.hop.received += piece.len() as u64;
        if self.state == State::Draining {
            if self.hop.received > MAX_REDIRECT_DRAIN {
                // Not worth reading to keep the connection: close it and go.
                self.hop.reusable = false;
                self.finish_body();
            }
            return;
        }
        let mut over_limit = None;
        if let Some(limit) = self.body_limit() {
            if self.hop.received > limit {
                // Deliver the bytes up to the limit first: failing at once
                // would make the Body events depend on how the bytes were
                // split into reads.
                piece.truncate(limit.saturating_sub(before) as usize);
                over_limit = Some(limit);
            }
        }
        self.deliver(piece, last);
        if let Some(limit) = over_limit {
            self.fail(self.body_too_large(limit));
        }
    }

    /// Runs compressed body bytes through the content decoder (`None`: the
    /// body ended) and delivers the decoded bytes; a decoding error ends
    /// the exchange after what was decoded before it.
    #[inline(never)]
    fn decode_piece(&mut self, piece: Option<&[u8]>) {
        let Some(mut content) = self.hop.content.take() else {
            return;
        };
        let mut out = std::mem::take(&mut self.pieces);
        let result = match piece {
            Some(p) => content.push(p, &mut out),
            None => content.finish(&mut out),
        };
        for decoded in out.drain(..) {
            if self.state != State::ReadingBody {
                break;
            }
            self.on_body_piece(decoded, false);
        }
        self.pieces = out;
        if let Err(e) = result {
            if self.state == State::ReadingBody {
                self.fail(e);
            }
            return;
        }
        self.hop.content = Some(content);
    }

    /// The body limit in force: the request's own, else for a collected
    /// body the default one, else none (a streamed body).
    #[inline]
    fn body_limit(&self) -> Option<u64> {
        match self.request.limits.max_body_bytes {
            Some(limit) => Some(limit),
            None if self.request.collect_body => Some(DEFAULT_MAX_COLLECTED_BODY),
            None => None,
        }
    }

    fn body_too_large(&self, limit: u64) -> Error {
        Error::BodyTooLarge {
            limit,
            default_for_collected: self.request.limits.max_body_bytes.is_none(),
        }
    }

    pub(super) fn deliver(&mut self, piece: Bytes, last: bool) {
        if self.request.collect_body {
            self.hop.collected.extend_from_slice(&piece);
        }
        let (events, emitted, total) = (&mut self.events, &mut self.hop.emitted, self.hop.total);
        let size = self.rechunker.size();
        self.rechunker.push(piece, last, &mut |run| {
            let n = run.len() as u64;
            events.push_body(run, size, *emitted, total);
            *emitted += n;
        });
    }

    // Once per response; kept out of the body path's frame (see
    // `process_connect_head`).
    #[inline(never)]
    pub(super) fn finish_body(&mut self) {
        if self.state == State::Draining {
            self.finish_redirect();
            return;
        }
        if self.hop.content.is_some() {
            self.decode_piece(None);
            if self.state != State::ReadingBody {
                return; // failed
            }
            self.hop.content = None;
        }
        let (events, emitted, total) = (&mut self.events, &mut self.hop.emitted, self.hop.total);
        let size = self.rechunker.size();
        self.rechunker.finish(&mut |run| {
            let n = run.len() as u64;
            events.push_body(run, size, *emitted, total);
            *emitted += n;
        });
        let trailers = self
            .hop
            .decoder
            .as_mut()
            .map(BodyDecoder::take_trailers)
            .unwrap_or_default();
        // Kept (not taken) so `response_head()` still answers once finished.
        let head = self.hop.head.clone().expect("a body follows a head");
        self.release_or_close();
        let body = self
            .request
            .collect_body
            .then(|| Bytes::from(std::mem::take(&mut self.hop.collected)));
        let mut json = None;
        if let Some(b) = &body {
            if self.request.decode && !b.is_empty() && is_json(&head.headers) {
                match decode_json(b) {
                    Ok(v) => json = Some(v),
                    Err(e) => {
                        self.fail(e);
                        return;
                    }
                }
            }
        }
        self.events.push(Event::Done(Response {
            status: head.status,
            reason: head.reason,
            version: head.version,
            headers: head.headers,
            trailers,
            url: self.url.clone(),
            body,
            json,
            raw_head: head.raw,
        }));
        self.state = State::Finished;
    }

    pub(super) fn finish_redirect(&mut self) {
        self.release_or_close();
        let hop = self
            .hop
            .redirect
            .take()
            .expect("draining implies a redirect");
        headers_for_hop(&mut self.headers, &hop);
        if !hop.keep_body {
            self.body = None;
        }
        self.upload_after_redirect(hop.keep_body);
        self.method = hop.method.clone();
        self.url = hop.url.clone();
        if let Some(env) = &self.request.env_proxies {
            // Proxies from the environment are chosen per URL.
            self.request.proxy = env.proxy_for(&self.url);
        }
        self.visited.push((hop.method, hop.url));
        self.hops += 1;
        self.fresh_only = false;
        self.start_hop();
    }
}
