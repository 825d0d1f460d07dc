//! Form bodies: `application/x-www-form-urlencoded` from pairs, and
//! `multipart/form-data` (RFC 7578) from text fields and files held in
//! memory.
//!
//! The core draws no random numbers, so a multipart boundary is either given
//! by the user or derived from the parts themselves (a hash of their bytes),
//! and in both cases checked: a boundary that occurs in a part is refused
//! (given) or derived again (derived). The same parts therefore always give
//! the same bytes on the wire, which is what lets a conformance case check
//! them.
//!
//! Files are given as bytes: the core touches no file. Reading a file from
//! disk is the caller's job (the Kivy layer's `multipart_file` and `urlreq
//! -F name=@path` do it). To stream files from disk instead, the `urlrequest`
//! crate's `MultipartUpload` uses [`multipart_part_head`] and
//! [`MultipartSeed`] to give the same bytes piece by piece.

use bytes::{BufMut, Bytes, BytesMut};
use http::HeaderValue;

use crate::error::BuildError;
use crate::request::RequestBuilder;

/// The `Content-Type` of a URL-encoded form.
pub const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

/// Longest boundary RFC 2046 allows.
const MAX_BOUNDARY: usize = 70;

/// Encodes `name=value` pairs as `application/x-www-form-urlencoded` (the
/// WHATWG URL standard's serializer: space as `+`, everything but
/// `*-._` and alphanumerics percent-encoded as UTF-8).
///
/// ```
/// let body = urlrequest_core::form_urlencoded([("q", "a b&c"), ("lang", "é")]);
/// assert_eq!(body, "q=a+b%26c&lang=%C3%A9");
/// ```
pub fn form_urlencoded<I, K, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k.as_ref(), v.as_ref());
    }
    ser.finish()
}

impl RequestBuilder {
    /// The body as a URL-encoded form (`application/x-www-form-urlencoded`)
    /// made from `pairs`, in order, with that `Content-Type` unless a
    /// `Content-Type` header is set. With no method set, the method becomes
    /// POST. A later [`body`](Self::body), [`json`](Self::json) or
    /// [`multipart`](Self::multipart) replaces it.
    ///
    /// ```
    /// let req = urlrequest_core::Request::builder("http://example.com/login")
    ///     .form([("user", "ada"), ("note", "x=1 & y")])
    ///     .build()?;
    /// assert_eq!(req.method(), "POST");
    /// assert_eq!(req.headers()["content-type"], "application/x-www-form-urlencoded");
    /// assert_eq!(req.body().unwrap().as_ref(), b"user=ada&note=x%3D1+%26+y");
    /// # Ok::<(), urlrequest_core::BuildError>(())
    /// ```
    pub fn form<I, K, V>(self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let body = Bytes::from(form_urlencoded(pairs));
        self.typed_body(Ok((body, HeaderValue::from_static(FORM_URLENCODED))))
    }

    /// The body as `multipart/form-data` (RFC 7578) made from `form`, with
    /// `Content-Type: multipart/form-data; boundary=...` unless a
    /// `Content-Type` header is set. With no method set, the method becomes
    /// POST. A boundary given with [`Multipart::boundary`] that is invalid
    /// or occurs in a part makes [`build`](Self::build) return
    /// [`BuildError::Form`].
    ///
    /// ```
    /// use urlrequest_core::{Multipart, Request};
    /// let form = Multipart::new()
    ///     .boundary("XyZ")
    ///     .text("title", "Notes")
    ///     .file("doc", "a.txt", "text/plain", "hello");
    /// let req = Request::builder("http://example.com/upload").multipart(form).build()?;
    /// assert_eq!(req.headers()["content-type"], "multipart/form-data; boundary=XyZ");
    /// assert_eq!(
    ///     req.body().unwrap().as_ref(),
    ///     &b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nNotes\r\n\
    ///        --XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n\
    ///        Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n"[..]
    /// );
    /// # Ok::<(), urlrequest_core::BuildError>(())
    /// ```
    pub fn multipart(self, form: Multipart) -> Self {
        let body = form.encode().and_then(|(boundary, body)| {
            let value = format!("multipart/form-data; boundary={boundary}");
            let value = HeaderValue::from_str(&value).map_err(|_| BuildError::Form {
                reason: format!("boundary {boundary:?} is not a valid header value"),
            })?;
            Ok((body, value))
        });
        self.typed_body(body)
    }
}

/// One part of a [`Multipart`] form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Bytes,
}

