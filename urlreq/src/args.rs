//! Command-line arguments of `urlreq`: curl's flags with curl's meaning,
//! plus urlreq's own (`--events`, `--record`, `--replay`, `--raw`,
//! `--timeout`, `--chunk-size`, `--demo`).

use std::path::PathBuf;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

/// Fetch a URL with urlrequest, with curl's flags, defaults and exit codes.
/// With no URL, run an offline demo on a loopback server.
///
/// As in curl, redirects are not followed without -L, a response of 400 or
/// above still exits 0 unless -f or --fail-with-body is given, and failures
/// exit with curl's numbers (6 resolve, 7 connect, 28 timeout, 35 TLS, 47
/// too many redirects, 60 certificate, ...; see the README). Usage errors
/// exit 2.
#[derive(Debug, Default, Parser)]
#[command(name = "urlreq", version)]
pub struct Args {
    /// The http:// or https:// URL to fetch.
    pub url: Option<String>,

    /// HTTP method (default GET, POST with a body option, PUT with -T,
    /// HEAD with -I).
    #[arg(
        help_heading = "Request",
        short = 'X',
        long = "request",
        value_name = "METHOD"
    )]
    pub method: Option<String>,

    /// Extra request header, 'Name: value' (repeatable); @FILE reads one
    /// header a line from a file.
    #[arg(
        help_heading = "Request",
        short = 'H',
        long = "header",
        value_name = "HEADER"
    )]
    pub headers: Vec<String>,

    /// Body data, sent as application/x-www-form-urlencoded with POST
    /// (repeatable, joined with `&`); @FILE reads a file with carriage
    /// returns and newlines removed, as curl does.
    #[arg(
        help_heading = "Request body",
        short = 'd',
        long = "data",
        alias = "data-ascii",
        value_name = "DATA"
    )]
    pub data: Vec<String>,

    /// Like -d, but @FILE is sent exactly as the file holds it.
    #[arg(
        help_heading = "Request body",
        long = "data-binary",
        value_name = "DATA"
    )]
    pub data_binary: Vec<String>,

    /// Like -d, with no special meaning for @.
    #[arg(help_heading = "Request body", long = "data-raw", value_name = "DATA")]
    pub data_raw: Vec<String>,

    /// Form data, URL-encoded (repeatable; joined with `&` with the other
    /// data options in command-line order, as curl does): `content`,
    /// `=content`, `name=content`, `@file` or `name@file`.
    #[arg(
        help_heading = "Request body",
        long = "data-urlencode",
        value_name = "DATA"
    )]
    pub data_urlencode: Vec<String>,

    /// JSON body (repeatable, concatenated; @FILE reads a file): POST with
    /// `Content-Type: application/json` and `Accept: application/json`.
    #[arg(help_heading = "Request body", long = "json", value_name = "DATA")]
    pub json: Vec<String>,

    /// Send the data options' data as the URL's query, with GET (HEAD with
    /// -I).
    #[arg(help_heading = "Request", short = 'G', long = "get")]
    pub get: bool,

    /// Multipart form field (repeatable): `name=value`, `name=@file` (a file
    /// part, optionally `;type=TYPE`) or `name=<file` (a text field read
    /// from a file). Sends `multipart/form-data`; POST unless -X is given.
    #[arg(
        help_heading = "Request body",
        short = 'F',
        long = "form",
        value_name = "NAME=VALUE"
    )]
    pub form: Vec<String>,

    /// Upload FILE as the request body, streamed (PUT unless -X says
    /// otherwise; `-` reads stdin and sends it chunked). A URL ending in
    /// `/` gets the file's name appended, as curl does.
    #[arg(
        help_heading = "Request body",
        short = 'T',
        long = "upload-file",
        value_name = "FILE"
    )]
    pub upload_file: Option<PathBuf>,

    /// Write the body to FILE (atomically: a temporary file renamed into
    /// place when the download completed) instead of stdout.
    #[arg(
        help_heading = "Output",
        short = 'o',
        long = "output",
        value_name = "FILE"
    )]
    pub output: Option<PathBuf>,

    /// Write the body to a file in the current directory named like the
    /// last segment of the URL's path.
    #[arg(help_heading = "Output", short = 'O', long = "remote-name")]
    pub remote_name: bool,

    /// With -O, name the file as the server's `Content-Disposition` says
    /// (its last path component only); an existing file is not replaced.
    #[arg(
        help_heading = "Output",
        short = 'J',
        long = "remote-header-name",
        requires = "remote_name"
    )]
    pub remote_header_name: bool,

    /// Write the response head to FILE (`-` for stdout).
    #[arg(
        help_heading = "Output",
        short = 'D',
        long = "dump-header",
        value_name = "FILE"
    )]
    pub dump_header: Option<PathBuf>,

    /// Print the response status line and headers before the body.
    #[arg(help_heading = "Output", short = 'i', long = "include")]
    pub include: bool,

    /// Send a HEAD request and print the response head.
    #[arg(help_heading = "Output", short = 'I', long = "head")]
    pub head: bool,

    /// Follow redirects (without it a redirect response is the answer, as
    /// in curl).
    #[arg(
        help_heading = "Redirects, failures and time limits",
        short = 'L',
        long = "location"
    )]
    pub location: bool,

    /// Most redirects to follow with -L (default 50, -1 for no limit);
    /// more is an error (exit 47).
    #[arg(
        help_heading = "Redirects, failures and time limits",
        long = "max-redirs",
        alias = "max-redirects",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub max_redirs: Option<i64>,

    /// Fail silently on HTTP errors (status 400 and above): no body, exit 22.
    #[arg(
        help_heading = "Redirects, failures and time limits",
        short = 'f',
        long = "fail"
    )]
    pub fail: bool,

    /// Like -f, but the body is still written.
    #[arg(
        help_heading = "Redirects, failures and time limits",
        long = "fail-with-body",
        conflicts_with = "fail"
    )]
    pub fail_with_body: bool,

    /// No progress meter and no error messages.
    #[arg(help_heading = "Output", short = 's', long = "silent")]
    pub silent: bool,

    /// With -s, still print error messages.
    #[arg(help_heading = "Output", short = 'S', long = "show-error")]
    pub show_error: bool,

    /// Print the request and response heads on stderr (`> ` and `< `).
    #[arg(help_heading = "Output", short = 'v', long = "verbose")]
    pub verbose: bool,

    /// Show the progress bar on stderr even when it is not a terminal.
    #[arg(help_heading = "Output", short = '#', long = "progress-bar")]
    pub progress_bar: bool,

    /// Server user and password, USER:PASSWORD (HTTP Basic).
    #[arg(
        help_heading = "Request",
        short = 'u',
        long = "user",
        value_name = "USER:PASSWORD"
    )]
    pub user: Option<String>,

    /// User-Agent header.
    #[arg(
        help_heading = "Request",
        short = 'A',
        long = "user-agent",
        value_name = "NAME"
    )]
    pub user_agent: Option<String>,

    /// Referer header.
    #[arg(
        help_heading = "Request",
        short = 'e',
        long = "referer",
        value_name = "URL"
    )]
    pub referer: Option<String>,

    /// Cookies: `name=value; n2=v2` is sent as is; anything without `=`
    /// is a file to read (Netscape cookie file or Set-Cookie lines).
    /// Turns the cookie engine on (repeatable).
    #[arg(
        help_heading = "Cookies",
        short = 'b',
        long = "cookie",
        value_name = "DATA|FILE"
    )]
    pub cookie: Vec<String>,

    /// Write every cookie to FILE (Netscape format) when the run ends.
    /// Turns the cookie engine on.
    #[arg(
        help_heading = "Cookies",
        short = 'c',
        long = "cookie-jar",
        value_name = "FILE"
    )]
    pub cookie_jar: Option<PathBuf>,

    /// Proxy: `[http://][USER:PASSWORD@]HOST[:PORT]` (port 1080 when not
    /// given, as in curl).
    #[arg(
        help_heading = "Proxies",
        short = 'x',
        long = "proxy",
        value_name = "[PROTOCOL://]HOST[:PORT]"
    )]
    pub proxy: Option<String>,

    /// Proxy user and password, USER:PASSWORD.
    #[arg(
        help_heading = "Proxies",
        short = 'U',
        long = "proxy-user",
        value_name = "USER:PASSWORD"
    )]
    pub proxy_user: Option<String>,

    /// Header sent to the proxy, 'Name: value' (repeatable).
    #[arg(help_heading = "Proxies", long = "proxy-header", value_name = "HEADER")]
    pub proxy_headers: Vec<String>,

    /// Hosts that go direct despite the proxy (-x, or the http_proxy,
    /// https_proxy and ALL_PROXY variables, read by default as curl does):
    /// a comma-separated list of host suffixes, IP addresses, CIDR ranges,
    /// or `*` for all. Replaces NO_PROXY.
    #[arg(help_heading = "Proxies", long = "noproxy", value_name = "LIST")]
    pub noproxy: Option<String>,

    /// Accepted for curl's sake: urlreq always asks for and undoes
    /// content codings unless --raw is given.
    #[arg(help_heading = "TLS and content codings", long = "compressed")]
    pub compressed: bool,

    /// PEM file of CA certificates to trust instead of the default roots.
    #[arg(help_heading = "TLS and content codings", long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify TLS certificates (dangerous; says so on stderr).
    #[arg(help_heading = "TLS and content codings", short = 'k', long)]
    pub insecure: bool,

    /// Most seconds the whole transfer may take.
    #[arg(
        help_heading = "Redirects, failures and time limits",
        short = 'm',
        long = "max-time",
        value_name = "SECS"
    )]
    pub max_time: Option<f64>,

    /// Fail when a connection is not ready within this many seconds (TCP
    /// connect, proxy CONNECT and TLS handshake together).
    #[arg(
        help_heading = "Redirects, failures and time limits",
        long = "connect-timeout",
        value_name = "SECS"
    )]
    pub connect_timeout: Option<f64>,

    /// After the transfer, print FORMAT on stdout: %{http_code},
    /// %{size_download}, %{time_total}, %{url_effective}, %{content_type},
    /// %{num_redirects}, \n; @FILE reads the format from a file.
    #[arg(
        help_heading = "Output",
        short = 'w',
        long = "write-out",
        value_name = "FORMAT"
    )]
    pub write_out: Option<String>,

    /// urlreq: fail when no progress is made for this many seconds.
    #[arg(help_heading = "Beyond curl", long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// urlreq: keep the body as sent: do not ask for or undo content
    /// codings (gzip, deflate, br, zstd are undone by default).
    #[arg(help_heading = "TLS and content codings", long)]
    pub raw: bool,

    /// urlreq: size of body chunks (and of progress steps), in bytes.
    #[arg(help_heading = "Beyond curl", long = "chunk-size", value_name = "N")]
    pub chunk_size: Option<usize>,

    /// urlreq: print the event trace as JSON lines on stdout instead of
    /// the body.
    #[arg(help_heading = "Beyond curl", long)]
    pub events: bool,

    /// urlreq: record a transcript of the exchange to FILE (JSON lines).
    #[arg(help_heading = "Beyond curl", long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// urlreq: replay a transcript from FILE instead of using the network.
    #[arg(
        help_heading = "Beyond curl",
        long,
        value_name = "FILE",
        conflicts_with = "url"
    )]
    pub replay: Option<PathBuf>,

    /// urlreq: run the offline demo (the default when no URL is given).
    #[arg(help_heading = "Beyond curl", long)]
    pub demo: bool,

    /// The data options in command-line order (filled by [`Args::parse_all`]).
    #[arg(skip)]
    pub data_items: Vec<DataItem>,
}

