//! The body options (-d and its kin, `--json`, `-F`) and the proxies the
//! environment names (`--noproxy`).

use std::path::Path;

use urlrequest_std::{EnvProxies, Multipart, MultipartUpload, Request, RequestBuilder, Upload};

use crate::args::{split_header, Args, DataItem};

/// The body of the data options (-d, --data-binary, --data-raw,
/// --data-urlencode, --json) in command-line order, joined as curl joins
/// them (`&` between form pieces, nothing between JSON pieces), and
/// whether it is JSON. `None` without data options.
pub fn data_body(args: &Args) -> Result<Option<(Vec<u8>, bool)>, String> {
    if args.data_items.is_empty() {
        return Ok(None);
    }
    let json = args
        .data_items
        .iter()
        .any(|d| matches!(d, DataItem::Json(_)));
    let mut body = Vec::new();
    for (i, item) in args.data_items.iter().enumerate() {
        if i > 0 && !json {
            body.push(b'&');
        }
        match item {
            DataItem::Ascii(d) => match d.strip_prefix('@') {
                Some(file) => body.extend(
                    read_source(file)?
                        .into_iter()
                        .filter(|b| *b != b'\r' && *b != b'\n'),
                ),
                None => body.extend_from_slice(d.as_bytes()),
            },
            DataItem::Binary(d) | DataItem::Json(d) => match d.strip_prefix('@') {
                Some(file) => body.extend(read_source(file)?),
                None => body.extend_from_slice(d.as_bytes()),
            },
            DataItem::Raw(d) => body.extend_from_slice(d.as_bytes()),
            DataItem::UrlEncode(d) => body.extend_from_slice(urlencode_item(d)?.as_bytes()),
        }
    }
    Ok(Some((body, json)))
}

/// Adds the `-F` body to `b`.
pub fn form_body(args: &Args, mut b: RequestBuilder) -> Result<RequestBuilder, String> {
    let user_type = args
        .headers
        .iter()
        .any(|h| split_header(h).is_ok_and(|(n, _)| n.eq_ignore_ascii_case("content-type")));
    if !args.form.is_empty() {
        if args.has_data() {
            return Err("-F cannot be combined with -d and the other data options".into());
        }
        if let Some((content_type, upload)) = form_upload(args)? {
            b = b.body_stream(upload.body_stream());
            if !user_type {
                b = b.header("Content-Type", content_type);
            }
            if args.method.is_none() {
                b = b.method("POST");
            }
            return Ok(b);
        }
        let mut form = Multipart::new();
        for item in &args.form {
            form = form_item(form, item)?;
        }
        b = b.multipart(form);
    }
    Ok(b)
}

/// The `-F` form streamed from disk when it has a file (`name=@file`) and
/// no other body option: its `Content-Type` and body, the same bytes the
/// in-memory form would be. `None` otherwise.
pub fn form_upload(args: &Args) -> Result<Option<(String, Upload)>, String> {
    let has_file = args
        .form
        .iter()
        .any(|i| i.split_once('=').is_some_and(|(_, v)| v.starts_with('@')));
    if !has_file || args.has_data() || args.upload_file.is_some() {
        return Ok(None);
    }
    let mut form = MultipartUpload::new();
    for item in &args.form {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| format!("-F {item:?} is not of the form name=value"))?;
        form = if let Some(spec) = value.strip_prefix('@') {
            let (path, ctype) = spec
                .split_once(";type=")
                .unwrap_or((spec, type_for_name(spec)));
            form.file(name, path, ctype)
        } else if let Some(path) = value.strip_prefix('<') {
            form.text(name, read_text(Path::new(path))?)
        } else {
            form.text(name, value)
        };
    }
    form.into_upload().map(Some).map_err(|e| e.to_string())
}

/// One `--data-urlencode` item, as curl reads it.
fn urlencode_item(item: &str) -> Result<String, String> {
    let enc = |bytes: &[u8]| form_urlencoded::byte_serialize(bytes).collect::<String>();
    if let Some(file) = item.strip_prefix('@') {
        return Ok(enc(&read_source(file)?));
    }
    if let Some(content) = item.strip_prefix('=') {
        return Ok(enc(content.as_bytes()));
    }
    // `name=content` when `=` comes before any `@`, `name@file` otherwise.
    match (item.find('='), item.find('@')) {
        (Some(eq), at) if at.is_none_or(|at| eq < at) => Ok(format!(
            "{}={}",
            &item[..eq],
            enc(&item.as_bytes()[eq + 1..])
        )),
        (_, Some(at)) => {
            let data = read(Path::new(&item[at + 1..]))?;
            Ok(format!("{}={}", &item[..at], enc(&data)))
        }
        _ => Ok(enc(item.as_bytes())),
    }
}

/// One `-F` item: `name=value`, `name=@file[;type=T]` or `name=<file`.
fn form_item(form: Multipart, item: &str) -> Result<Multipart, String> {
    let (name, value) = item
        .split_once('=')
        .ok_or_else(|| format!("-F {item:?} is not of the form name=value"))?;
    if let Some(spec) = value.strip_prefix('@') {
        let (path, ctype) = match spec.split_once(";type=") {
            Some((p, t)) => (p, t),
            None => (spec, type_for_name(spec)),
        };
        return urlrequest_std::multipart_file(form, name, path, ctype).map_err(|e| e.to_string());
    }
    if let Some(path) = value.strip_prefix('<') {
        return Ok(form.text(name, read_text(Path::new(path))?));
    }
    Ok(form.text(name, value))
}

/// The type curl gives a `-F name=@file` part with no `;type=`, from the
/// file name's extension; empty (the multipart default,
/// `application/octet-stream`) for the others.
fn type_for_name(path: &str) -> &'static str {
    let ext = Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "txt" => "text/plain",
        "htm" | "html" => "text/html",
        "pdf" => "application/pdf",
        "xml" => "application/xml",
        _ => "",
    }
}

