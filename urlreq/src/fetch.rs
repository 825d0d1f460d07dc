//! One fetch: build the request from the arguments, drive it (or replay a
//! transcript), and write the body, the head, the events or the progress.

use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use urlrequest_std::core::{Event, Exchange, Proxy, Transcript};
use urlrequest_std::{Agent, DriveOptions, FileSink, Request, TlsSettings};

use crate::args::{split_header, split_host_port, Args};
use crate::events::event_json;

/// Exit status for a usage error.
pub const USAGE: i32 = 2;

/// Runs the fetch described by `args`; returns the exit status.
pub fn run(args: &Args, show_progress: bool) -> i32 {
    if let Some(path) = &args.replay {
        return replay(args, path);
    }
    let request = match build_request(args).and_then(|mut r| {
        crate::extras::prepare(args, &mut r)?;
        Ok(r)
    }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("urlreq: {e}");
            return USAGE;
        }
    };
    let mut tls = TlsSettings::default().verify(!args.insecure);
    if let Some(ca) = &args.cacert {
        tls = tls.ca_file(ca);
    }
    // The environment's proxies are applied to the request above, where
    // `--noproxy` can change them; the client adds none of its own.
    let agent = match Agent::builder().tls(tls).no_env_proxies().build() {
        Ok(agent) => agent,
        Err(e) => {
            eprintln!("urlreq: {e}");
            return USAGE;
        }
    };
    let upload = match args.upload_file.as_deref() {
        Some(path) => crate::upload::open(path).map(Some),
        // `-F name=@file`: the form streamed from disk.
        None => crate::extras::form_upload(args).map(|f| f.map(|(_, u)| u)),
    };
    let mut upload = match upload {
        Ok(u) => u,
        Err(e) => {
            eprintln!("urlreq: {e}");
            return USAGE;
        }
    };
    let now = Instant::now();
    let mut ex = if args.record.is_some() {
        Exchange::recording(request, now)
    } else {
        Exchange::new(request, now)
    };
    let mut sink = match Sink::open(args, show_progress) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("urlreq: {e}");
            return 1;
        }
    };
    agent.drive_upload(
        &mut ex,
        &DriveOptions::new(),
        upload.as_mut(),
        |event, ex| {
            let head = ex.response_head().map(|(status, headers)| {
                let (version, reason) = ex
                    .response_status_line()
                    .unwrap_or((http::Version::HTTP_11, ""));
                Head {
                    status,
                    version,
                    reason: reason.to_string(),
                    headers: headers.clone(),
                }
            });
            match sink.on_event(&event, head) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    sink.write_error = Some(e);
                    ControlFlow::Break(())
                }
            }
        },
    );
    if let (Some(path), Some(t)) = (&args.record, ex.transcript()) {
        if let Err(e) = std::fs::write(path, t.to_json_lines()) {
            eprintln!(
                "urlreq: could not write the transcript to {}: {e}",
                path.display()
            );
        }
    }
    sink.finish()
}

fn replay(args: &Args, path: &std::path::Path) -> i32 {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("urlreq: cannot read {}: {e}", path.display());
            return USAGE;
        }
    };
    let transcript = match Transcript::parse(&text) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("urlreq: {}: {e}", path.display());
            return USAGE;
        }
    };
    let events = transcript.replay(Instant::now());
    let head = events.iter().find_map(|e| match e {
        Event::Done(r) => Some(Head {
            status: r.status(),
            version: r.version(),
            reason: r.reason().to_string(),
            headers: r.headers().clone(),
        }),
        _ => None,
    });
    let mut sink = match Sink::open(args, false) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("urlreq: {e}");
            return 1;
        }
    };
    for event in &events {
        if let Err(e) = sink.on_event(event, head.clone()) {
            sink.write_error = Some(e);
            break;
        }
    }
    sink.finish()
}

