//! Events as JSON lines, for `--events`.

use serde_json::{json, Value};
use urlrequest_std::core::{trace_line, Event};

/// One event as a JSON object: its kind, its fields and its trace line.
pub fn event_json(event: &Event) -> Value {
    let mut v = match event {
        Event::Redirect {
            status,
            from,
            to,
            method,
        } => json!({
            "event": "redirect", "status": status.as_u16(), "from": from.as_str(),
            "to": to.as_str(), "method": method.as_str(),
        }),
        Event::Progress { received, total } => {
            json!({"event": "progress", "received": received, "total": total})
        }
        Event::Body(b) => json!({"event": "body", "len": b.len()}),
        Event::Done(r) => json!({
            "event": "done", "status": r.status().as_u16(), "url": r.url().as_str(),
            "body_len": r.bytes().map(|b| b.len()),
        }),
        Event::Failure(e) => {
            json!({"event": "failure", "kind": e.kind_name(), "message": e.to_string()})
        }
    };
    v["trace"] = json!(trace_line(event));
    v
}
