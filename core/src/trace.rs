//! The event trace: one line of text per event, the form in which conformance
//! cases state what they expect and drivers are compared. Two runs behave the
//! same exactly when their traces are equal.

use std::fmt::Write as _;

use crate::event::{Event, Response};

/// Bodies up to this many bytes are shown in full; longer ones by length and hash.
const SHOWN_BODY: usize = 64;

/// One event as a trace line.
///
/// ```
/// use urlrequest_core::{trace_line, Event};
/// assert_eq!(trace_line(&Event::Progress { received: 0, total: None }), "progress 0/?");
/// assert_eq!(trace_line(&Event::Body("hi\r\n".into())), r#"body 4 "hi\r\n""#);
/// ```
pub fn trace_line(event: &Event) -> String {
    match event {
        Event::Redirect {
            status,
            from,
            to,
            method,
        } => {
            format!("redirect {} {method} {from} -> {to}", status.as_u16())
        }
        Event::Progress { received, total } => match total {
            Some(t) => format!("progress {received}/{t}"),
            None => format!("progress {received}/?"),
        },
        Event::Body(b) => format!("body {} {}", b.len(), show_bytes(b)),
        Event::Done(r) => done_line(r),
        Event::Failure(e) => format!("failure {}: {e}", e.kind_name()),
    }
}

/// The trace of a whole run, one line per event, each ending in a newline.
pub fn trace_text<'a>(events: impl IntoIterator<Item = &'a Event>) -> String {
    let mut out = String::new();
    for e in events {
        out.push_str(&trace_line(e));
        out.push('\n');
    }
    out
}

fn done_line(r: &Response) -> String {
    let mut s = format!("done {} {:?} {}", r.status().as_u16(), r.version(), r.url());
    for (name, value) in r.trailers() {
        let _ = write!(
            s,
            " trailer={}:{}",
            name,
            String::from_utf8_lossy(value.as_bytes())
        );
    }
    match (r.json_value(), r.bytes()) {
        (Some(j), _) => {
            let _ = write!(s, " json={j}");
        }
        (None, Some(b)) => {
            let _ = write!(s, " bytes={} {}", b.len(), show_bytes(b));
        }
        (None, None) => s.push_str(" not-collected"),
    }
    s
}

/// Short bodies escaped in quotes; long ones as an FNV-1a hash.
fn show_bytes(b: &[u8]) -> String {
    if b.len() > SHOWN_BODY {
        return format!("fnv={:016x}", fnv1a(b));
    }
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

/// 64-bit FNV-1a: a stable, dependency-free fingerprint for long bodies.
pub(crate) fn fnv1a(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bodies_are_hashed_short_ones_escaped() {
        let long = Event::Body(vec![b'a'; 100].into());
        assert!(trace_line(&long).starts_with("body 100 fnv="));
        let short = Event::Body(b"\x00\"ok\"".to_vec().into());
        assert_eq!(trace_line(&short), "body 5 \"\\x00\\\"ok\\\"\"");
    }
}