fn build_request(args: &Args) -> Result<Request, String> {
    let url = args.url.as_deref().ok_or("no URL given")?;
    let mut b = Request::builder(url);
    if let Some(m) = &args.method {
        b = b.method(m);
    }
    for h in &args.headers {
        let (name, value) = split_header(h)?;
        b = b.header(name, value);
    }
    if let Some(d) = &args.data {
        let body = match d.strip_prefix('@') {
            Some(file) => std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?,
            None => d.as_bytes().to_vec(),
        };
        b = b.body(body);
    }
    if let Some(path) = &args.upload_file {
        b = b.body_stream(crate::upload::stream_for(path)?);
        if args.method.is_none() {
            b = b.method("PUT");
        }
    }
    if let Some(p) = &args.proxy {
        let (host, port) = split_host_port(p)?;
        let mut proxy = Proxy::new(host, port).map_err(|e| e.to_string())?;
        for h in &args.proxy_headers {
            let (name, value) = split_header(h)?;
            proxy = proxy.header(name, value).map_err(|e| e.to_string())?;
        }
        b = b.proxy(proxy);
    }
    if let Some(t) = args.timeout {
        if !(t > 0.0 && t.is_finite()) {
            return Err(format!(
                "--timeout must be a positive number of seconds, not {t}"
            ));
        }
        // Past about 584 billion years a Duration overflows.
        let t = Duration::try_from_secs_f64(t)
            .map_err(|_| format!("--timeout of {t} seconds is too long"))?;
        b = b.timeout(t);
    }
    if let Some(t) = args.connect_timeout {
        let t = Duration::try_from_secs_f64(t)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or(format!(
                "--connect-timeout must be a positive number of seconds, not {t}"
            ))?;
        b = b.connect_timeout(t);
    }
    b = b.decompress(!args.raw);
    if let Some(n) = args.max_redirects {
        b = b.max_redirects(n);
    }
    if let Some(n) = args.chunk_size {
        b = b.chunk_size(n);
    }
    b = crate::extras::form_body(args, b)?;
    // The body streams to its destination; keeping a copy would make memory
    // grow with the download.
    b = b.collect_body(false).decode(false);
    b.build().map_err(|e| e.to_string())
}

/// Where events go.
struct Sink {
    events: bool,
    include: bool,
    head_printed: bool,
    file: Option<FileSink>,
    stdout: io::BufWriter<io::Stdout>,
    bar: Option<ProgressBar>,
    outcome: Option<i32>,
    write_error: Option<io::Error>,
}

impl Sink {
    fn open(args: &Args, force_progress: bool) -> Result<Sink, String> {
        let file = match &args.output {
            Some(p) => Some(
                FileSink::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?,
            ),
            None => None,
        };
        let bar = (!args.events && (force_progress || io::stderr().is_terminal())).then(|| {
            let bar = ProgressBar::hidden();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar
        });
        Ok(Sink {
            events: args.events,
            include: args.include,
            head_printed: false,
            file,
            stdout: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            bar,
            outcome: None,
            write_error: None,
        })
    }

    fn on_event(&mut self, event: &Event, head: Option<Head>) -> io::Result<()> {
        if self.events {
            writeln!(self.stdout, "{}", event_json(event))?;
        }
        match event {
            Event::Progress { received: 0, total } if !self.head_printed => {
                self.head_printed = true;
                if self.include && !self.events {
                    if let Some(head) = head {
                        write_head(&mut self.stdout, &head)?;
                    }
                }
                if let Some(bar) = &self.bar {
                    match total {
                        Some(t) => {
                            bar.set_length(*t);
                            bar.set_style(
                                ProgressStyle::with_template(
                                    "{bar:40.cyan/blue} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                                )
                                .unwrap_or_else(|_| ProgressStyle::default_bar()),
                            );
                        }
                        None => bar.set_style(
                            ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec}")
                                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                        ),
                    }
                }
            }
            Event::Progress { received, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(*received);
                }
            }
            Event::Body(b) if !self.events => match &mut self.file {
                Some(f) => f.write(b)?,
                None => self.stdout.write_all(b)?,
            },
            Event::Done(r) => {
                self.outcome = Some(if r.status().as_u16() < 400 { 0 } else { 3 });
            }
            Event::Failure(e) => {
                if !self.events {
                    eprintln!("urlreq: {}: {e}", e.kind_name());
                }
                self.outcome = Some(1);
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> i32 {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if let Some(e) = self.write_error.take() {
            eprintln!("urlreq: writing the body failed: {e}");
            return 1;
        }
        let outcome = self.outcome.unwrap_or(1);
        if let Err(e) = self.stdout.flush() {
            eprintln!("urlreq: writing to stdout failed: {e}");
            return 1;
        }
        if let Some(file) = self.file.take() {
            if outcome == 1 {
                drop(file); // removes the temporary file
            } else if let Err(e) = file.commit() {
                eprintln!("urlreq: could not move the download into place: {e}");
                return 1;
            }
        }
        outcome
    }
}

/// The status line and headers of the final response.
#[derive(Clone)]
struct Head {
    status: http::StatusCode,
    version: http::Version,
    reason: String,
    headers: http::HeaderMap,
}

fn write_head(out: &mut impl Write, head: &Head) -> io::Result<()> {
    writeln!(
        out,
        "{:?} {} {}\r",
        head.version,
        head.status.as_u16(),
        head.reason
    )?;
    for (name, value) in &head.headers {
        writeln!(
            out,
            "{}: {}\r",
            name,
            String::from_utf8_lossy(value.as_bytes())
        )?;
    }
    writeln!(out, "\r")
}