impl Part {
    /// The field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file name, for a file part.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The part's `Content-Type`, when it has one.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The part's bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    fn write_head(&self, out: &mut BytesMut) {
        write_head(
            out,
            &self.name,
            self.filename.as_deref(),
            self.content_type.as_deref(),
        );
    }
}

/// The header block of one multipart part (`Content-Disposition`, the
/// `Content-Type` of a file part, and the blank line), exactly as
/// [`Multipart::encode`] writes it after the delimiter line. `file` is
/// `(filename, content_type)` for a file part (an empty type means
/// `application/octet-stream`), `None` for a text field. For callers that
/// stream a part's data themselves.
pub fn multipart_part_head(name: &str, file: Option<(&str, &str)>) -> Bytes {
    let mut out = BytesMut::new();
    match file {
        Some((filename, content_type)) => {
            let ct = if content_type.is_empty() {
                "application/octet-stream"
            } else {
                content_type
            };
            write_head(&mut out, name, Some(filename), Some(ct));
        }
        None => write_head(&mut out, name, None, None),
    }
    out.freeze()
}

/// Checks a given multipart boundary against RFC 2046's rules (1 to 70
/// characters of its set, not ending in a space), as [`Multipart::encode`]
/// does.
pub fn check_multipart_boundary(boundary: &str) -> Result<(), BuildError> {
    check_boundary(boundary)
}

/// The hash a derived multipart boundary is seeded from: for each part,
/// its head ([`multipart_part_head`]), its data and its length as 8
/// little-endian bytes, fed in that order (in pieces if need be), as
/// [`Multipart::encode`] does. Then [`derive`](Self::derive) gives the
/// boundary, the same one `encode` would give for the same parts.
#[derive(Clone)]
pub struct MultipartSeed(Fnv);

impl Default for MultipartSeed {
    fn default() -> Self {
        MultipartSeed::new()
    }
}

impl std::fmt::Debug for MultipartSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MultipartSeed({:016x})", self.0.finish())
    }
}

impl MultipartSeed {
    /// An empty seed.
    pub fn new() -> MultipartSeed {
        MultipartSeed(Fnv::new())
    }

    /// Feeds bytes to the hash.
    pub fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    /// The first candidate boundary that `occurs` says is in no part.
    pub fn derive(&self, occurs: impl Fn(&str) -> bool) -> String {
        derive_boundary(&self.0, occurs)
    }
}

fn write_head(out: &mut BytesMut, name: &str, filename: Option<&str>, content_type: Option<&str>) {
    out.put_slice(b"Content-Disposition: form-data; name=\"");
    put_quoted(out, name);
    out.put_slice(b"\"");
    if let Some(f) = filename {
        out.put_slice(b"; filename=\"");
        put_quoted(out, f);
        out.put_slice(b"\"");
    }
    out.put_slice(b"\r\n");
    if let Some(t) = content_type {
        out.put_slice(b"Content-Type: ");
        // Control bytes would end the header early; they are dropped.
        let clean: String = t.chars().filter(|c| !c.is_control()).collect();
        out.put_slice(clean.as_bytes());
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"\r\n");
}

