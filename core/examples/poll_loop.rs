//! Fetches a plain-http URL with nothing but the core and non-blocking
//! `std::net` sockets: no threads, no async runtime. This is the shape of a
//! game loop or GUI main loop that advances the request a little every frame.
//!
//! ```text
//! cargo run -p urlrequest-core --example poll_loop -- http://127.0.0.1:8000/
//! ```
//!
//! Prints the status and body size (and every redirect) when done.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use urlrequest_core::{Action, Event, Exchange, Request, TransportError};

/// One request advanced a step at a time.
struct Fetch {
    exchange: Exchange,
    socket: Option<TcpStream>,
    body_bytes: u64,
}

/// What one frame's step produced.
enum Step {
    /// Nothing more to do this frame (the socket would block).
    Idle,
    /// The request ended.
    Finished(Result<(u16, String), String>),
}

impl Fetch {
    fn new(url: &str) -> Result<Fetch, String> {
        let request = Request::builder(url)
            .timeout(Duration::from_secs(10))
            .collect_body(false)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Fetch {
            exchange: Exchange::new(request, Instant::now()),
            socket: None,
            body_bytes: 0,
        })
    }

    /// Advances the request as far as it goes without blocking.
    fn step(&mut self) -> Step {
        loop {
            let now = Instant::now();
            while let Some(event) = self.exchange.poll_event() {
                match event {
                    Event::Redirect { status, to, .. } => println!("redirect {status} -> {to}"),
                    Event::Body(chunk) => self.body_bytes += chunk.len() as u64,
                    Event::Progress { .. } => {}
                    Event::Done(response) => {
                        let url = response.url().to_string();
                        return Step::Finished(Ok((response.status().as_u16(), url)));
                    }
                    Event::Failure(error) => return Step::Finished(Err(error.to_string())),
                }
            }
            if self
                .exchange
                .poll_timeout()
                .is_some_and(|deadline| now >= deadline)
            {
                self.exchange.handle_timeout(now);
                continue;
            }
            match self.exchange.poll_action() {
                Some(Action::Connect(target)) => match connect(&target.host, target.port) {
                    Ok(socket) => {
                        self.socket = Some(socket);
                        self.exchange.handle_connected(now, false);
                    }
                    Err(e) => self.exchange.handle_transport_error(now, e),
                },
                Some(Action::Write) => {
                    let socket = self.socket.as_mut().expect("connected");
                    match socket.write(self.exchange.transmit()) {
                        Ok(n) => self.exchange.handle_written(now, n),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Idle,
                        Err(e) => self
                            .exchange
                            .handle_transport_error(now, TransportError::Io(e.to_string())),
                    }
                }
                Some(Action::Read) => {
                    let socket = self.socket.as_mut().expect("connected");
                    match socket.read(self.exchange.read_buf()) {
                        Ok(n) => self.exchange.handle_read(now, n),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Idle,
                        Err(e) => self
                            .exchange
                            .handle_transport_error(now, TransportError::Io(e.to_string())),
                    }
                }
                Some(Action::Close | Action::Release(_)) => self.socket = None,
                // The requests of this example have no streamed body.
                Some(Action::SendBody) => self.exchange.handle_body_end(now),
                Some(Action::RewindBody) => {}
                Some(Action::StartTls { .. }) => {
                    self.exchange.handle_transport_error(
                        now,
                        TransportError::Tls("this example speaks plain http only".into()),
                    );
                }
                None => return Step::Idle,
            }
        }
    }
}

/// Resolves and connects, then switches the socket to non-blocking mode.
fn connect(host: &str, port: u16) -> Result<TcpStream, TransportError> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| TransportError::Dns(format!("{host}: {e}")))?;
    let mut last = format!("{host} has no addresses");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
            Ok(s) => {
                s.set_nonblocking(true)
                    .map_err(|e| TransportError::Io(e.to_string()))?;
                return Ok(s);
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(TransportError::Connect(last))
}

fn main() {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: poll_loop URL   (a plain http:// URL)");
        std::process::exit(2);
    };
    let mut fetch = match Fetch::new(&url) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let mut frames = 0u64;
    loop {
        frames += 1;
        match fetch.step() {
            Step::Idle => {
                // The rest of the frame: rendering, input, game logic...
                std::thread::sleep(Duration::from_millis(1));
            }
            Step::Finished(Ok((status, final_url))) => {
                println!(
                    "status {status}, {} body bytes from {final_url} in {frames} frames",
                    fetch.body_bytes
                );
                return;
            }
            Step::Finished(Err(e)) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
}
