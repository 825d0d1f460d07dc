//! Property tests for forms, cookies and proxies from the environment:
//! arbitrary input never panics, a derived multipart boundary never occurs
//! in a part, every `Cookie` header the jar makes is a valid header with
//! no control byte, and `NO_PROXY` entries of any text are harmless.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use urlrequest_core::{CookieJar, EnvProxies, Multipart, Request, Url};

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a.test".to_string()),
        Just("www.a.test".to_string()),
        Just("b.co.uk".to_string()),
        Just("127.0.0.1".to_string()),
        Just("[::1]".to_string()),
        "[a-z]{1,5}(\\.[a-z]{1,4}){0,2}",
    ]
}

fn url() -> impl Strategy<Value = Url> {
    (prop::bool::ANY, host(), "(/[a-z%]{0,4}){0,3}").prop_map(|(https, h, p)| {
        let scheme = if https { "https" } else { "http" };
        Url::parse(&format!("{scheme}://{h}{p}")).unwrap()
    })
}

proptest! {
    #[test]
    fn derived_boundary_never_occurs_in_a_part(
        parts in prop::collection::vec(
            (any::<String>(), prop::collection::vec(any::<u8>(), 0..200), any::<bool>()),
            0..5,
        ),
        inject in prop::bool::ANY,
    ) {
        let mut form = Multipart::new();
        for (name, data, file) in &parts {
            let mut data = data.clone();
            if inject {
                // Data that looks like a boundary of ours.
                data.extend_from_slice(b"--urlrequest-0123456789abcdef");
            }
            form = if *file {
                form.file(name.clone(), "f.bin", "", data)
            } else {
                form.text(name.clone(), String::from_utf8_lossy(&data).into_owned())
            };
        }
        let (boundary, body) = form.encode().unwrap();
        for p in form.parts() {
            prop_assert!(!p.data().windows(boundary.len()).any(|w| w == boundary.as_bytes()));
        }
        // The boundary appears once per part and once at the end.
        let count = body.windows(boundary.len()).filter(|w| *w == boundary.as_bytes()).count();
        prop_assert_eq!(count, form.parts().len() + 1);
        let built = Request::builder("http://a.test/").multipart(form).build();
        prop_assert!(built.is_ok());
    }

    #[test]
    fn jar_never_panics_and_makes_valid_cookie_headers(
        sets in prop::collection::vec((url(), any::<String>(), 0u64..200_000), 0..12),
        attrs in prop::collection::vec(prop_oneof![
            Just("; Secure"), Just("; HttpOnly"), Just("; Path=/"), Just("; Path=/a"),
            Just("; Domain=a.test"), Just("; Domain=co.uk"), Just("; Domain=.test"),
            Just("; Max-Age=0"), Just("; Max-Age=100"), Just("; Max-Age=-5"),
            Just("; Expires=Thu, 01 Jan 2015 00:00:00 GMT"), Just(""),
        ], 12),
        ask in url(),
        at in 0u64..300_000,
    ) {
        let jar = CookieJar::new();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for (i, (from, text, dt)) in sets.iter().enumerate() {
            let value = format!("{text}{}", attrs[i % attrs.len()]);
            jar.store_set_cookie(from, &value, t0 + Duration::from_secs(*dt));
            jar.store_set_cookie(from, &format!("k{i}=v{}", attrs[i % attrs.len()]), t0);
        }
        if let Some(h) = jar.cookie_header(&ask, t0 + Duration::from_secs(at)) {
            // Non-ASCII values are sent as they came (as browsers do); no
            // control byte can end the header.
            let bytes = h.as_bytes();
            prop_assert!(!bytes.is_empty());
            prop_assert!(!bytes.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f));
            for c in jar.cookies() {
                prop_assert!(!c.domain.is_empty() && c.path.starts_with('/'));
            }
        }
    }

    #[test]
    fn any_no_proxy_text_is_harmless(list in any::<String>(), target in url()) {
        let env = EnvProxies::from_vars([("http_proxy", "p.test:1"), ("https_proxy", "p.test:2")])
            .unwrap()
            .no_proxy(&list);
        let mut r = Request::get(target.as_str()).unwrap();
        env.apply(&mut r);
        let chosen = env.proxy_for(&target);
        prop_assert_eq!(r.proxy(), chosen.as_ref());
    }

    #[test]
    fn any_proxy_variable_is_a_proxy_or_an_error(value in any::<String>()) {
        let _ = EnvProxies::from_vars([("http_proxy", value.as_str()), ("NO_PROXY", value.as_str())]);
    }
}