/// A `multipart/form-data` body (RFC 7578): text fields and files, in
/// order, given to [`RequestBuilder::multipart`].
///
/// The boundary is [`boundary`](Self::boundary) when given, else derived
/// from the parts: `urlrequest-` and 16 hex digits of a 64-bit FNV-1a hash of
/// every part, hashed again with a counter until the boundary occurs in no
/// part. No random number is drawn, so the same form is the same bytes.
///
/// ```
/// use urlrequest_core::Multipart;
/// let form = Multipart::new().text("a", "1");
/// let (boundary, body) = form.encode()?;
/// assert!(boundary.starts_with("urlrequest-"));
/// assert_eq!(form.encode()?, (boundary, body)); // deterministic
/// # Ok::<(), urlrequest_core::BuildError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multipart {
    boundary: Option<String>,
    parts: Vec<Part>,
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Multipart {
        Multipart::default()
    }

    /// Uses this boundary instead of deriving one. It must be 1 to 70
    /// characters of RFC 2046's set (letters, digits and `'()+_,-./:=?` and
    /// space, not ending in a space) and occur in no part, else the request
    /// fails to build.
    pub fn boundary(mut self, boundary: impl Into<String>) -> Multipart {
        self.boundary = Some(boundary.into());
        self
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Multipart {
        self.parts.push(Part {
            name: name.into(),
            filename: None,
            content_type: None,
            data: Bytes::from(value.into()),
        });
        self
    }

    /// Adds a file part: its field name, the file name sent, its
    /// `Content-Type` (an empty one means `application/octet-stream`), and
    /// its bytes.
    pub fn file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Multipart {
        let mut content_type = content_type.into();
        if content_type.is_empty() {
            content_type = "application/octet-stream".into();
        }
        self.parts.push(Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some(content_type),
            data: data.into(),
        });
        self
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The boundary and the encoded body. Fails when a boundary was given
    /// that is not valid or occurs in a part.
    pub fn encode(&self) -> Result<(String, Bytes), BuildError> {
        // Each part's head and data, boundary-free, encoded once.
        let heads: Vec<BytesMut> = self
            .parts
            .iter()
            .map(|p| {
                let mut h = BytesMut::new();
                p.write_head(&mut h);
                h
            })
            .collect();
        let occurs = |b: &str| {
            self.parts
                .iter()
                .zip(&heads)
                .any(|(p, h)| contains(&p.data, b.as_bytes()) || contains(h, b.as_bytes()))
        };
        let boundary = match &self.boundary {
            Some(b) => {
                check_boundary(b)?;
                if occurs(b) {
                    return Err(BuildError::Form {
                        reason: format!("the boundary {b:?} occurs in a part"),
                    });
                }
                b.clone()
            }
            None => {
                let mut seed = Fnv::new();
                for (p, h) in self.parts.iter().zip(&heads) {
                    seed.write(h);
                    seed.write(&p.data);
                    seed.write(&(p.data.len() as u64).to_le_bytes());
                }
                derive_boundary(&seed, occurs)
            }
        };
        let size: usize = self
            .parts
            .iter()
            .zip(&heads)
            .map(|(p, h)| boundary.len() + 6 + h.len() + p.data.len())
            .sum();
        let mut out = BytesMut::with_capacity(size + boundary.len() + 8);
        for (p, h) in self.parts.iter().zip(&heads) {
            out.put_slice(b"--");
            out.put_slice(boundary.as_bytes());
            out.put_slice(b"\r\n");
            out.put_slice(h);
            out.put_slice(&p.data);
            out.put_slice(b"\r\n");
        }
        out.put_slice(b"--");
        out.put_slice(boundary.as_bytes());
        out.put_slice(b"--\r\n");
        Ok((boundary, out.freeze()))
    }
}

/// A name or file name inside the quotes of `Content-Disposition`, escaped
/// as the HTML standard does: `"` as `%22`, CR as `%0D`, LF as `%0A`.
fn put_quoted(out: &mut BytesMut, s: &str) {
    for b in s.bytes() {
        match b {
            b'"' => out.put_slice(b"%22"),
            b'\r' => out.put_slice(b"%0D"),
            b'\n' => out.put_slice(b"%0A"),
            _ => out.put_u8(b),
        }
    }
}

fn check_boundary(b: &str) -> Result<(), BuildError> {
    let bad = |why: &str| {
        Err(BuildError::Form {
            reason: format!("the boundary {b:?} {why}"),
        })
    };
    if b.is_empty() || b.len() > MAX_BOUNDARY {
        return bad("must be 1 to 70 characters long");
    }
    if b.ends_with(' ') {
        return bad("may not end in a space");
    }
    let allowed = |c: u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&c);
    if let Some(c) = b.bytes().find(|&c| !allowed(c)) {
        return bad(&format!(
            "holds {:?}, outside RFC 2046's boundary characters",
            c as char
        ));
    }
    Ok(())
}

