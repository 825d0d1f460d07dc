//! One fetch: build the request from the arguments as curl would, drive it
//! (or replay a transcript), write the body, the heads, the events or the
//! progress, and exit with curl's code.

use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use indicatif::{ProgressBar, ProgressStyle};
use urlrequest_std::core::{Event, Exchange, Proxy, Transcript, Url};
use urlrequest_std::{Agent, CookieJar, DriveOptions, EnvProxies, FileSink, Request, TlsSettings};

use crate::args::{parse_proxy, split_header, Args};
use crate::events::event_json;
use crate::exit::code;
use crate::writeout::Stats;

/// Exit status for a usage error.
pub const USAGE: i32 = code::USAGE;

/// curl's default limit on redirects followed with -L.
pub const DEFAULT_MAX_REDIRS: u32 = 50;

/// A run that ends early: curl's exit code and what to say.
#[derive(Debug)]
pub struct Fail {
    /// The exit code.
    pub code: i32,
    /// The message, without the `urlreq: (N)` prefix.
    pub msg: String,
}

fn usage(msg: impl Into<String>) -> Fail {
    Fail {
        code: USAGE,
        msg: msg.into(),
    }
}

/// A body option's error: a file that could not be read is curl's read
/// error (26), anything else a usage error.
fn body_fail(msg: String) -> Fail {
    let code = if msg.starts_with("cannot read") {
        code::READ_ERROR
    } else {
        USAGE
    };
    Fail { code, msg }
}

/// Whether error messages are printed (not with -s, unless -S).
fn show_errors(args: &Args) -> bool {
    !args.silent || args.show_error
}

fn report(args: &Args, fail: &Fail) {
    if show_errors(args) {
        eprintln!("urlreq: ({}) {}", fail.code, fail.msg);
    }
}

/// Runs the fetch described by `args`; returns the exit status.
pub fn run(args: &Args, show_progress: bool) -> i32 {
    match run_checked(args, show_progress) {
        Ok(code) => code,
        Err(fail) => {
            report(args, &fail);
            fail.code
        }
    }
}

