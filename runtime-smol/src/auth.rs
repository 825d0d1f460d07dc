//! The `Authorization: Basic` value for the `auth` parameter (RFC 7617,
//! UTF-8 credentials, standard base64 with padding).

const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `Basic base64(user:password)`.
pub(crate) fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    let mut out = String::from("Basic ");
    for group in raw.as_bytes().chunks(3) {
        // Three bytes make 24 bits, read as four 6-bit digits; a short last
        // group gives fewer digits and `=` padding.
        let mut bits = 0u32;
        for (i, byte) in group.iter().enumerate() {
            bits |= u32::from(*byte) << (16 - 8 * i);
        }
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(DIGITS[((bits >> (18 - 6 * i)) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::basic;

    #[test]
    fn rfc_7617_example_and_padding() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", ""), "Basic YTo=");
        assert_eq!(basic("ab", ""), "Basic YWI6");
        assert_eq!(basic("", ""), "Basic Og==");
        assert_eq!(basic("user", "pässword"), "Basic dXNlcjpww6Rzc3dvcmQ=");
    }
}