/// The first candidate `urlrequest-<hash of seed and counter>` that
/// `occurs` says is in no part.
fn derive_boundary(seed: &Fnv, occurs: impl Fn(&str) -> bool) -> String {
    let mut n: u64 = 0;
    loop {
        let mut h = seed.clone();
        h.write(&n.to_le_bytes());
        let b = format!("urlrequest-{:016x}", h.finish());
        if !occurs(&b) {
            return b;
        }
        n += 1;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// 64-bit FNV-1a: a fixed, documented hash, so a derived boundary is the same
/// in every build and on every platform.
#[derive(Clone)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Request;
    use http::header::CONTENT_TYPE;

    #[test]
    fn urlencoded_pairs_in_order_with_type() {
        let r = Request::builder("http://a/")
            .form([("b", "2"), ("a", "1 2"), ("ü", "&=+")])
            .build()
            .unwrap();
        assert_eq!(r.method(), "POST");
        assert_eq!(r.headers()[CONTENT_TYPE], FORM_URLENCODED);
        assert_eq!(r.body().unwrap().as_ref(), b"b=2&a=1+2&%C3%BC=%26%3D%2B");
    }

    #[test]
    fn user_content_type_wins_and_later_body_replaces_form() {
        let r = Request::builder("http://a/")
            .header("Content-Type", "text/x-custom")
            .method("PUT")
            .form([("a", "1")])
            .build()
            .unwrap();
        let types: Vec<_> = r.headers().get_all(CONTENT_TYPE).iter().collect();
        assert_eq!(types, ["text/x-custom"]);
        assert_eq!(r.method(), "PUT");
        let r = Request::builder("http://a/")
            .form([("a", "1")])
            .body("raw")
            .build()
            .unwrap();
        assert!(r.headers().get(CONTENT_TYPE).is_none());
        let r = Request::builder("http://a/")
            .form([("a", "1")])
            .json(&1)
            .build()
            .unwrap();
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        let r = Request::builder("http://a/")
            .json(&1)
            .form([("a", "1")])
            .build()
            .unwrap();
        assert_eq!(r.headers()[CONTENT_TYPE], FORM_URLENCODED);
    }

    #[test]
    fn empty_form_is_an_empty_body() {
        let r = Request::builder("http://a/")
            .form(Vec::<(String, String)>::new())
            .build()
            .unwrap();
        assert_eq!(r.body().unwrap().as_ref(), b"");
        assert_eq!(r.method(), "POST");
    }

    #[test]
    fn derived_boundary_is_deterministic_and_depends_on_the_parts() {
        let a = Multipart::new().text("x", "1").encode().unwrap();
        let b = Multipart::new().text("x", "1").encode().unwrap();
        let c = Multipart::new().text("x", "2").encode().unwrap();
        assert_eq!(a, b);
        assert_ne!(a.0, c.0);
        assert_eq!(a.0.len(), "urlrequest-".len() + 16);
        check_boundary(&a.0).unwrap();
    }

    #[test]
    fn derived_boundary_never_occurs_in_a_part() {
        // Candidates that occur in a part are skipped, in counter order.
        let seed = Fnv::new();
        let first = derive_boundary(&seed, |_| false);
        let cell = std::cell::RefCell::new(Vec::<String>::new());
        let chosen = derive_boundary(&seed, |b| {
            let mut seen = cell.borrow_mut();
            seen.push(b.to_string());
            seen.len() <= 2
        });
        let seen = cell.into_inner();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0], first);
        assert_eq!(chosen, seen[2]);
        assert!(seen[0] != seen[1] && seen[1] != seen[2]);
        // And end to end: a value made of earlier boundaries never holds the
        // one chosen, which appears exactly as delimiters.
        let mut value = String::new();
        for _ in 0..4 {
            let (b, body) = Multipart::new().text("f", value.clone()).encode().unwrap();
            assert!(!value.contains(&b));
            let text = String::from_utf8(body.to_vec()).unwrap();
            assert_eq!(text.matches(&b).count(), 2, "{text}");
            value = format!("{value}{b}");
        }
    }

    #[test]
    fn given_boundary_checked() {
        for (b, why) in [
            ("", "1 to 70"),
            ("a ", "end in a space"),
            ("a\"b", "outside RFC 2046"),
            ("a\r\nb", "outside RFC 2046"),
        ] {
            let e = Request::builder("http://a/")
                .multipart(Multipart::new().boundary(b).text("a", "1"))
                .build()
                .unwrap_err();
            assert!(matches!(e, BuildError::Form { .. }), "{e:?}");
            assert!(e.to_string().contains(why), "{b:?}: {e}");
        }
        let long = "b".repeat(71);
        assert!(Multipart::new().boundary(long).encode().is_err());
        let e = Multipart::new()
            .boundary("XX")
            .file("f", "a.bin", "", "aaXXaa")
            .encode()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the form body could not be encoded: the boundary \"XX\" occurs in a part"
        );
    }

    #[test]
    fn names_are_escaped_and_files_typed() {
        let (_, body) = Multipart::new()
            .boundary("B")
            .file("a\"b", "x\r\ny.txt", "", vec![0u8, 255])
            .encode()
            .unwrap();
        assert_eq!(
            body.as_ref(),
            b"--B\r\nContent-Disposition: form-data; name=\"a%22b\"; filename=\"x%0D%0Ay.txt\"\r\n\
              Content-Type: application/octet-stream\r\n\r\n\x00\xff\r\n--B--\r\n"
        );
    }

    #[test]
    fn empty_multipart_is_the_closing_delimiter() {
        let (_, body) = Multipart::new().boundary("B").encode().unwrap();
        assert_eq!(body.as_ref(), b"--B--\r\n");
    }
}