/// One body data option, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataItem {
    /// `-d`: `@file` read with CR and LF removed.
    Ascii(String),
    /// `--data-binary`: `@file` read as is.
    Binary(String),
    /// `--data-raw`: taken literally.
    Raw(String),
    /// `--data-urlencode`.
    UrlEncode(String),
    /// `--json`: `@file` read as is; items are concatenated.
    Json(String),
}

impl Args {
    /// Parses the process's arguments (clap's usage errors exit 2).
    pub fn parse_all() -> Args {
        let matches = Args::command().get_matches();
        Args::from_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// Parses `argv` (its first item is the program name).
    #[cfg(test)]
    pub fn parse_from_all<I, T>(argv: I) -> Result<Args, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Args::command().try_get_matches_from(argv)?;
        Args::from_matches(&matches)
    }

    fn from_matches(matches: &ArgMatches) -> Result<Args, clap::Error> {
        let mut args = Args::from_arg_matches(matches)?;
        let mut items: Vec<(usize, DataItem)> = Vec::new();
        let mut collect = |id: &str, make: fn(String) -> DataItem| {
            if let (Some(values), Some(indices)) =
                (matches.get_many::<String>(id), matches.indices_of(id))
            {
                for (v, i) in values.zip(indices) {
                    items.push((i, make(v.clone())));
                }
            }
        };
        collect("data", DataItem::Ascii);
        collect("data_binary", DataItem::Binary);
        collect("data_raw", DataItem::Raw);
        collect("data_urlencode", DataItem::UrlEncode);
        collect("json", DataItem::Json);
        items.sort_by_key(|(i, _)| *i);
        args.data_items = items.into_iter().map(|(_, d)| d).collect();
        Ok(args)
    }