fn run_checked(args: &Args, show_progress: bool) -> Result<i32, Fail> {
    if let Some(path) = &args.replay {
        return replay(args, path);
    }
    check(args)?;
    let data = crate::extras::data_body(args).map_err(body_fail)?;
    let (data, query) = if args.get {
        (None, data.map(|(d, _)| d))
    } else {
        (data, None)
    };
    let url = request_url(args, query.as_deref())?;
    let output = output_path(args, &url)?;
    let first = Url::parse(&url).ok();
    let jar = cookie_engine(args, first.as_ref());
    let mut tls = TlsSettings::default().verify(!args.insecure);
    if let Some(ca) = &args.cacert {
        tls = tls.ca_file(ca);
    }
    if args.insecure && show_errors(args) {
        eprintln!("urlreq: warning: -k/--insecure: the server's TLS certificate is not verified");
    }
    // The environment's proxies are applied to each request, where
    // `--noproxy` can change them; the client adds none of its own.
    let agent = Agent::builder()
        .tls(tls)
        .no_env_proxies()
        .build()
        .map_err(|e| usage(crate::exit::message_text(&e.to_string())))?;
    // With -L urlreq follows redirects itself, hop by hop, so that each
    // head can be printed as curl prints it; with --events or --record the
    // core follows them, and its trace and transcript show the whole chain.
    let follow_here = args.location && !args.events && args.record.is_none();
    let max_time = args
        .max_time
        .map(|t| seconds("-m/--max-time", t))
        .transpose()?;
    let mut sink = Sink::open(args, output.as_deref(), show_progress)?;
    sink.follow_max = follow_here.then(|| max_redirects(args));
    let start = Instant::now();
    let mut hop = Hop::first(args, url);
    loop {
        let total = match max_time {
            Some(limit) => {
                let left = limit.saturating_sub(start.elapsed());
                if left.is_zero() {
                    sink.outcome = Some(Fail {
                        code: code::OPERATION_TIMEDOUT,
                        msg: format!(
                            "Operation timed out after {} ms",
                            start.elapsed().as_millis()
                        ),
                    });
                    break;
                }
                Some(left)
            }
            None => None,
        };
        let same_origin = match (&first, Url::parse(&hop.url)) {
            (Some(a), Ok(b)) => a.origin() == b.origin(),
            _ => true,
        };
        let core_redirects = if follow_here { 0 } else { max_redirects(args) };
        let data = if hop.body { data.clone() } else { None };
        let prepared = build_request(args, &hop, data, same_origin, core_redirects, total)
            .and_then(|mut request| {
                set_proxy(args, &mut request)?;
                Ok(request)
            })
            .and_then(|request| {
                if !hop.body {
                    return Ok((request, None));
                }
                let upload = match args.upload_file.as_deref() {
                    Some(path) => crate::upload::open(path).map(Some),
                    // `-F name=@file`: the form streamed from disk.
                    None => crate::extras::form_upload(args).map(|f| f.map(|(_, u)| u)),
                };
                Ok((request, upload.map_err(body_fail)?))
            });
        let (mut request, mut upload) = match prepared {
            Ok(p) => p,
            // The first request's problems are the command line's.
            Err(fail) if sink.stats.num_redirects == 0 => return Err(fail),
            // A redirect's (a Location of another scheme, a file that
            // cannot be read again) ends the chain: the jar and -w still
            // come out.
            Err(fail) => {
                sink.outcome = Some(fail);
                break;
            }
        };
        if let Some(jar) = &jar {
            jar.apply(&mut request, SystemTime::now);
        }
        if args.verbose {
            verbose_request(&request, jar.as_ref());
        }
        let now = Instant::now();
        let mut ex = if args.record.is_some() {
            Exchange::recording(request, now)
        } else {
            Exchange::new(request, now)
        };
        sink.start_hop();
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
                        raw: ex.response_raw_head().unwrap_or_default().to_vec(),
                    }
                });
                match sink.on_event(&event, head) {
                    Ok(flow) => flow,
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
        let Some((status, location)) = sink.redirect_to.take() else {
            break;
        };
        if sink.outcome.is_some() || sink.write_error.is_some() {
            break;
        }
        let next = Url::parse(&hop.url)
            .and_then(|u| u.join(&location))
            .map_err(|e| Fail {
                code: code::URL_MALFORMAT,
                msg: format!("the redirect to {location:?} is not a URL: {e}"),
            })?;
        if args.verbose {
            eprintln!("* Issue another request to this URL: '{next}'");
        }
        sink.stats.num_redirects += 1;
        hop = hop.next(status, next.to_string());
    }
    if let (Some(path), Some(jar)) = (&args.cookie_jar, &jar) {
        let text = crate::cookiefile::format(&jar.cookies(), SystemTime::now());
        if let Err(e) = std::fs::write(path, text) {
            if show_errors(args) {
                eprintln!(
                    "urlreq: warning: could not save cookies in {}: {e}",
                    path.display()
                );
            }
        }
    }
    sink.finish()
}

/// One request of a redirect chain urlreq follows itself.
struct Hop {
    url: String,
    /// The method, when a redirect changed it to GET.
    method: Option<&'static str>,
    /// Whether the body options' body is sent.
    body: bool,
    /// The method as curl sees it for redirects: what the options make
    /// (HEAD with -I, POST with a data or form body, PUT with -T), not -X's.
    internal: &'static str,
}

impl Hop {
    fn first(args: &Args, url: String) -> Hop {
        let internal = if args.head {
            "HEAD"
        } else if (args.has_data() && !args.get) || !args.form.is_empty() {
            "POST"
        } else if args.upload_file.is_some() {
            "PUT"
        } else {
            "GET"
        };
        Hop {
            url,
            method: None,
            body: true,
            internal,
        }
    }

    /// The request after a redirect with `status`, as curl makes it: 303
    /// turns anything but HEAD into a GET without a body, 301 and 302 turn
    /// a POST into one; 307, 308 and the others keep the method and the
    /// body. A method given with -X is sent on every hop all the same (as
    /// curl does), without the body where the redirect dropped it.
    fn next(self, status: u16, url: String) -> Hop {
        let to_get = match status {
            303 => self.internal != "HEAD",
            301 | 302 => self.internal == "POST",
            _ => false,
        };
        Hop {
            url,
            method: if to_get { Some("GET") } else { self.method },
            body: self.body && !to_get,
            internal: if to_get { "GET" } else { self.internal },
        }
    }
}

