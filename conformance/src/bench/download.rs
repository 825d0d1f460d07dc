//! Case A: one large download with the body discarded, by a raw socket read
//! loop (the limit of the machine), ureq, urlrequest-std, urlrequest-smol,
//! and urlrequest-tokio beside reqwest (each on a current-thread tokio
//! runtime).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::ops::ControlFlow;
use std::time::Instant;

use smol::stream::StreamExt;
use urlrequest_std::core::{Event, Exchange, Request};
use urlrequest_std::{Agent, DriveOptions};

use super::report::{load_cell, ratio_cell, spread_cell, Table, Target};
use super::stats::{load_average, mb_per_s, timed, Sample};
use super::Config;

/// Size of the buffer the raw loop and ureq read into: the size of the
/// buffer the core lends, so every client makes reads of the same size.
pub const READ: usize = 64 * 1024;

/// The clients of case A, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// `TcpStream::read` into one buffer, counting bytes.
    Raw,
    /// ureq 3, reading the body into one buffer.
    Ureq,
    /// `Agent::drive` with body collection off.
    Std,
    /// `Client::events` with body collection off.
    Smol,
    /// urlrequest-tokio's `Client::events`, on a current-thread runtime.
    Tokio,
    /// reqwest 0.12 reading `Response::chunk` until the end, on a
    /// current-thread runtime.
    Reqwest,
}

impl Client {
    /// Every client, in report order.
    pub const ALL: [Client; 6] = [
        Client::Raw,
        Client::Ureq,
        Client::Std,
        Client::Smol,
        Client::Tokio,
        Client::Reqwest,
    ];

    /// The short name used to pick clients on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Client::Raw => "raw",
            Client::Ureq => "ureq",
            Client::Std => "std",
            Client::Smol => "smol",
            Client::Tokio => "tokio",
            Client::Reqwest => "reqwest",
        }
    }

    /// The name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Client::Raw => "raw TcpStream read loop",
            Client::Ureq => "ureq 3",
            Client::Std => "urlrequest-std",
            Client::Smol => "urlrequest-smol",
            Client::Tokio => "urlrequest-tokio",
            Client::Reqwest => "reqwest 0.12",
        }
    }

    /// Downloads `path` from `addr` once, returning the body bytes seen.
    pub fn fetch(self, addr: SocketAddr, path: &str) -> Result<u64, String> {
        let url = format!("http://{addr}{path}");
        match self {
            Client::Raw => raw(addr, path).map_err(|e| format!("raw: {e}")),
            Client::Ureq => ureq_body(&ureq::Agent::config_builder().build().into(), &url),
            Client::Std => std_body(&Agent::new(), &url),
            Client::Smol => smol_body(&urlrequest_smol::Client::new(), &url),
            Client::Tokio => tokio_body(&urlrequest_tokio::Client::new(), &url),
            Client::Reqwest => reqwest_body(&reqwest::Client::new(), &url),
        }
    }
}

/// GET over a fresh socket; reads the head, then the body until its
/// Content-Length is reached.
fn raw(addr: SocketAddr, path: &str) -> std::io::Result<u64> {
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())?;
    let mut buf = vec![0u8; READ];
    let mut have = 0;
    let (head_len, length) = loop {
        let n = s.read(&mut buf[have..])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        have += n;
        if let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            break (end + 4, content_length(&buf[..end])?);
        }
        if have == buf.len() {
            return Err(std::io::Error::other("response head too long"));
        }
    };
    let mut got = (have - head_len) as u64;
    while got < length {
        match s.read(&mut buf)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n as u64,
        }
    }
    Ok(got)
}

fn content_length(head: &[u8]) -> std::io::Result<u64> {
    let text = String::from_utf8_lossy(head);
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("no Content-Length"))
}

/// Reads the body at `url` through `agent` (ureq 3) and counts it.
pub(super) fn ureq_body(agent: &ureq::Agent, url: &str) -> Result<u64, String> {
    let resp = agent.get(url).call().map_err(|e| format!("ureq: {e}"))?;
    let mut body = resp.into_body().into_reader();
    let mut buf = vec![0u8; READ];
    let mut got = 0u64;
    loop {
        match body.read(&mut buf).map_err(|e| format!("ureq: {e}"))? {
            0 => return Ok(got),
            n => got += n as u64,
        }
    }
}

fn streaming(url: &str) -> Result<Request, String> {
    Request::builder(url)
        .collect_body(false)
        .build()
        .map_err(|e| e.to_string())
}

/// Streams the body at `url` through `agent` (urlrequest-std) and counts it.
pub(super) fn std_body(agent: &Agent, url: &str) -> Result<u64, String> {
    let mut ex = Exchange::new(streaming(url)?, Instant::now());
    let mut got = 0u64;
    let mut failure = None;
    agent.drive(&mut ex, &DriveOptions::new(), |event, _| {
        match event {
            Event::Body(b) => got += b.len() as u64,
            Event::Failure(e) => failure = Some(e.to_string()),
            _ => {}
        }
        ControlFlow::Continue(())
    });
    failure.map_or(Ok(got), |e| Err(format!("urlrequest-std: {e}")))
}

