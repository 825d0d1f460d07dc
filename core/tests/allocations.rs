//! The body path allocates nothing once a download is streaming: the read
//! buffer is lent, filled, shared as `Body` slices and taken back, read after
//! read, without a call to the allocator.

use std::time::Instant;

use urlrequest_core::{Action, Event, Exchange, Request};

const READ: usize = 64 * 1024;

/// A response fed to an exchange in reads of at most `READ` bytes, every
/// event dropped as soon as it is polled (a streaming consumer).
struct Download {
    ex: Exchange,
    wire: Vec<u8>,
    pos: usize,
    seen: u64,
    done: bool,
}

impl Download {
    fn new(chunk_size: usize, wire: Vec<u8>) -> Download {
        let now = Instant::now();
        let req = Request::builder("http://alloc.test/")
            .chunk_size(chunk_size)
            .collect_body(false)
            .build()
            .unwrap();
        let mut ex = Exchange::new(req, now);
        assert!(matches!(ex.poll_action(), Some(Action::Connect { .. })));
        ex.handle_connected(now, false);
        let n = ex.transmit().len();
        ex.handle_written(now, n);
        Download {
            ex,
            wire,
            pos: 0,
            seen: 0,
            done: false,
        }
    }

    /// Polls every event, then makes one read; `false` once the wire is fed.
    fn step(&mut self) -> bool {
        while let Some(e) = self.ex.poll_event() {
            match e {
                Event::Body(b) => self.seen += b.len() as u64,
                Event::Done(_) => self.done = true,
                Event::Failure(e) => panic!("{e}"),
                _ => {}
            }
        }
        if self.pos == self.wire.len() {
            return false;
        }
        let buf = self.ex.read_buf();
        let n = buf.len().min(READ).min(self.wire.len() - self.pos);
        buf[..n].copy_from_slice(&self.wire[self.pos..self.pos + n]);
        self.pos += n;
        self.ex.handle_read(Instant::now(), n);
        true
    }

    fn steps(&mut self, reads: usize) {
        for _ in 0..reads {
            if !self.step() {
                return;
            }
        }
    }
}

fn content_length_wire(body: usize) -> Vec<u8> {
    let mut w = format!("HTTP/1.1 200 OK\r\nContent-Length: {body}\r\n\r\n").into_bytes();
    w.extend((0..body).map(|i| (i % 251) as u8));
    w
}

#[test]
fn streaming_a_content_length_body_allocates_nothing_per_read() {
    for chunk_size in [8192, 10_000, 64 * 1024] {
        let body = 8 << 20;
        let mut d = Download::new(chunk_size, content_length_wire(body));
        // The head, the first buffer and the move to the large one.
        d.steps(4);
        let steady_from = d.pos;
        let info = allocation_counter::measure(|| d.steps(100));
        let reads = (d.pos - steady_from) / READ;
        assert!(reads >= 90, "only {reads} reads measured");
        assert_eq!(
            info.count_total, 0,
            "chunk_size {chunk_size}: {} allocations ({} bytes) over {reads} reads",
            info.count_total, info.bytes_total
        );
        d.steps(usize::MAX);
        d.step();
        assert!(d.done, "chunk_size {chunk_size}: {:?}", d.ex);
        assert_eq!(d.seen, body as u64);
    }
}