/// Checks that need no network: combinations curl refuses, and a
/// `--cacert` file that cannot be read.
fn check(args: &Args) -> Result<(), Fail> {
    let bodies = [
        // With -G the data is the URL's query.
        args.has_data() && !args.get,
        !args.form.is_empty(),
        args.upload_file.is_some(),
    ];
    if bodies.iter().filter(|b| **b).count() > 1 {
        return Err(usage(
            "only one kind of request body: -d (and its kin), -F or -T",
        ));
    }
    if args.head && bodies.iter().any(|b| *b) {
        return Err(usage(
            "-I/--head sends no body: it cannot be combined with -d, -F or -T",
        ));
    }
    if let Some(ca) = &args.cacert {
        if let Err(e) = std::fs::File::open(ca) {
            return Err(usage(format!("--cacert {}: {e}", ca.display())));
        }
    }
    Ok(())
}

/// The URL to ask for: with -G the data as its query (after any query it
/// has, joined with `&`); with -T and no file part in the URL, the file's
/// name appended, as curl does.
fn request_url(args: &Args, query: Option<&[u8]>) -> Result<String, Fail> {
    let mut url = args.url.clone().ok_or_else(|| usage("no URL given"))?;
    if let Some(q) = query {
        let (base, fragment) = match url.split_once('#') {
            Some((b, f)) => (b.to_string(), Some(f.to_string())),
            None => (url.clone(), None),
        };
        let sep = if base.contains('?') { "&" } else { "?" };
        url = format!("{base}{sep}{}", String::from_utf8_lossy(q));
        if let Some(f) = fragment {
            url = format!("{url}#{f}");
        }
    }
    let Some(file) = args.upload_file.as_deref().filter(|p| *p != Path::new("-")) else {
        return Ok(url);
    };
    let Ok(parsed) = Url::parse(&url) else {
        return Ok(url); // the builder reports it
    };
    if !parsed.path().ends_with('/') {
        return Ok(url);
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut with_name = parsed;
    let path = format!(
        "{}{}",
        with_name.path(),
        form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    );
    with_name.set_path(&path);
    Ok(with_name.to_string())
}

/// Where the body goes: -o FILE, or with -O the last segment of the URL's
/// path in the current directory.
fn output_path(args: &Args, url: &str) -> Result<Option<PathBuf>, Fail> {
    if let Some(o) = &args.output {
        // `-o -` is stdout, as in curl.
        return Ok((o != Path::new("-")).then(|| o.clone()));
    }
    if !args.remote_name {
        return Ok(None);
    }
    let name = Url::parse(url)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(String::from))
        })
        .unwrap_or_default();
    if name.is_empty() {
        return Err(Fail {
            code: code::WRITE_ERROR,
            msg: "Remote file name has no length (-O needs a URL whose path ends in a name)".into(),
        });
    }
    Ok(Some(PathBuf::from(name)))
}

/// The -H values, with `@file` expanded to the file's lines.
fn header_lines(args: &Args) -> Result<Vec<String>, Fail> {
    let mut lines = Vec::new();
    for h in &args.headers {
        match h.strip_prefix('@') {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| usage(format!("-H @{file}: cannot read: {e}")))?;
                lines.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from),
                );
            }
            None => lines.push(h.clone()),
        }
    }
    Ok(lines)
}

fn seconds(flag: &str, t: f64) -> Result<Duration, Fail> {
    if !(t > 0.0 && t.is_finite()) {
        return Err(usage(format!(
            "{flag} must be a positive number of seconds, not {t}"
        )));
    }
    // Past about 584 billion years a Duration overflows.
    Duration::try_from_secs_f64(t).map_err(|_| usage(format!("{flag} of {t} seconds is too long")))
}

