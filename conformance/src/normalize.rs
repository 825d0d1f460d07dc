//! Trace lines that carry text from below the core. A TLS failure's message
//! is written by the runtime's TLS library (rustls even puts the current
//! time into an expiry message), so traces compare certificate rejections
//! by their class, in fixed words, not by the library's text.

/// The class of a certificate issued for another name.
pub const NOT_VALID_FOR_NAME: &str = "certificate not valid for this host";
/// The class of a certificate from an authority the client does not trust.
pub const UNKNOWN_ISSUER: &str = "certificate issued by an unknown authority";
/// The class of a certificate past its validity.
pub const EXPIRED: &str = "certificate expired";

const TLS_PREFIX: &str = "failure tls: TLS failed: ";
const CERT_MARK: &str = "invalid peer certificate: ";

/// A trace line with a certificate rejection reduced to its class
/// (`failure tls: TLS failed: invalid peer certificate: certificate expired`);
/// every other line unchanged. Applying it twice changes nothing.
///
/// ```
/// use urlrequest_conformance::normalize_line;
/// let live = "failure tls: TLS failed: TLS handshake with 127.0.0.1 failed: \
///             invalid peer certificate: UnknownIssuer";
/// assert_eq!(
///     normalize_line(live),
///     "failure tls: TLS failed: invalid peer certificate: certificate issued by an unknown authority"
/// );
/// assert_eq!(normalize_line("progress 0/5"), "progress 0/5");
/// ```
pub fn normalize_line(line: &str) -> String {
    let Some(rest) = line.strip_prefix(TLS_PREFIX) else {
        return line.to_string();
    };
    let Some(at) = rest.find(CERT_MARK) else {
        return line.to_string();
    };
    let detail = &rest[at + CERT_MARK.len()..];
    let class = if detail.contains("not valid for name") || detail.starts_with("NotValidForName") {
        NOT_VALID_FOR_NAME
    } else if detail.starts_with("certificate expired") || detail.starts_with("Expired") {
        EXPIRED
    } else if detail.starts_with("UnknownIssuer") {
        UNKNOWN_ISSUER
    } else if [NOT_VALID_FOR_NAME, EXPIRED, UNKNOWN_ISSUER].contains(&detail) {
        detail
    } else {
        return line.to_string();
    };
    format!("{TLS_PREFIX}{CERT_MARK}{class}")
}

/// The transport message a simulated TLS layer reports for a rejected
/// certificate of this class (what [`normalize_line`] turns live messages
/// into).
pub(crate) fn simulated_rejection(class: &str) -> String {
    format!("{CERT_MARK}{class}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_messages_map_to_classes_and_stay_fixed() {
        let expired = "failure tls: TLS failed: invalid peer certificate: certificate expired: \
                       verification time 1 (UNIX), but certificate is not valid after 0 (1 seconds ago)";
        let name = "failure tls: TLS failed: invalid peer certificate: certificate not valid for \
                    name \"127.0.0.1\"; certificate is only valid for DnsName(\"wrong.test\")";
        for (line, class) in [(expired, EXPIRED), (name, NOT_VALID_FOR_NAME)] {
            let once = normalize_line(line);
            assert_eq!(once, format!("{TLS_PREFIX}{CERT_MARK}{class}"));
            assert_eq!(normalize_line(&once), once);
        }
        let other = "failure tls: TLS failed: handshake failure";
        assert_eq!(normalize_line(other), other);
    }
}
