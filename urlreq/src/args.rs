//! Command-line arguments of `urlreq`.

use std::path::PathBuf;

use clap::Parser;

/// Fetch a URL with urlrequest. With no URL, run an offline demo on a
/// loopback server.
///
/// Exit status: 0 when the response status is below 400, 3 when it is 400 or
/// above (the body is still written), 1 when the request failed, 2 for a
/// usage error.
#[derive(Debug, Default, Parser)]
#[command(name = "urlreq", version)]
pub struct Args {
    /// The http:// or https:// URL to fetch.
    pub url: Option<String>,

    /// HTTP method (default GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,

    /// Extra request header, 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Request body; @FILE reads it from a file.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Option<String>,

    /// Upload FILE as the request body, streamed (PUT unless -X says
    /// otherwise; `-` reads stdin and sends it chunked).
    #[arg(
        short = 'T',
        long = "upload-file",
        value_name = "FILE",
        conflicts_with = "data"
    )]
    pub upload_file: Option<PathBuf>,

    /// Write the body to FILE (atomically: a temporary file renamed into
    /// place when the download completed) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print the response status line and headers before the body.
    #[arg(short = 'i', long = "include")]
    pub include: bool,

    /// HTTP proxy, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub proxy: Option<String>,

    /// Header sent to the proxy, 'Name: value' (repeatable).
    #[arg(long = "proxy-header", value_name = "HEADER")]
    pub proxy_headers: Vec<String>,

    /// PEM file of CA certificates to trust instead of the default roots.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify TLS certificates (dangerous).
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Fail when no progress is made for this many seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Fail when a connection is not ready within this many seconds (TCP
    /// connect, proxy CONNECT and TLS handshake together).
    #[arg(long = "connect-timeout", value_name = "SECS")]
    pub connect_timeout: Option<f64>,

    /// Keep the body as sent: do not ask for or undo content codings
    /// (gzip, deflate, br, zstd are undone by default).
    #[arg(long)]
    pub raw: bool,

    /// Most redirects to follow; 0 returns the redirect itself.
    #[arg(long = "max-redirects", value_name = "N")]
    pub max_redirects: Option<u32>,

    /// Size of body chunks (and of progress steps), in bytes.
    #[arg(long = "chunk-size", value_name = "N")]
    pub chunk_size: Option<usize>,

    /// Print the event trace as JSON lines on stdout instead of the body.
    #[arg(long)]
    pub events: bool,

    /// Record a transcript of the exchange to FILE (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Replay a transcript from FILE instead of using the network.
    #[arg(long, value_name = "FILE", conflicts_with = "url")]
    pub replay: Option<PathBuf>,

    /// Run the offline demo (the default when no URL is given).
    #[arg(long)]
    pub demo: bool,

    /// Form data, URL-encoded (repeatable; joined with `&` after any -d, as
    /// curl does): `content`, `=content`, `name=content`, `@file` or
    /// `name@file`. Sends `Content-Type: application/x-www-form-urlencoded`
    /// unless -H sets a type.
    #[arg(long = "data-urlencode", value_name = "DATA")]
    pub data_urlencode: Vec<String>,

    /// Multipart form field (repeatable): `name=value`, `name=@file` (a file
    /// part, optionally `;type=TYPE`) or `name=<file` (a text field read
    /// from a file). Sends `multipart/form-data`; POST unless -X is given.
    /// Files are streamed from disk, with a `Content-Length`.
    #[arg(short = 'F', long = "form", value_name = "NAME=VALUE")]
    pub form: Vec<String>,

    /// Hosts that go direct despite the proxy variables (http_proxy,
    /// https_proxy, ALL_PROXY, read by default as curl does): a
    /// comma-separated list of host suffixes, IP addresses, CIDR ranges,
    /// or `*` for all. Replaces NO_PROXY.
    #[arg(long = "noproxy", value_name = "LIST")]
    pub noproxy: Option<String>,

    /// Keep cookies in a jar for this run (in memory, nothing is written):
    /// a Set-Cookie on a redirect goes out on the next hop when RFC 6265
    /// allows.
    #[arg(long = "cookie-jar")]
    pub cookie_jar: bool,
}

/// Splits `Name: value`.
pub fn split_header(h: &str) -> Result<(&str, &str), String> {
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| format!("header {h:?} is not of the form 'Name: value'"))?;
    Ok((name.trim(), value.trim_start()))
}

/// Splits `HOST:PORT` (an IPv6 host in brackets).
pub fn split_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("proxy {s:?} is not of the form HOST:PORT"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("proxy port {port:?} is not a number"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_proxies_split() {
        assert_eq!(split_header("X-A: 1: 2").unwrap(), ("X-A", "1: 2"));
        assert!(split_header("nocolon").is_err());
        assert_eq!(
            split_host_port("[::1]:3128").unwrap(),
            ("::1".to_string(), 3128)
        );
        assert!(split_host_port("host").is_err());
        assert!(split_host_port("host:x").is_err());
    }
}
