//! Placeholders: cases name their servers `{origin}`, `{origin2}` and
//! `{tls-origin}` (and the bare `host:port` forms `{host}`, `{host2}`,
//! `{tls-host}`) so that drivers listening on random ports all produce the
//! same trace. Runners substitute the real origins into the request and the
//! script, and map them back in trace lines before comparing.

use std::fmt;

/// Which of a case's servers something concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The first plain-HTTP server, `{origin}`.
    Origin,
    /// A second plain-HTTP server on another port, `{origin2}`, for
    /// cross-origin redirects.
    Origin2,
    /// An HTTPS server, `{tls-origin}`. Loopback drivers need TLS for it.
    TlsOrigin,
    /// The in-process HTTP proxy, `{proxy}` (`host:port`): it forwards
    /// absolute-form requests and tunnels CONNECT to the other servers. It
    /// has no script of its own.
    Proxy,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 4] = [Role::Origin, Role::Origin2, Role::TlsOrigin, Role::Proxy];

    /// The role's name as written in case files.
    pub fn name(self) -> &'static str {
        match self {
            Role::Origin => "origin",
            Role::Origin2 => "origin2",
            Role::TlsOrigin => "tls-origin",
            Role::Proxy => "proxy",
        }
    }

    /// The role with this case-file name.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The placeholders of the role: its origin and its bare `host:port`.
    pub(crate) fn placeholders(self) -> (&'static str, &'static str) {
        match self {
            Role::Origin => ("{origin}", "{host}"),
            Role::Origin2 => ("{origin2}", "{host2}"),
            Role::TlsOrigin => ("{tls-origin}", "{tls-host}"),
            Role::Proxy => ("{proxy-origin}", "{proxy}"),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a run's servers really are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    /// `scheme://host:port` of each role that has a server in this run.
    entries: Vec<(Role, String)>,
}

/// The in-memory driver's origins: nothing listens there, the addresses only
/// route connections to the simulated servers.
pub(crate) const VIRTUAL_ORIGINS: [(Role, &str); 4] = [
    (Role::Origin, "http://127.0.0.1:18081"),
    (Role::Origin2, "http://127.0.0.1:18082"),
    (Role::TlsOrigin, "https://127.0.0.1:18443"),
    (Role::Proxy, "http://127.0.0.1:18080"),
];

impl Origins {
    /// Origins from `(role, "scheme://host:port")` pairs. An origin must have
    /// an explicit port so it can be told apart from the others.
    pub fn new(entries: impl IntoIterator<Item = (Role, String)>) -> Origins {
        Origins {
            entries: entries.into_iter().collect(),
        }
    }

    pub(crate) fn virtual_origins() -> Origins {
        Origins::new(VIRTUAL_ORIGINS.map(|(r, o)| (r, o.to_string())))
    }

    /// The origin of `role` (`scheme://host:port`), if it has a server.
    pub fn origin(&self, role: Role) -> Option<&str> {
        self.entries
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, o)| o.as_str())
    }

    /// `host:port` of `role`.
    pub fn host(&self, role: Role) -> Option<&str> {
        self.origin(role).map(strip_scheme)
    }

    /// The role listening at `host:port`, if any.
    pub fn role_at(&self, host: &str, port: u16) -> Option<Role> {
        let wanted = format!("{host}:{port}");
        self.entries
            .iter()
            .find(|(_, o)| strip_scheme(o) == wanted)
            .map(|(r, _)| *r)
    }

    /// Replaces every placeholder with the real address. Placeholders of roles
    /// without a server are left as they are.
    pub fn substitute(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (role, origin) in &self.entries {
            let (o, h) = role.placeholders();
            out = out.replace(o, origin).replace(h, strip_scheme(origin));
        }
        out
    }

    /// Maps real addresses in a trace line back to placeholders. A match must
    /// not be followed by another digit, so port 4000 never matches inside
    /// port 40001.
    pub fn unmap(&self, line: &str) -> String {
        let mut out = line.to_string();
        for (role, origin) in &self.entries {
            out = replace_whole(&out, origin, role.placeholders().0);
        }
        for (role, origin) in &self.entries {
            out = replace_whole(&out, strip_scheme(origin), role.placeholders().1);
        }
        out
    }
}

fn strip_scheme(origin: &str) -> &str {
    origin.split_once("://").map_or(origin, |(_, rest)| rest)
}

fn replace_whole(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> Origins {
        Origins::new([
            (Role::Origin, "http://127.0.0.1:4000".to_string()),
            (Role::Origin2, "http://127.0.0.1:40001".to_string()),
        ])
    }

    #[test]
    fn substitute_and_unmap_are_inverse() {
        let o = two();
        let text = "redirect 302 GET {origin}/a -> {origin2}/b Host: {host2}";
        let real = o.substitute(text);
        assert_eq!(
            real,
            "redirect 302 GET http://127.0.0.1:4000/a -> http://127.0.0.1:40001/b Host: 127.0.0.1:40001"
        );
        assert_eq!(o.unmap(&real), text);
    }

    #[test]
    fn roles_found_by_address() {
        let o = two();
        assert_eq!(o.role_at("127.0.0.1", 40001), Some(Role::Origin2));
        assert_eq!(o.role_at("127.0.0.1", 4001), None);
        assert_eq!(o.host(Role::Origin), Some("127.0.0.1:4000"));
        assert_eq!(o.origin(Role::TlsOrigin), None);
        assert_eq!(o.substitute("{tls-origin}/x"), "{tls-origin}/x");
    }
}