/// Streams the body at `url` through `client` (urlrequest-smol) and counts it.
pub(super) fn smol_body(client: &urlrequest_smol::Client, url: &str) -> Result<u64, String> {
    let request = streaming(url)?;
    smol::block_on(async {
        let mut events = client.events(request);
        let mut got = 0u64;
        while let Some(event) = events.next().await {
            match event {
                urlrequest_smol::Event::Body(b) => got += b.len() as u64,
                urlrequest_smol::Event::Failure(e) => return Err(format!("urlrequest-smol: {e}")),
                _ => {}
            }
        }
        Ok(got)
    })
}

/// A current-thread tokio runtime, as `#[tokio::main(flavor =
/// "current_thread")]` makes.
pub(super) fn tokio_current_thread() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

/// Streams the body at `url` through `client` (urlrequest-tokio) and counts it.
pub(super) fn tokio_body(client: &urlrequest_tokio::Client, url: &str) -> Result<u64, String> {
    let request = streaming(url)?;
    tokio_current_thread()?.block_on(async {
        let mut events = client.events(request);
        let mut got = 0u64;
        while let Some(event) = events.next().await {
            match event {
                urlrequest_tokio::Event::Body(b) => got += b.len() as u64,
                urlrequest_tokio::Event::Failure(e) => {
                    return Err(format!("urlrequest-tokio: {e}"))
                }
                _ => {}
            }
        }
        Ok(got)
    })
}

/// Reads the body at `url` through `client` (reqwest) chunk by chunk and
/// counts it.
pub(super) fn reqwest_body(client: &reqwest::Client, url: &str) -> Result<u64, String> {
    tokio_current_thread()?.block_on(async {
        let mut resp = client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("reqwest: {e}"))?;
        let mut got = 0u64;
        while let Some(chunk) = resp.chunk().await.map_err(|e| format!("reqwest: {e}"))? {
            got += chunk.len() as u64;
        }
        Ok(got)
    })
}

/// Runs case A against one server; adds the targets it checks when
/// `targets` is given.
pub fn section(
    server: &str,
    addr: SocketAddr,
    path: &str,
    size: u64,
    cfg: &Config,
    targets: Option<&mut Vec<Target>>,
) -> Result<Table, String> {
    let mut samples = vec![Sample::default(); Client::ALL.len()];
    let mut cpu = vec![Sample::default(); Client::ALL.len()];
    // Interleaved, so a change in the machine's load hits every client alike.
    for _ in 0..cfg.runs {
        for (i, c) in Client::ALL.iter().enumerate() {
            if !cfg.runs_client(c.key()) {
                continue;
            }
            let load = load_average();
            let run = timed(|| c.fetch(addr, path))?;
            if run.units != size {
                let got = run.units;
                return Err(format!("{}: {got} body bytes, expected {size}", c.name()));
            }
            samples[i].push(mb_per_s(size, run.wall), load);
            // Milliseconds of client CPU per GB received.
            cpu[i].push(run.cpu.as_secs_f64() * 1e3 / (size as f64 / 1e9), load);
        }
    }
    let raw = samples[0].median();
    let ureq = samples[1].median();
    let reqwest = samples[5].median();
    let mut t = Table::new(
        format!(
            "#### A. {} MiB download, body discarded, from {server}",
            size >> 20
        ),
        &[
            "client",
            "MB/s median (min..max)",
            "to raw",
            "to ureq",
            "to reqwest",
            "client CPU ms/GB",
            "load",
        ],
    );
    for ((c, s), cpu) in Client::ALL.iter().zip(&samples).zip(&cpu) {
        if s.is_empty() {
            continue;
        }
        t.row(vec![
            c.name().into(),
            spread_cell(s, 0),
            ratio_cell(s.median(), raw),
            ratio_cell(s.median(), ureq),
            ratio_cell(s.median(), reqwest),
            format!("{:.0}", cpu.median()),
            load_cell(s),
        ]);
    }
    t.note(
        "`client CPU`: CPU time of the client's thread (user and system, \
         with the kernel's loopback work done on it) per GB, median.",
    );
    if let (Some(targets), None) = (targets, &cfg.clients) {
        let (std, smol) = (samples[2].median(), samples[3].median());
        targets.push(Target::ratio("A: std ≥ 1.00x ureq", std / ureq, 1.0));
        targets.push(Target::ratio("A: std ≥ 0.95x raw", std / raw, 0.95));
        targets.push(Target::ratio("A: smol ≥ 0.90x raw", smol / raw, 0.90));
        let tokio = samples[4].median();
        targets.push(Target::ratio(
            "A: tokio ≥ 1.00x reqwest",
            tokio / reqwest,
            1.0,
        ));
    }
    Ok(t)
}
