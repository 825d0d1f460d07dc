//! Cookie files as curl reads and writes them (`-b FILE`, `-c FILE`): the
//! Netscape format, one cookie a line, seven tab-separated fields
//! (domain, include-subdomains, path, secure, expiry, name, value), a
//! `#HttpOnly_` prefix on the domain of HttpOnly cookies. A file of
//! `Set-Cookie:` lines is read too.

use std::time::SystemTime;

use urlrequest_std::core::{StoredCookie, Url};
use urlrequest_std::CookieJar;

/// Reads the cookies of `text` into a list for [`CookieJar::from_cookies`];
/// `Set-Cookie:` lines are read as if `url` had sent them.
pub fn parse(text: &str, url: &Url, now: SystemTime) -> Vec<StoredCookie> {
    let mut cookies = Vec::new();
    let header_jar = CookieJar::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(value) = strip_prefix_ignore_case(line, "set-cookie:") {
            header_jar.store_set_cookie(url, value.trim(), now);
            continue;
        }
        let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 6 {
            continue;
        }
        let value = fields.get(6).copied().unwrap_or("");
        let Ok(expires) = fields[4].parse::<i64>() else {
            continue;
        };
        let subdomains = fields[1].eq_ignore_ascii_case("TRUE");
        let domain = fields[0].trim_start_matches('.').to_ascii_lowercase();
        if domain.is_empty() {
            continue;
        }
        cookies.push(StoredCookie {
            name: fields[5].to_string(),
            value: value.to_string(),
            domain,
            host_only: !subdomains,
            path: fields[2].to_string(),
            secure: fields[3].eq_ignore_ascii_case("TRUE"),
            http_only,
            expires: (expires != 0).then_some(expires),
            created: cookies.len() as u64,
        });
    }
    let base = cookies.len() as u64;
    cookies.extend(header_jar.cookies().into_iter().map(|mut c| {
        c.created += base;
        c
    }));
    cookies
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The jar as a Netscape cookie file, expired cookies left out.
pub fn format(cookies: &[StoredCookie], now: SystemTime) -> String {
    let now_s = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut out = String::from("# Netscape HTTP Cookie File\n# Written by urlreq.\n\n");
    for c in cookies {
        if c.expires.is_some_and(|e| e <= now_s) {
            continue;
        }
        let tf = |b: bool| if b { "TRUE" } else { "FALSE" };
        out.push_str(&format!(
            "{}{}{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            if c.http_only { "#HttpOnly_" } else { "" },
            if c.host_only { "" } else { "." },
            c.domain,
            tf(!c.host_only),
            c.path,
            tf(c.secure),
            c.expires.unwrap_or(0),
            c.name,
            c.value
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_file_reads_back_the_same() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let url = Url::parse("http://www.example.com/a/b").unwrap();
        let text = "# comment\n\
            .example.com\tTRUE\t/\tFALSE\t0\tsid\t42\n\
            #HttpOnly_www.example.com\tFALSE\t/a\tTRUE\t1800000000\tk\tv w\n\
            bad line\n\
            Set-Cookie: h=1; Path=/\n";
        let cookies = parse(text, &url, now);
        assert_eq!(cookies.len(), 3, "{cookies:?}");
        assert!(!cookies[0].host_only && cookies[0].expires.is_none());
        assert!(cookies[1].http_only && cookies[1].secure && cookies[1].host_only);
        assert_eq!(cookies[2].name, "h");
        let written = format(&cookies, now);
        assert!(
            written.contains("\n.example.com\tTRUE\t/\tFALSE\t0\tsid\t42\n"),
            "{written}"
        );
        assert!(
            written.contains("#HttpOnly_www.example.com\tFALSE\t/a\tTRUE\t1800000000\tk\tv w\n")
        );
        let again = parse(&written, &url, now);
        assert_eq!(again, cookies);
        // Expired cookies are not written.
        let later = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_900_000_000);
        assert!(!format(&cookies, later).contains("\tk\t"));
    }
}