/// A file named after `@`, or stdin for `-`.
fn read_source(name: &str) -> Result<Vec<u8>, String> {
    if name == "-" {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        return Ok(v);
    }
    read(Path::new(name))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn read_text(path: &Path) -> Result<String, String> {
    String::from_utf8(read(path)?).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// Gives the request the proxy the environment names for it (unless
/// --proxy set one).
pub fn prepare(args: &Args, request: &mut Request) -> Result<(), String> {
    prepare_with(args, request, |name| std::env::var(name).ok())
}

/// [`prepare`] over an environment given as a lookup.
pub fn prepare_with(
    args: &Args,
    request: &mut Request,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let mut proxies = EnvProxies::from_lookup(env).map_err(|e| e.to_string())?;
    if let Some(list) = &args.noproxy {
        proxies = proxies.no_proxy(list);
    }
    proxies.apply(request);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Args {
        let mut v = vec!["urlreq"];
        v.extend_from_slice(a);
        Args::parse_from_all(v).unwrap()
    }

    #[test]
    fn urlencode_items_as_curl() {
        assert_eq!(urlencode_item("a b&c").unwrap(), "a+b%26c");
        assert_eq!(urlencode_item("=a=b").unwrap(), "a%3Db");
        assert_eq!(urlencode_item("name=a b=c").unwrap(), "name=a+b%3Dc");
        assert_eq!(urlencode_item("mail=x@y").unwrap(), "mail=x%40y");
        let e = urlencode_item("name@/no/such/file").unwrap_err();
        assert!(e.starts_with("cannot read /no/such/file: "), "{e}");
    }

    #[test]
    fn part_types_from_the_extension_as_curl() {
        assert_eq!(type_for_name("/a/b.TXT"), "text/plain");
        assert_eq!(type_for_name("x.jpeg"), "image/jpeg");
        assert_eq!(type_for_name("x.bin"), "");
        assert_eq!(type_for_name("noext"), "");
    }

    #[test]
    fn data_options_join_as_curl() {
        let dir = std::env::temp_dir().join(format!("urlreq-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("d.txt");
        std::fs::write(&file, "a=1\r\nb=2\n").unwrap();
        let at = format!("@{}", file.display());
        let body = |a: &[&str]| data_body(&args(a)).unwrap();
        assert_eq!(body(&["u"]), None);
        assert_eq!(
            body(&["-d", &at, "--data-binary", &at, "--data-raw", &at, "u"]),
            Some((format!("a=1b=2&a=1\r\nb=2\n&{at}").into_bytes(), false))
        );
        assert_eq!(
            body(&["--json", "{\"a\":", "--json", "1}", "u"]),
            Some((b"{\"a\":1}".to_vec(), true))
        );
        let e = data_body(&args(&["-d", "@/no/such/file", "u"])).unwrap_err();
        assert!(e.starts_with("cannot read /no/such/file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn form_items() {
        let f = form_item(Multipart::new(), "a=1").unwrap();
        assert_eq!(f.parts()[0].data().as_ref(), b"1");
        assert!(form_item(Multipart::new(), "novalue").is_err());
        let e = form_item(Multipart::new(), "f=@/no/such/file;type=text/plain").unwrap_err();
        assert!(e.contains("/no/such/file"), "{e}");
        let req = form_body(
            &args(&["http://a.test/", "-F", "x=1", "-d", "y"]),
            Request::builder("http://a.test/"),
        );
        assert!(req.is_err());
    }

    #[test]
    fn form_with_a_file_streams_the_in_memory_bytes() {
        let dir = std::env::temp_dir().join(format!("urlreq-extras-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("n.bin");
        std::fs::write(&path, b"\x00data\r\n--x").unwrap();
        let file_arg = format!("f=@{}", path.display());
        let a = args(&["http://a.test/", "-F", "t=1", "-F", &file_arg]);
        let (ct, mut upload) = form_upload(&a).unwrap().expect("streamed");
        let mut sent = Vec::new();
        let mut buf = [0u8; 5];
        loop {
            let n = upload.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            sent.extend_from_slice(&buf[..n]);
        }
        let (boundary, body) = Multipart::new()
            .text("t", "1")
            .file("f", "n.bin", "", std::fs::read(&path).unwrap())
            .encode()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(ct, format!("multipart/form-data; boundary={boundary}"));
        assert_eq!(upload.body_stream().length, Some(body.len() as u64));
        assert_eq!(sent, body.as_ref());
        // Without a file the form stays in memory.
        assert!(form_upload(&args(&["http://a.test/", "-F", "t=1"]))
            .unwrap()
            .is_none());
    }

    #[test]
    fn env_proxies_by_default_and_noproxy() {
        let env = |name: &str| match name {
            "http_proxy" => Some("http://p.test:3128".to_string()),
            _ => None,
        };
        let mut r = Request::get("http://a.test/").unwrap();
        prepare_with(&args(&["http://a.test/"]), &mut r, env).unwrap();
        assert_eq!(r.proxy().map(|p| p.host()), Some("p.test"));
        let mut r = Request::get("http://a.test/").unwrap();
        prepare_with(
            &args(&["--noproxy", "a.test", "http://a.test/"]),
            &mut r,
            env,
        )
        .unwrap();
        assert!(r.proxy().is_none());
        let bad = |name: &str| (name == "https_proxy").then(|| "socks5://s:1".to_string());
        let mut r = Request::get("http://a.test/").unwrap();
        let e = prepare_with(&args(&["http://a.test/"]), &mut r, bad).unwrap_err();
        assert!(e.contains("https_proxy"), "{e}");
    }
}
