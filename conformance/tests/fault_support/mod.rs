//! Fault servers and a client of each socket runtime (runtime-std,
//! runtime-smol, runtime-frame) for the fault tests.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use urlrequest_core::Request;

/// How a fault server treats one accepted connection.
pub type Behaviour = dyn Fn(TcpStream) + Send + Sync;

pub struct FaultServer {
    pub port: u16,
    pub accepted: Arc<AtomicUsize>,
}

impl FaultServer {
    pub fn start(behaviour: impl Fn(TcpStream) + Send + Sync + 'static) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                let b = behaviour.clone();
                thread::spawn(move || b(stream));
            }
        });
        FaultServer { port, accepted }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// Reads a request head (and discards it); false at EOF.
pub fn read_head<R: std::io::Read>(r: &mut BufReader<R>) -> bool {
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line == "\r\n" => return true,
            Ok(_) => {}
        }
    }
}

/// Answers every request on the connection with `reply`, then `after`.
pub fn answer(reply: &'static [u8], close: bool) -> impl Fn(TcpStream) + Send + Sync {
    move |s: TcpStream| {
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut w = s;
        while read_head(&mut r) {
            let _ = w.write_all(reply);
            if close {
                let _ = w.shutdown(Shutdown::Write);
                // Keep reading so the client sees a clean end of stream.
                let _ = std::io::copy(&mut r, &mut std::io::sink());
                return;
            }
        }
    }
}

pub const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

pub fn request(url: &str) -> Request {
    Request::builder(url)
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

/// The outcome through every runtime, as `Ok(status)` or
/// `Err("kind: message")`, each on a client that is then used again.
pub struct Clients {
    agent: urlrequest_std::Agent,
    smol: urlrequest_smol::Client,
    tokio: urlrequest_tokio::Client,
    /// The runtime tokio's client's connections belong to.
    tokio_runtime: tokio::runtime::Runtime,
    frame: urlrequest_frame::Client,
}

/// The runtimes [`Clients::all`] runs a request through, in order.
pub const RUNTIMES: [&str; 4] = ["std", "smol", "tokio", "frame"];

impl Clients {
    pub fn new() -> Clients {
        Clients::with(|b| b, |b| b, |b| b, |b| b)
    }

    /// Clients that trust the conformance test CA (and nothing else).
    pub fn trusting_test_ca() -> Clients {
        let ca = urlrequest_conformance::TestCa::trusted().pem_file();
        Clients::with(
            |b| b.tls(urlrequest_std::TlsSettings::default().ca_file(ca)),
            |b| b.ca_file(ca),
            |b| b.ca_file(ca),
            |b| b.ca_file(ca),
        )
    }

    fn with(
        std: impl FnOnce(urlrequest_std::AgentBuilder) -> urlrequest_std::AgentBuilder,
        smol: impl FnOnce(urlrequest_smol::ClientBuilder) -> urlrequest_smol::ClientBuilder,
        tokio: impl FnOnce(urlrequest_tokio::ClientBuilder) -> urlrequest_tokio::ClientBuilder,
        frame: impl FnOnce(urlrequest_frame::ClientBuilder) -> urlrequest_frame::ClientBuilder,
    ) -> Clients {
        Clients {
            agent: std(urlrequest_std::Agent::builder())
                .build()
                .expect("client settings"),
            smol: smol(urlrequest_smol::Client::builder()).build().unwrap(),
            tokio: tokio(urlrequest_tokio::Client::builder()).build().unwrap(),
            tokio_runtime: urlrequest_conformance::TokioDriver::CURRENT_THREAD
                .runtime()
                .unwrap(),
            frame: frame(urlrequest_frame::Client::builder())
                .build()
                .expect("client settings"),
        }
    }

    /// The outcome of `req` through each of [`RUNTIMES`], in that order.
    pub fn all(&self, req: &Request) -> Vec<(&'static str, Result<u16, String>)> {
        let std = self
            .agent
            .send(req.clone())
            .map(|r| r.status().as_u16())
            .map_err(|e| match e.request_error() {
                Some(core) => format!("{}: {core}", core.kind_name()),
                None => format!("other: {e}"),
            });
        let smol = smol::block_on(self.smol.send(req.clone()))
            .map(|r| r.status().as_u16())
            .map_err(|e| format!("{}: {e}", e.kind_name()));
        let tokio = self
            .tokio_runtime
            .block_on(self.tokio.send(req.clone()))
            .map(|r| r.status().as_u16())
            .map_err(|e| format!("{}: {e}", e.kind_name()));
        let frame = frame_send(&self.frame, req.clone());
        RUNTIMES
            .into_iter()
            .zip([std, smol, tokio, frame])
            .collect()
    }

    /// Runs `req`, expects a failure of `kind` whose message contains
    /// `says`, word for word the same from every runtime (one transport
    /// vocabulary), then checks every client still works.
    pub fn expect_failure(&self, req: &Request, kind: &str, says: &str) {
        let outcomes = self.all(req);
        for (runtime, outcome) in &outcomes {
            let err = outcome
                .as_ref()
                .expect_err(&format!("{runtime}: expected a {kind} failure"));
            assert!(err.starts_with(&format!("{kind}: ")), "{runtime}: {err}");
            assert!(err.contains(says), "{runtime}: {err:?} should say {says:?}");
        }
        let first = outcomes[0].1.clone().map_err(|e| timing_free(&e));
        for (runtime, outcome) in &outcomes {
            assert_eq!(
                outcome.clone().map_err(|e| timing_free(&e)),
                first,
                "the same fault reads the same through {} and {runtime}",
                RUNTIMES[0]
            );
        }
        let healthy = FaultServer::start(answer(OK, false));
        for (runtime, outcome) in self.all(&request(&healthy.url("/"))) {
            assert_eq!(
                outcome,
                Ok(200),
                "{runtime}: the client is still good after the fault"
            );
        }
    }
}

/// Runs `req` on the frame client, ticked by this thread alone.
fn frame_send(client: &urlrequest_frame::Client, req: Request) -> Result<u16, String> {
    let transfer = client.start(req);
    let mut outcome = Err("other: the request ended with no outcome".to_string());
    loop {
        client.tick(std::time::Instant::now());
        while let Some(event) = transfer.poll_event() {
            match event {
                urlrequest_core::Event::Done(r) => outcome = Ok(r.status().as_u16()),
                urlrequest_core::Event::Failure(e) => {
                    outcome = Err(format!("{}: {e}", e.kind_name()))
                }
                _ => {}
            }
        }
        if transfer.is_finished() {
            return outcome;
        }
        client.wait(None);
    }
}

/// `message` with the one timing-dependent figure a fault message holds (how
/// many body bytes a trickling server got out before a timeout) replaced by
/// `N`, so that two runs of one fault compare equal.
pub fn timing_free(message: &str) -> String {
    const TAIL: &str = " body bytes received)";
    match (message.rfind(" ("), message.strip_suffix(TAIL)) {
        (Some(open), Some(_))
            if message[open + 2..message.len() - TAIL.len()]
                .bytes()
                .all(|b| b.is_ascii_digit()) =>
        {
            format!("{} (N{TAIL}", &message[..open])
        }
        _ => message.to_string(),
    }
}
