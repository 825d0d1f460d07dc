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
