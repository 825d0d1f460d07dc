//! Escapes in case files: how raw bytes (CR, LF, control bytes) are written
//! as readable text, and read back.

/// Turns case-file text into bytes. Understood escapes: `\r`, `\n`, `\t`,
/// `\0`, `\\`, `\s` (a space, for a trailing one that would otherwise be
/// invisible) and `\xHH` (any byte). Anything else after a backslash is an
/// error, so a typo never silently becomes different bytes.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&next) = bytes.get(i + 1) else {
            return Err(
                "a backslash at the end of the line escapes nothing (write \\\\ for a backslash)"
                    .into(),
            );
        };
        i += 2;
        match next {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b's' => out.push(b' '),
            b'\\' => out.push(b'\\'),
            b'x' => {
                let hex = bytes.get(i..i + 2).ok_or("\\x needs two hex digits")?;
                let hex = std::str::from_utf8(hex).map_err(|_| "\\x needs two hex digits")?;
                let byte = u8::from_str_radix(hex, 16)
                    .map_err(|_| format!("\\x needs two hex digits, found {hex:?}"))?;
                out.push(byte);
                i += 2;
            }
            other => {
                return Err(format!(
                    "unknown escape \\{} (known: \\r \\n \\t \\0 \\s \\\\ \\xHH)",
                    other as char
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip_to_bytes() {
        assert_eq!(
            unescape(r"HTTP/1.1 200 OK\r\nX:\s\x00\\").unwrap(),
            b"HTTP/1.1 200 OK\r\nX: \x00\\"
        );
    }

    #[test]
    fn bad_escapes_are_errors() {
        assert!(unescape(r"\q").unwrap_err().contains("unknown escape \\q"));
        assert!(unescape(r"\x4").is_err());
        assert!(unescape(r"\xzz").is_err());
        assert!(unescape("end\\").is_err());
    }
}