/// The request of `hop`; `data` is the body of the data options (and
/// whether it is JSON), unless -G put it in the URL or a redirect dropped
/// it. Off the first URL's origin, no credentials go out: not -u's, not an
/// `Authorization` or `Cookie` given with -H (as curl). `redirects` is how
/// many the core follows; `total` what is left of -m.
fn build_request(
    args: &Args,
    hop: &Hop,
    data: Option<(Vec<u8>, bool)>,
    same_origin: bool,
    redirects: u32,
    total: Option<Duration>,
) -> Result<Request, Fail> {
    let mut b = Request::builder(&hop.url);
    let headers = header_lines(args)?;
    let mut user_set: Vec<String> = Vec::new();
    let credential = |name: &str| {
        !same_origin
            && (name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("cookie"))
    };
    for h in &headers {
        // `Name;` sends the header empty; `Name:` with no value sends
        // nothing (curl removes its own header of that name).
        if let Some(name) = h.strip_suffix(';').filter(|n| !n.contains(':')) {
            b = b.header(name.trim(), "");
            user_set.push(name.trim().to_ascii_lowercase());
            continue;
        }
        let (name, value) = split_header(h).map_err(usage)?;
        user_set.push(name.to_ascii_lowercase());
        if !value.is_empty() && !credential(name) {
            b = b.header(name, value);
        }
    }
    let has = |name: &str| user_set.iter().any(|n| n == name);
    if let Some(m) = &args.method {
        b = b.method(m);
    } else if args.head {
        b = b.method("HEAD");
    } else if let Some(m) = hop.method {
        b = b.method(m);
    }
    if let Some(a) = args.user_agent.as_deref().filter(|_| !has("user-agent")) {
        b = b.user_agent(a);
    }
    if let Some(r) = args.referer.as_deref().filter(|_| !has("referer")) {
        b = b.header("Referer", r);
    }
    if let Some(u) = args.user.as_ref().filter(|_| same_origin) {
        let (user, pass) = u.split_once(':').ok_or_else(|| {
            usage("-u needs USER:PASSWORD (urlreq does not prompt for a password)")
        })?;
        b = b.basic_auth(user, pass);
    }
    let cookies: Vec<&str> = args
        .cookie
        .iter()
        .filter(|c| c.contains('='))
        .map(String::as_str)
        .collect();
    if !cookies.is_empty() {
        b = b.header("Cookie", cookies.join("; "));
    }
    let mut json = false;
    if let Some((body, is_json)) = data {
        json = is_json;
        b = b.body(body);
        if !has("content-type") {
            b = b.header(
                "Content-Type",
                if json {
                    "application/json"
                } else {
                    urlrequest_std::core::FORM_URLENCODED
                },
            );
        }
        if args.method.is_none() {
            b = b.method("POST");
        }
    }
    if !has("accept") {
        b = b.header("Accept", if json { "application/json" } else { "*/*" });
    }
    if let Some(path) = args.upload_file.as_ref().filter(|_| hop.body) {
        b = b.body_stream(crate::upload::stream_for(path).map_err(body_fail)?);
        if args.method.is_none() {
            b = b.method("PUT");
        }
    }
    if let Some(t) = args.timeout {
        b = b.timeout(seconds("--timeout", t)?);
    }
    if let Some(t) = total {
        b = b.total_timeout(t);
    }
    if let Some(t) = args.connect_timeout {
        b = b.connect_timeout(seconds("--connect-timeout", t)?);
    }
    b = b.decompress(!args.raw);
    b = b.max_redirects(redirects);
    // curl follows a redirect from https to http; so does urlreq.
    b = b.allow_https_to_http(true);
    if let Some(n) = args.chunk_size {
        b = b.chunk_size(n);
    }
    if hop.body {
        b = crate::extras::form_body(args, b).map_err(body_fail)?;
    }
    // The body streams to its destination; keeping a copy would make memory
    // grow with the download.
    b = b.collect_body(false).decode(false);
    b.build().map_err(|e| Fail {
        code: crate::exit::for_build_error(&e),
        msg: e.to_string(),
    })
}

/// Redirects to follow: none without -L (as curl), `--max-redirs` (default
/// 50, -1 for no limit) with it.
fn max_redirects(args: &Args) -> u32 {
    if !args.location {
        return 0;
    }
    match args.max_redirs {
        None => DEFAULT_MAX_REDIRS,
        Some(n) if n < 0 => u32::MAX,
        Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
    }
}

/// `-x`: the proxy, unless `--noproxy` names the URL's host; without -x
/// the environment's proxies.
fn set_proxy(args: &Args, request: &mut Request) -> Result<(), Fail> {
    let Some(spec) = &args.proxy else {
        crate::extras::prepare(args, request).map_err(usage)?;
        // The proxy the environment named gets --proxy-header and
        // --proxy-user too.
        if let Some(proxy) = request.proxy().cloned() {
            request.set_proxy(Some(proxy_extras(args, proxy, None)?));
        }
        return Ok(());
    };
    let spec = parse_proxy(spec).map_err(|e| usage(format!("-x/--proxy: {e}")))?;
    if let Some(list) = &args.noproxy {
        // The NO_PROXY matcher, with a stand-in proxy: `None` means direct.
        let probe = EnvProxies::from_vars([
            ("http_proxy", "http://noproxy.invalid:1"),
            ("https_proxy", "http://noproxy.invalid:1"),
        ])
        .map_err(|e| usage(e.to_string()))?
        .no_proxy(list);
        if probe.proxy_for(request.url()).is_none() {
            return Ok(());
        }
    }
    let proxy = Proxy::new(spec.host.as_str(), spec.port)
        .map_err(|_| usage(format!("-x/--proxy: {:?} is not a valid host", spec.host)))?;
    request.set_proxy(Some(proxy_extras(args, proxy, spec.credentials.clone())?));
    Ok(())
}

