//! Simulated connections for the in-memory driver: a scripted server's
//! side of a connection, and the in-process proxy in front of them
//! (forwarding and tunnelling by the same rules as [`crate::HttpProxy`]).

use std::collections::VecDeque;

use crate::case::End;
use crate::origins::{Origins, Role};
use crate::proxy_rules::{decide, ProxyStep, BAD_GATEWAY, ESTABLISHED};
use crate::script::{RequestReader, Script};

/// One simulated connection, seen from the server's side.
#[derive(Debug)]
pub(crate) struct SimConn {
    pub(crate) role: Role,
    number: usize,
    requests: usize,
    reader: RequestReader,
    /// Bytes sent by the server (or the proxy itself) not yet read.
    outgoing: VecDeque<u8>,
    /// The server closes once `outgoing` is read.
    closing: bool,
    /// The server stopped answering (stall or close): client bytes are dropped.
    done: bool,
    /// For a proxy connection: the connection to the origin it forwards to
    /// (authority, index) and whether it is a CONNECT tunnel.
    upstream: Option<(String, usize)>,
    tunnel: bool,
}

/// What a read on a connection finds.
pub(crate) enum Readable {
    /// Up to this many bytes are waiting.
    Bytes(usize),
    /// The server closed.
    Eof,
    /// Nothing yet: the client must wait.
    Nothing,
}

/// Every connection of a run, with what the proxy needs to know.
#[derive(Debug)]
pub(crate) struct SimNet {
    pub(crate) conns: Vec<SimConn>,
    origins: Origins,
    proxy_auth: Option<String>,
}

impl SimNet {
    pub(crate) fn new(origins: Origins, proxy_auth: Option<String>) -> SimNet {
        SimNet {
            conns: Vec::new(),
            origins,
            proxy_auth,
        }
    }

    /// Opens a connection to `role` (the script decides whether it is closed
    /// at once) and returns its index.
    pub(crate) fn open(&mut self, role: Role, script: &mut Script) -> usize {
        let (number, close_now) = if role == Role::Proxy {
            (0, false)
        } else {
            script.accept(role)
        };
        self.conns.push(SimConn {
            role,
            number,
            requests: 0,
            reader: RequestReader::default(),
            outgoing: VecDeque::new(),
            closing: close_now,
            done: close_now,
            upstream: None,
            tunnel: false,
        });
        self.conns.len() - 1
    }

    /// The role at the far end of `id`: through a proxy tunnel, the origin.
    pub(crate) fn far_role(&self, id: usize) -> Role {
        match &self.conns[id].upstream {
            Some((_, up)) if self.conns[id].tunnel => self.conns[*up].role,
            _ => self.conns[id].role,
        }
    }

    /// The client wrote `data` on connection `id`.
    pub(crate) fn client_wrote(&mut self, id: usize, data: &[u8], script: &mut Script) {
        if self.conns[id].role != Role::Proxy {
            return self.conns[id].serve(data, script);
        }
        if self.conns[id].tunnel {
            if let Some((_, up)) = self.conns[id].upstream {
                self.conns[up].serve(data, script);
            }
            return;
        }
        self.conns[id].reader.push(data);
        while !self.conns[id].done {
            let req = match self.conns[id].reader.next_request() {
                Ok(Some(r)) => r,
                Ok(None) => return,
                Err(m) => {
                    script.bad_request(Role::Proxy, 0, m);
                    return self.conns[id].answer_and_close(b"");
                }
            };
            match decide(&req, self.proxy_auth.as_deref()) {
                ProxyStep::Answer(bytes) => return self.conns[id].answer_and_close(bytes),
                ProxyStep::Tunnel(authority) => {
                    let Some(up) = self.open_authority(&authority, script) else {
                        return self.conns[id].answer_and_close(BAD_GATEWAY);
                    };
                    self.conns[id].outgoing.extend(ESTABLISHED);
                    self.conns[id].upstream = Some((authority, up));
                    self.conns[id].tunnel = true;
                    return;
                }
                ProxyStep::Forward(authority, bytes) => {
                    let same = matches!(&self.conns[id].upstream, Some((a, _)) if *a == authority);
                    if !same {
                        let Some(up) = self.open_authority(&authority, script) else {
                            return self.conns[id].answer_and_close(BAD_GATEWAY);
                        };
                        self.conns[id].upstream = Some((authority, up));
                    }
                    if let Some((_, up)) = self.conns[id].upstream {
                        self.conns[up].serve(&bytes, script);
                    }
                }
            }
        }
    }

    fn open_authority(&mut self, authority: &str, script: &mut Script) -> Option<usize> {
        let (host, port) = authority.rsplit_once(':')?;
        let role = self.origins.role_at(host, port.parse().ok()?)?;
        (role != Role::Proxy).then(|| self.open(role, script))
    }

    /// What the client would find reading connection `id`.
    pub(crate) fn readable(&self, id: usize) -> Readable {
        let c = &self.conns[id];
        if !c.outgoing.is_empty() {
            return Readable::Bytes(c.outgoing.len());
        }
        if c.closing {
            return Readable::Eof;
        }
        match c.upstream {
            Some((_, up)) => self.readable(up),
            None => Readable::Nothing,
        }
    }

    /// Takes `n` bytes the client reads from connection `id` (as many as
    /// [`readable`](Self::readable) said at most).
    pub(crate) fn take(&mut self, id: usize, n: usize) -> Vec<u8> {
        let c = &mut self.conns[id];
        if !c.outgoing.is_empty() {
            return c.outgoing.drain(..n).collect();
        }
        match c.upstream {
            Some((_, up)) => self.take(up, n),
            None => Vec::new(),
        }
    }
}

impl SimConn {
    fn answer_and_close(&mut self, bytes: &[u8]) {
        self.outgoing.extend(bytes);
        self.closing = true;
        self.done = true;
    }

    /// A scripted server's side: cut requests, answer them by the script.
    fn serve(&mut self, data: &[u8], script: &mut Script) {
        if self.done {
            return;
        }
        self.reader.push(data);
        loop {
            match self.reader.next_request() {
                Ok(None) => return,
                Ok(Some(req)) => {
                    self.requests += 1;
                    let reused = self.requests > 1;
                    let (send, end) = script.respond(self.role, self.number, reused, req);
                    self.outgoing.extend(send);
                    match end {
                        End::Keep => {}
                        End::Close => return self.answer_and_close(b""),
                        End::Stall => {
                            self.done = true;
                            return;
                        }
                    }
                }
                Err(m) => {
                    script.bad_request(self.role, self.number, m);
                    return self.answer_and_close(b"");
                }
            }
        }
    }
}
