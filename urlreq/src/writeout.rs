//! `-w/--write-out`: curl's variables after the transfer.

use std::time::Duration;

/// What the variables are made of.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// The final response's status, if one arrived.
    pub http_code: Option<u16>,
    /// Body bytes written.
    pub size_download: u64,
    /// From start to end.
    pub time_total: Duration,
    /// The last URL asked for.
    pub url_effective: Option<String>,
    /// The final response's `Content-Type`.
    pub content_type: Option<String>,
    /// Redirects followed.
    pub num_redirects: u32,
}

/// The format as given, or read from a file for `@FILE` (`@-`: stdin).
/// Line ends in a file are dropped, as curl reads it.
pub fn read_format(w: &str) -> Result<String, String> {
    match w.strip_prefix('@') {
        Some("-") => std::io::read_to_string(std::io::stdin())
            .map_err(|e| format!("-w @-: cannot read stdin: {e}")),
        // Line ends are dropped, as curl reads the file.
        Some(file) => std::fs::read_to_string(file)
            .map(|t| t.replace(['\r', '\n'], ""))
            .map_err(|e| format!("-w @{file}: cannot read: {e}")),
        None => Ok(w.to_string()),
    }
}

/// `format` with `%{variable}`, `%%` and the `\n`, `\r`, `\t`, `\\`
/// escapes replaced. An unknown variable is left out, with a warning on
/// stderr (as curl does).
pub fn expand(format: &str, stats: &Stats) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("%{") {
            if let Some(end) = after.find('}') {
                let name = &after[..end];
                match variable(name, stats) {
                    Some(v) => out.push_str(&v),
                    None => eprintln!("urlreq: unknown --write-out variable: '{name}'"),
                }
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("%%") {
            out.push('%');
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix('\\') {
            let escaped = match after.chars().next() {
                Some('n') => Some('\n'),
                Some('r') => Some('\r'),
                Some('t') => Some('\t'),
                Some('\\') => Some('\\'),
                _ => None,
            };
            if let Some(e) = escaped {
                out.push(e);
                rest = &after[1..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn variable(name: &str, s: &Stats) -> Option<String> {
    Some(match name {
        "http_code" | "response_code" => format!("{:03}", s.http_code.unwrap_or(0)),
        "size_download" => s.size_download.to_string(),
        "time_total" => format!("{:.6}", s.time_total.as_secs_f64()),
        "url_effective" => s.url_effective.clone().unwrap_or_default(),
        "content_type" => s.content_type.clone().unwrap_or_default(),
        "num_redirects" => s.num_redirects.to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_and_escapes() {
        let s = Stats {
            http_code: Some(200),
            size_download: 11,
            time_total: Duration::from_micros(1_234_567),
            url_effective: Some("http://a.test/".into()),
            content_type: Some("text/plain".into()),
            num_redirects: 2,
        };
        assert_eq!(
            expand("%{http_code} %{size_download} %{time_total}\\n", &s),
            "200 11 1.234567\n"
        );
        assert_eq!(
            expand(
                "%{url_effective}|%{content_type}|%{num_redirects}|100%%|%{nope}|\\q",
                &s
            ),
            "http://a.test/|text/plain|2|100%||\\q"
        );
        assert_eq!(expand("%{http_code}", &Stats::default()), "000");
        assert_eq!(expand("%{unclosed", &s), "%{unclosed");
    }
}