/// `proxy` with the --proxy-header headers and the credentials of
/// --proxy-user (or else `credentials`, from -x's URL).
fn proxy_extras(
    args: &Args,
    mut proxy: Proxy,
    credentials: Option<(String, String)>,
) -> Result<Proxy, Fail> {
    for h in &args.proxy_headers {
        let (name, value) = split_header(h).map_err(usage)?;
        proxy = proxy
            .header(name, value)
            .map_err(|e| usage(e.to_string()))?;
    }
    let credentials = match &args.proxy_user {
        Some(u) => Some(u.split_once(':').map_or_else(
            || (u.clone(), String::new()),
            |(a, b)| (a.to_string(), b.to_string()),
        )),
        None => credentials,
    };
    if let Some((user, pass)) = credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        proxy = proxy
            .header("Proxy-Authorization", &format!("Basic {token}"))
            .map_err(|_| usage("the proxy credentials cannot go in a header"))?;
    }
    Ok(proxy)
}

/// A -b file or -c turns the cookie engine on (a -b string is only sent,
/// as in curl): a jar holding the cookies of the -b files (a file that
/// cannot be read is skipped, as curl does).
fn cookie_engine(args: &Args, url: Option<&Url>) -> Option<CookieJar> {
    let files = args.cookie.iter().any(|c| !c.contains('='));
    if !files && args.cookie_jar.is_none() {
        return None;
    }
    let now = SystemTime::now();
    let mut cookies = Vec::new();
    for file in args.cookie.iter().filter(|c| !c.contains('=')) {
        if let (Ok(text), Some(url)) = (std::fs::read_to_string(file), url) {
            cookies.extend(crate::cookiefile::parse(&text, url, now));
        }
    }
    for (i, c) in cookies.iter_mut().enumerate() {
        c.created = i as u64;
    }
    Some(CookieJar::from_cookies(cookies))
}