    /// Whether any data option (-d and its kin, --json) was given.
    pub fn has_data(&self) -> bool {
        !self.data_items.is_empty()
    }
}

/// Splits `Name: value`.
pub fn split_header(h: &str) -> Result<(&str, &str), String> {
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| format!("header {h:?} is not of the form 'Name: value'"))?;
    Ok((name.trim(), value.trim()))
}

/// A proxy as `-x` takes it: `[http://][USER:PASSWORD@]HOST[:PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySpec {
    /// The host (an IPv6 address without brackets).
    pub host: String,
    /// The port (1080 when none was given, as in curl).
    pub port: u16,
    /// `USER:PASSWORD`, percent-decoded.
    pub credentials: Option<(String, String)>,
}

/// curl's default proxy port.
pub const DEFAULT_PROXY_PORT: u16 = 1080;

/// Parses a `-x` value. Messages never repeat the password.
pub fn parse_proxy(s: &str) -> Result<ProxySpec, String> {
    let rest = match s.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) => {
            return Err(format!(
                "proxy scheme {scheme:?} is not supported (only http:// proxies)"
            ))
        }
        None => s,
    };
    let rest = rest.trim_end_matches('/');
    let (credentials, hostport) = match rest.rsplit_once('@') {
        Some((userinfo, hostport)) => {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (Some((percent_decode(user), percent_decode(pass))), hostport)
        }
        None => (None, rest),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("proxy host {hostport:?} has no closing ]"))?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return Err(format!("proxy {hostport:?} is not of the form HOST:PORT")),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(format!("proxy {hostport:?} has no host"));
    }
    let port = match port {
        Some(p) => p
            .parse()
            .map_err(|_| format!("proxy port {p:?} is not a number from 0 to 65535"))?,
        None => DEFAULT_PROXY_PORT,
    };
    Ok(ProxySpec {
        host: host.to_string(),
        port,
        credentials,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_split() {
        assert_eq!(split_header("X-A: 1: 2").unwrap(), ("X-A", "1: 2"));
        assert!(split_header("nocolon").is_err());
    }

    #[test]
    fn proxies_parse_as_curl_reads_them() {
        let p = parse_proxy("http://u:p%40ss@h.test:3128").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("h.test", 3128));
        assert_eq!(p.credentials, Some(("u".into(), "p@ss".into())));
        assert_eq!(parse_proxy("h.test").unwrap().port, 1080);
        assert_eq!(parse_proxy("[::1]:8").unwrap().host, "::1");
        assert_eq!(parse_proxy("[::1]").unwrap().port, 1080);
        let e = parse_proxy("u:SECRET@h:x").unwrap_err();
        assert!(!e.contains("SECRET"), "{e}");
        assert!(parse_proxy("socks5://h:1").is_err());
        assert!(parse_proxy("u:SECRET@").unwrap_err().contains("no host"));
    }

    #[test]
    fn data_options_keep_their_order() {
        let a = Args::parse_from_all([
            "urlreq",
            "--data-raw",
            "@x",
            "-d",
            "a=1",
            "--data-urlencode",
            "b=c d",
            "-d",
            "z",
        ])
        .unwrap();
        assert_eq!(
            a.data_items,
            vec![
                DataItem::Raw("@x".into()),
                DataItem::Ascii("a=1".into()),
                DataItem::UrlEncode("b=c d".into()),
                DataItem::Ascii("z".into()),
            ]
        );
    }
}