/// -v: the request head on stderr, `> ` before each line. The headers are
/// the request's own; the core adds `Host`, `Content-Length`,
/// `Accept-Encoding` and the jar's `Cookie` as it sends them.
fn verbose_request(request: &Request, jar: Option<&CookieJar>) {
    let url = request.url();
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut out = format!("> {} {target} HTTP/1.1\r\n", request.method());
    if let Some(host) = url.host_str() {
        match url.port() {
            Some(p) => out.push_str(&format!("> Host: {host}:{p}\r\n")),
            None => out.push_str(&format!("> Host: {host}\r\n")),
        }
    }
    for (name, value) in request.headers() {
        out.push_str(&format!(
            "> {name}: {}\r\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    if let Some(cookie) = jar.and_then(|j| j.cookie_header(url, SystemTime::now())) {
        out.push_str(&format!(
            "> cookie: {}\r\n",
            String::from_utf8_lossy(cookie.as_bytes())
        ));
    }
    out.push_str("> \r\n");
    eprint!("{out}");
}

fn replay(args: &Args, path: &Path) -> Result<i32, Fail> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    let transcript =
        Transcript::parse(&text).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    let events = transcript.replay(Instant::now());
    let head = events.iter().find_map(|e| match e {
        Event::Done(r) => Some(Head {
            status: r.status(),
            version: r.version(),
            reason: r.reason().to_string(),
            headers: r.headers().clone(),
            raw: r.raw_head().to_vec(),
        }),
        _ => None,
    });
    let mut sink = Sink::open(args, args.output.as_deref(), false)?;
    for event in &events {
        match sink.on_event(event, head.clone()) {
            Ok(ControlFlow::Continue(())) => {}
            Ok(ControlFlow::Break(())) => break,
            Err(e) => {
                sink.write_error = Some(e);
                break;
            }
        }
    }
    sink.finish()
}

/// Where events go, and what the run ends with.
struct Sink {
    args_events: bool,
    include: bool,
    /// -D: where the head is written (`None` inside for stdout).
    dump: Option<Option<std::fs::File>>,
    verbose: bool,
    fail: bool,
    fail_with_body: bool,
    follow_none: bool,
    write_out: Option<String>,
    show_errors: bool,
    head_printed: bool,
    file: Option<FileSink>,
    /// With -J: the file is named by the final head, and made then.
    name_from_head: Option<PathBuf>,
    stdout: io::BufWriter<io::Stdout>,
    bar: Option<ProgressBar>,
    outcome: Option<Fail>,
    write_error: Option<io::Error>,
    stats: Stats,
    start: Instant,
    /// With -L outside --events and --record: the most redirects urlreq
    /// follows itself.
    follow_max: Option<u32>,
    /// The redirect this hop's head asked for (status, `Location`), when
    /// urlreq follows it.
    redirect_to: Option<(u16, String)>,
    /// The hop's body is not written (a redirect being followed).
    discard: bool,
}

impl Sink {
    fn open(args: &Args, output: Option<&Path>, force_progress: bool) -> Result<Sink, Fail> {
        let name_from_head = output
            .filter(|_| args.remote_header_name && args.output.is_none())
            .map(Path::to_path_buf);
        let file = match output.filter(|_| name_from_head.is_none()) {
            Some(p) => Some(FileSink::create(p).map_err(|e| Fail {
                code: code::WRITE_ERROR,
                msg: format!("cannot write {}: {e}", p.display()),
            })?),
            None => None,
        };
        let progress = !args.events
            && !args.silent
            && !args.verbose
            && (force_progress || args.progress_bar || io::stderr().is_terminal());
        let bar = progress.then(|| {
            let bar = ProgressBar::hidden();
            let target = if args.progress_bar && !io::stderr().is_terminal() {
                // -# draws even where stderr is not a terminal, as curl does.
                indicatif::ProgressDrawTarget::term_like(Box::new(PlainStderr))
            } else {
                indicatif::ProgressDrawTarget::stderr()
            };
            bar.set_draw_target(target);
            bar
        });
        let dump = match &args.dump_header {
            Some(p) if p == Path::new("-") => Some(None),
            Some(p) => Some(Some(std::fs::File::create(p).map_err(|e| Fail {
                code: code::WRITE_ERROR,
                msg: format!("-D: cannot write {}: {e}", p.display()),
            })?)),
            None => None,
        };
        let write_out = match args.write_out.as_deref() {
            Some(w) => Some(crate::writeout::read_format(w).map_err(usage)?),
            None => None,
        };
        Ok(Sink {
            args_events: args.events,
            include: args.include || args.head,
            dump,
            verbose: args.verbose,
            fail: args.fail,
            fail_with_body: args.fail_with_body,
            follow_none: args.location && max_redirects(args) == 0,
            write_out,
            show_errors: show_errors(args),
            head_printed: false,
            file,
            name_from_head,
            stdout: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            bar,
            outcome: None,
            write_error: None,
            stats: Stats::default(),
            start: Instant::now(),
            follow_max: None,
            redirect_to: None,
            discard: false,
        })
    }

    fn on_event(&mut self, event: &Event, head: Option<Head>) -> io::Result<ControlFlow<()>> {
        if self.args_events {
            writeln!(self.stdout, "{}", event_json(event))?;
        }
        match event {
            Event::Redirect { to, method, .. } => {
                self.stats.num_redirects += 1;
                if self.verbose {
                    eprintln!("* Issue another request to this URL: '{to}'");
                    let target = match to.query() {
                        Some(q) => format!("{}?{q}", to.path()),
                        None => to.path().to_string(),
                    };
                    eprint!("> {method} {target} HTTP/1.1\r\n> \r\n");
                }
            }
            Event::Progress { received: 0, total } if !self.head_printed => {
                self.head_printed = true;
                if let Some(head) = &head {
                    let followed = self.follow_max.is_some()
                        && head.status.is_redirection()
                        && head.headers.contains_key(http::header::LOCATION);
                    if !followed {
                        if let Err(fail) = self.open_named_file(head) {
                            self.outcome = Some(fail);
                            return Ok(ControlFlow::Break(()));
                        }
                    }
                    self.stats.http_code = Some(head.status.as_u16());
                    self.stats.content_type = head
                        .headers
                        .get(http::header::CONTENT_TYPE)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                    if self.verbose {
                        let mut text = Vec::new();
                        write_head(&mut text, head)?;
                        for line in String::from_utf8_lossy(&text).split_inclusive('\n') {
                            eprint!("< {line}");
                        }
                    }
                    if self.include && !self.args_events {
                        let mut text = Vec::new();
                        write_head(&mut text, head)?;
                        self.write_body(&text)?;
                    }
                    match &mut self.dump {
                        Some(Some(file)) => write_head(file, head)?,
                        Some(None) => write_head(&mut self.stdout, head)?,
                        None => {}
                    }
                    let location = head
                        .headers
                        .get(http::header::LOCATION)
                        .filter(|_| head.status.is_redirection())
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                    if let (Some(max), Some(location)) = (self.follow_max, &location) {
                        if self.stats.num_redirects >= max {
                            self.outcome = Some(Fail {
                                code: code::TOO_MANY_REDIRECTS,
                                msg: format!("Maximum ({max}) redirects followed"),
                            });
                            return Ok(ControlFlow::Break(()));
                        }
                        self.redirect_to = Some((head.status.as_u16(), location.clone()));
                        self.discard = true;
                    }
                    let redirect = location.is_some();
                    if self.follow_none && redirect {
                        // -L --max-redirs 0: curl stops at the first redirect.
                        self.outcome = Some(Fail {
                            code: code::TOO_MANY_REDIRECTS,
                            msg: "Maximum (0) redirects followed".into(),
                        });
                        return Ok(ControlFlow::Break(()));
                    }
                    if head.status.as_u16() >= 400 && (self.fail || self.fail_with_body) {
                        self.outcome = Some(Fail {
                            code: code::HTTP_RETURNED_ERROR,
                            msg: format!(
                                "The requested URL returned error: {}",
                                head.status.as_u16()
                            ),
                        });
                        if self.fail {
                            return Ok(ControlFlow::Break(()));
                        }
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
            Event::Body(b) if !self.args_events && !self.discard => {
                self.stats.size_download += b.len() as u64;
                self.write_body(b)?;
            }
            Event::Done(r) => {
                self.stats.http_code = Some(r.status().as_u16());
                self.stats.url_effective = Some(r.url().to_string());
            }
            Event::Failure(e) if self.outcome.is_none() => {
                self.outcome = Some(Fail {
                    code: crate::exit::for_error(e),
                    msg: crate::exit::message(e),
                });
            }
            _ => {}
        }
        Ok(ControlFlow::Continue(()))
    }

    /// With -J, makes the output file under the name the final head gives
    /// (`Content-Disposition: ...; filename="NAME"`, its last path
    /// component), else under -O's name; an existing file is kept.
    fn open_named_file(&mut self, head: &Head) -> Result<(), Fail> {
        let Some(fallback) = self.name_from_head.take() else {
            return Ok(());
        };
        let named = head
            .headers
            .get(http::header::CONTENT_DISPOSITION)
            .and_then(|v| disposition_file_name(&String::from_utf8_lossy(v.as_bytes())))
            .map(PathBuf::from)
            .unwrap_or(fallback);
        if named.exists() {
            return Err(Fail {
                code: code::WRITE_ERROR,
                msg: format!("Refusing to overwrite {}: File exists", named.display()),
            });
        }
        let file = FileSink::create(&named).map_err(|e| Fail {
            code: code::WRITE_ERROR,
            msg: format!("cannot write {}: {e}", named.display()),
        })?;
        self.file = Some(file);
        Ok(())
    }

    /// A new request of the chain: its head is still to come.
    fn start_hop(&mut self) {
        self.head_printed = false;
        self.redirect_to = None;
        self.discard = false;
    }

    /// Body bytes (and with -i the head) to -o's file or to stdout, as
    /// they arrive.
    fn write_body(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.write(bytes),
            None => {
                self.stdout.write_all(bytes)?;
                self.stdout.flush()
            }
        }
    }

    fn finish(mut self) -> Result<i32, Fail> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let write_fail = |what: &str, e: io::Error| Fail {
            code: code::WRITE_ERROR,
            msg: format!("Failure writing output to destination ({what}): {e}"),
        };
        let mut result = match self.write_error.take() {
            Some(e) => Err(write_fail("the body", e)),
            None => match self.outcome.take() {
                Some(f) => Err(f),
                None if self.stats.http_code.is_none() => Err(Fail {
                    code: 1,
                    msg: "the exchange ended without a response".into(),
                }),
                None => Ok(0),
            },
        };
        if let Some(file) = self.file.take() {
            let keep = match &result {
                Ok(_) => true,
                Err(f) => f.code == code::HTTP_RETURNED_ERROR && self.fail_with_body,
            };
            if keep {
                if let Err(e) = file.commit() {
                    result = Err(write_fail("moving the download into place", e));
                }
            } else {
                drop(file); // removes the temporary file
            }
        }
        self.stats.time_total = self.start.elapsed();
        if let Some(format) = &self.write_out {
            let text = crate::writeout::expand(format, &self.stats);
            if let Err(e) = self.stdout.write_all(text.as_bytes()) {
                result = Err(write_fail("stdout", e));
            }
        }
        if let Err(e) = self.stdout.flush() {
            result = Err(write_fail("stdout", e));
        }
        match result {
            Ok(c) => Ok(c),
            // --events already carries the failure on stdout.
            Err(f) if self.args_events || !self.show_errors => Ok(f.code),
            Err(f) => Err(f),
        }
    }
}

/// The status line and headers of a response.
#[derive(Clone)]
struct Head {
    status: http::StatusCode,
    version: http::Version,
    reason: String,
    headers: http::HeaderMap,
    /// The status line and header lines as the server sent them.
    raw: Vec<u8>,
}

/// The head as curl prints it with -i: the status line, then the header
/// lines as the server sent them (names in its case, in its order).
fn write_head(out: &mut impl Write, head: &Head) -> io::Result<()> {
    writeln!(
        out,
        "{:?} {} {}\r",
        head.version,
        head.status.as_u16(),
        head.reason
    )?;
    // The first raw line is the status line, written above.
    let lines: Vec<&[u8]> = head.raw.split(|&b| b == b'\n').skip(1).collect();
    if lines.is_empty() {
        // A head kept without its raw lines: the parsed headers.
        for (name, value) in &head.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            writeln!(out, "{name}: {value}\r")?;
        }
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.write_all(line)?;
        out.write_all(b"\r\n")?;
    }
    writeln!(out, "\r")
}

/// The file name a `Content-Disposition` value gives (`filename="a b.txt"`
/// or `filename=a.txt`), reduced to its last path component, as curl -J
/// does; `None` when there is none or it is empty.
fn disposition_file_name(value: &str) -> Option<String> {
    let at = value.to_ascii_lowercase().find("filename=")?;
    let rest = &value[at + "filename=".len()..];
    let name = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(""),
        None => rest.split(';').next().unwrap_or("").trim(),
    };
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    (!last.is_empty() && last != "." && last != "..").then(|| last.to_string())
}

#[cfg(test)]
mod disposition_tests {
    use super::disposition_file_name;

    #[test]
    fn names_from_content_disposition() {
        let name = |v: &str| disposition_file_name(v);
        assert_eq!(
            name("attachment; filename=\"report 1.pdf\""),
            Some("report 1.pdf".into())
        );
        assert_eq!(
            name("attachment; filename=a.txt; size=3"),
            Some("a.txt".into())
        );
        assert_eq!(
            name("attachment; FILENAME=\"../../etc/passwd\""),
            Some("passwd".into())
        );
        assert_eq!(
            name("attachment; filename=\"C:\\\\x\\\\y.bin\""),
            Some("y.bin".into())
        );
        assert_eq!(name("attachment; filename=\"\""), None);
        assert_eq!(name("inline"), None);
        assert_eq!(name("attachment; filename=.."), None);
    }
}

/// stderr as a terminal with no cursor movement: each redraw starts the
/// line again with a carriage return (what `-#` shows where stderr is a
/// file or a pipe).
#[derive(Debug)]
struct PlainStderr;

impl indicatif::TermLike for PlainStderr {
    fn width(&self) -> u16 {
        80
    }

    fn move_cursor_up(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_down(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_right(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn move_cursor_left(&self, _: usize) -> io::Result<()> {
        Ok(())
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        writeln!(io::stderr(), "{s}")
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        write!(io::stderr(), "{s}")
    }

    fn clear_line(&self) -> io::Result<()> {
        write!(io::stderr(), "\r")
    }

    fn flush(&self) -> io::Result<()> {
        io::stderr().flush()
    }
}
