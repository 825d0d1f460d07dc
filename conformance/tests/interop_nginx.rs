//! nginx, a real static file server: files up to 64 MiB byte for byte,
//! keep-alive reuse observed in nginx's own access log, HEAD, 304 and the
//! directory redirect, each through urlrequest-std, urlrequest-smol and
//! ureq with the same results; and nginx over TLS with a generated CA for
//! the two runtimes.

mod interop_support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use interop_support::{assert_same_bytes, pattern, same, Call, Clients, TokioClient, NAMES, OURS};
use urlrequest_conformance::servers::{AccessEntry, Nginx, TlsFiles};
use urlrequest_core::Request;
use urlrequest_std::{Agent, TlsSettings, UrlRequest};

const MIB: usize = 1024 * 1024;

fn nginx() -> Nginx {
    Nginx::start().unwrap_or_else(|e| panic!("cannot start nginx: {e}"))
}

#[test]
fn files_of_many_sizes_arrive_byte_for_byte() {
    let nginx = nginx();
    let clients = Clients::new();
    // Around the default chunk size, and past a few read buffers.
    for (i, size) in [0, 1, 8191, 8192, 8193, MIB + 7].into_iter().enumerate() {
        let want = pattern(size, i as u64 + 1);
        nginx.put(&format!("f{size}.bin"), &want).unwrap();
        let outcomes = clients.each(&Call::get(nginx.url(&format!("/f{size}.bin"))));
        for o in &outcomes {
            let got = o.got();
            assert_eq!(got.status, 200, "{}", o.client);
            assert_eq!(
                got.header("content-length"),
                Some(size.to_string().as_str())
            );
            assert_same_bytes(o.client, &got.body, &want);
        }
    }
}

#[test]
fn file_of_64_mib_in_memory() {
    let nginx = nginx();
    let want = pattern(64 * MIB, 64);
    nginx.put("big.bin", &want).unwrap();
    for o in Clients::new().each(&Call::get(nginx.url("/big.bin"))) {
        let got = o.got();
        assert_eq!(got.status, 200, "{}", o.client);
        assert_same_bytes(o.client, &got.body, &want);
    }
}

#[test]
fn file_of_64_mib_to_disk_through_file_path_and_download() {
    let nginx = nginx();
    let want = pattern(64 * MIB, 65);
    nginx.put("big.bin", &want).unwrap();
    let out = urlrequest_conformance::servers::TempDir::new("nginx-download").unwrap();

    // std: Kivy's file_path, with progress callbacks on this thread.
    let std_path = out.path().join("std.bin");
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let req = UrlRequest::builder(nginx.url("/big.bin"))
        .file_path(&std_path)
        .chunk_size(64 * 1024)
        .on_progress(move |_, done, total| seen.lock().unwrap().push((done, total)))
        .build()
        .unwrap();
    assert!(
        req.wait(Duration::from_secs(60)),
        "std download did not finish"
    );
    assert_eq!(req.resp_status().map(|s| s.as_u16()), Some(200));
    let result = req.result().expect("a result");
    assert_eq!(result.as_path(), Some(std_path.as_path()));
    check_file(&std_path, &want);
    let progress = progress.lock().unwrap();
    let total = Some(want.len() as u64);
    assert_eq!(progress.last(), Some(&(want.len() as u64, total)));
    // Kivy repeats the final update once before the outcome; before it,
    // every update is a step forward.
    let (repeat, steps) = progress.split_last().expect("progress");
    assert_eq!(steps.last(), Some(repeat), "the final update repeated");
    assert!(
        steps.windows(2).all(|w| w[0].0 < w[1].0),
        "progress must grow"
    );

    // smol: Client::download.
    let smol_path = out.path().join("smol.bin");
    let client = urlrequest_smol::Client::new();
    let resp =
        smol::block_on(client.download(Request::get(nginx.url("/big.bin")).unwrap(), &smol_path))
            .unwrap();
    assert_eq!(resp.status(), 200);
    check_file(&smol_path, &want);

    // tokio: a Kivy-style UrlRequest with file_path, awaited.
    let tokio_path = out.path().join("tokio.bin");
    let req = urlrequest_tokio::UrlRequest::builder(nginx.url("/big.bin"))
        .file_path(&tokio_path)
        .build()
        .unwrap();
    let runtime = urlrequest_conformance::TokioDriver::MULTI_THREAD
        .runtime()
        .unwrap();
    runtime.block_on(req.send()).unwrap();
    assert_eq!(req.resp_status().map(|s| s.as_u16()), Some(200));
    check_file(&tokio_path, &want);
    // Nothing but the finished files: no temporary left behind.
    let mut names: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["smol.bin", "std.bin", "tokio.bin"]);
}

fn check_file(path: &Path, want: &[u8]) {
    let got = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_same_bytes(&path.display().to_string(), &got, want);
}

/// Asserts the entries were all served on one connection, as its
/// requests 1, 2, 3... in order.
fn assert_one_connection(client: &str, entries: &[AccessEntry]) {
    let first = entries[0].connection;
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(
            (e.connection, e.connection_requests),
            (first, i as u64 + 1),
            "{client}: request {i} was not served on the first connection: {entries:#?}"
        );
    }
}

#[test]
fn keep_alive_reuses_one_nginx_connection() {
    let nginx = nginx();
    let clients = Clients::new();
    let names = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"];
    for name in names {
        nginx.put(name, name.repeat(1000).as_bytes()).unwrap();
    }
    for name in names {
        for o in clients.each(&Call::get(nginx.url(&format!("/{name}")))) {
            assert_eq!(o.got().body, name.repeat(1000).as_bytes(), "{}", o.client);
        }
    }
    let log = nginx.wait_for_entries(NAMES.len() * names.len());
    for client in NAMES {
        assert_one_connection(client, &mine(&log, client, 1));
    }
}

/// The access log entries made by `client` when every call ran the
/// clients in the order of [`NAMES`], each call making `per_call`
/// requests (2 for a call that follows one redirect).
fn mine(log: &[AccessEntry], client: &str, per_call: usize) -> Vec<AccessEntry> {
    let index = NAMES.iter().position(|c| *c == client).unwrap();
    assert_eq!(
        log.len() % (NAMES.len() * per_call),
        0,
        "unexpected access log: {log:#?}"
    );
    log.chunks(per_call)
        .skip(index)
        .step_by(NAMES.len())
        .flatten()
        .cloned()
        .collect()
}

#[test]
fn head_gives_the_length_without_a_body_and_keeps_the_connection() {
    let nginx = nginx();
    let clients = Clients::new();
    let want = pattern(100_000, 7);
    nginx.put("h.bin", &want).unwrap();
    let head = clients.each(&Call::new("HEAD", nginx.url("/h.bin")));
    // A GET right after: a client that waited for a HEAD body would hang
    // or read the next response as that body.
    let get = clients.each(&Call::get(nginx.url("/h.bin")));
    same(&head, |g| g.status);
    assert_eq!(
        same(&head, |g| g.header("content-length").map(str::to_string)),
        Some("100000".into())
    );
    assert_eq!(same(&head, |g| g.body.len()), 0);
    for o in &get {
        assert_same_bytes(o.client, &o.got().body, &want);
    }
    let log = nginx.wait_for_entries(NAMES.len() * 2);
    for client in NAMES {
        let entries = mine(&log, client, 1);
        assert_eq!(entries[0].method, "HEAD");
        assert_eq!(entries[1].method, "GET");
        assert_one_connection(client, &entries);
    }
}

#[test]
fn if_modified_since_gives_304_with_no_body() {
    let nginx = nginx();
    let clients = Clients::new();
    nginx.put("page.html", b"<p>cached</p>").unwrap();
    let first = clients.each(&Call::get(nginx.url("/page.html")));
    let modified = same(&first, |g| g.header("last-modified").map(str::to_string))
        .expect("nginx sends Last-Modified");
    let etag = same(&first, |g| g.header("etag").map(str::to_string)).expect("nginx sends ETag");

    let not_modified =
        clients.each(&Call::get(nginx.url("/page.html")).header("If-Modified-Since", &modified));
    assert_eq!(same(&not_modified, |g| g.status), 304);
    assert_eq!(same(&not_modified, |g| g.body.clone()), b"");
    let by_etag = clients.each(&Call::get(nginx.url("/page.html")).header("If-None-Match", &etag));
    assert_eq!(same(&by_etag, |g| g.status), 304);

    let old = "Thu, 01 Jan 1970 00:00:01 GMT";
    let changed =
        clients.each(&Call::get(nginx.url("/page.html")).header("If-Modified-Since", old));
    assert_eq!(same(&changed, |g| g.status), 200);
    assert_eq!(same(&changed, |g| g.body.clone()), b"<p>cached</p>");

    // A 304 has no body whatever its headers say: the connection stays
    // usable and the four requests share it.
    let log = nginx.wait_for_entries(NAMES.len() * 4);
    for client in NAMES {
        let entries = mine(&log, client, 1);
        let statuses: Vec<u16> = entries.iter().map(|e| e.status).collect();
        assert_eq!(statuses, [200, 304, 304, 200], "{client}");
        assert_one_connection(client, &entries);
    }
}

#[test]
fn directory_without_slash_redirects_with_301() {
    let nginx = nginx();
    let clients = Clients::new();
    nginx.put("dir/index.html", b"<h1>index</h1>").unwrap();
    let followed = clients.each(&Call::get(nginx.url("/dir")));
    assert_eq!(same(&followed, |g| g.status), 200);
    assert_eq!(same(&followed, |g| g.body.clone()), b"<h1>index</h1>");
    assert_eq!(same(&followed, |g| g.url.clone()), nginx.url("/dir/"));
    for o in &followed[..OURS] {
        assert_eq!(o.got().redirects, Some(1), "{}", o.client);
    }
    // Same origin: the second hop reuses the first hop's connection.
    let log = nginx.wait_for_entries(NAMES.len() * 2);
    for client in NAMES {
        let entries = mine(&log, client, 2);
        let hops: Vec<(u16, &str)> = entries.iter().map(|e| (e.status, e.uri.as_str())).collect();
        assert_eq!(hops, [(301, "/dir"), (200, "/dir/")], "{client}");
        assert_one_connection(client, &entries);
    }

    let unfollowed = clients.each(&Call::get(nginx.url("/dir")).max_redirects(0));
    assert_eq!(same(&unfollowed, |g| g.status), 301);
    assert_eq!(
        same(&unfollowed, |g| g.header("location").map(str::to_string)),
        Some(nginx.url("/dir/"))
    );
    assert_eq!(same(&unfollowed, |g| g.url.clone()), nginx.url("/dir"));
}

#[test]
fn missing_file_is_a_404_with_nginx_page() {
    let nginx = nginx();
    let outcomes = Clients::new().each(&Call::get(nginx.url("/nope.txt")));
    assert_eq!(same(&outcomes, |g| g.status), 404);
    assert!(same(&outcomes, |g| g.text()).contains("404 Not Found"));
}

#[test]
fn https_with_the_ca_file_and_refused_without_it() {
    let tls = TlsFiles::generate(&["localhost"]).unwrap();
    let nginx = Nginx::start_with(Some(&tls)).unwrap_or_else(|e| panic!("cannot start nginx: {e}"));
    let want = pattern(200_000, 9);
    nginx.put("secure.bin", &want).unwrap();
    let url = nginx.https_url("/secure.bin").unwrap();

    let std = Agent::builder()
        .tls(TlsSettings::default().ca_file(tls.ca()))
        .build()
        .expect("client settings");
    let smol = urlrequest_smol::Client::builder()
        .ca_file(tls.ca())
        .build()
        .unwrap();
    let tokio = TokioClient::new(
        urlrequest_tokio::Client::builder()
            .ca_file(tls.ca())
            .build()
            .unwrap(),
    );
    let call = Call::get(&url);
    // Twice each: the second request rides the same TLS connection.
    for _ in 0..2 {
        let got = interop_support::with_std(&std, &call).unwrap();
        assert_same_bytes("std", &got.body, &want);
        let got = interop_support::with_smol(&smol, &call).unwrap();
        assert_same_bytes("smol", &got.body, &want);
        let got = interop_support::with_tokio(&tokio, &call).unwrap();
        assert_same_bytes("tokio", &got.body, &want);
    }
    let log = nginx.wait_for_entries(2 * OURS);
    for (i, client) in NAMES[..OURS].iter().enumerate() {
        assert_one_connection(client, &mine_of_ours(&log, i));
    }

    // Kivy-style ca_file.
    let req = UrlRequest::builder(&url).ca_file(tls.ca()).build().unwrap();
    assert!(req.wait(Duration::from_secs(10)));
    assert_eq!(
        req.result().unwrap().as_bytes().map(|b| b.len()),
        Some(want.len())
    );

    // The default roots do not know this CA.
    let refused_std = interop_support::with_std(&Agent::new(), &call).unwrap_err();
    let refused_smol =
        interop_support::with_smol(&urlrequest_smol::Client::new(), &call).unwrap_err();
    let refused_tokio =
        interop_support::with_tokio(&TokioClient::new(urlrequest_tokio::Client::new()), &call)
            .unwrap_err();
    assert_eq!(refused_std.kind, "tls", "{refused_std}");
    assert_eq!(refused_smol, refused_std);
    assert_eq!(refused_tokio, refused_std);
}

/// Entries `index`, `index + OURS`... of a log written by urlrequest's
/// clients taking turns.
fn mine_of_ours(log: &[AccessEntry], index: usize) -> Vec<AccessEntry> {
    log.iter().skip(index).step_by(OURS).cloned().collect()
}

#[test]
fn range_request_gives_206_with_the_slice() {
    let nginx = nginx();
    let want = pattern(10_000, 12);
    nginx.put("r.bin", &want).unwrap();
    let outcomes =
        Clients::new().each(&Call::get(nginx.url("/r.bin")).header("Range", "bytes=100-1099"));
    assert_eq!(same(&outcomes, |g| g.status), 206);
    assert_eq!(
        same(&outcomes, |g| g.header("content-range").map(str::to_string)).as_deref(),
        Some("bytes 100-1099/10000")
    );
    assert_eq!(same(&outcomes, |g| g.body.clone()), &want[100..1100]);
}

#[test]
fn connection_close_is_honoured_and_the_next_request_reconnects() {
    let nginx = nginx();
    nginx.put("c.txt", b"close me").unwrap();
    let clients = Clients::new();
    let closing = clients.each(&Call::get(nginx.url("/c.txt")).header("Connection", "close"));
    assert_eq!(
        same(&closing, |g| g.header("connection").map(str::to_string)).as_deref(),
        Some("close")
    );
    let next = clients.each(&Call::get(nginx.url("/c.txt")));
    assert_eq!(same(&next, |g| g.body.clone()), b"close me");
    // Each client's second request opened a connection of its own.
    let log = nginx.wait_for_entries(NAMES.len() * 2);
    for client in NAMES {
        let entries = mine(&log, client, 1);
        assert_ne!(
            entries[0].connection, entries[1].connection,
            "{client}: {entries:#?}"
        );
        assert_eq!(entries[1].connection_requests, 1, "{client}");
    }
}

#[test]
fn gzip_on_the_fly_is_undone_by_every_runtime_and_ureq_gets_identity() {
    let nginx = nginx();
    // Compressible text of a few read buffers, and an empty file.
    let text: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("line {i} of a gzipped file\n").into_bytes())
        .collect();
    for (name, want) in [("text.txt", text), ("empty.txt", Vec::new())] {
        nginx.put(&format!("gzip/{name}"), &want).unwrap();
        let url = nginx.url(&format!("/gzip/{name}"));
        let outcomes = Clients::new().each(&Call::get(&url));
        for o in &outcomes[..OURS] {
            let got = o.got();
            assert_eq!(got.status, 200, "{}", o.client);
            assert_eq!(got.header("content-encoding"), Some("gzip"), "{}", o.client);
            assert_same_bytes(o.client, &got.body, &want);
        }
        // ureq (without its gzip feature) sends no Accept-Encoding: nginx
        // answers with the file as it is.
        let ureq = outcomes[OURS].got();
        assert_eq!(ureq.header("content-encoding"), None);
        assert_same_bytes("ureq", &ureq.body, &want);

        // decompress(false): no Accept-Encoding, the file as it is.
        let mut raw = Call::get(&url).request();
        raw.set_decompress(false);
        let got = Agent::new().send(raw).unwrap();
        assert_eq!(got.headers().get("content-encoding"), None);
        assert_same_bytes("std, decompress off", got.bytes().unwrap(), &want);
    }
    // The gzip nginx sent was smaller than the text: it really was coded.
    let log = nginx.access_log();
    let coded = log
        .iter()
        .find(|e| e.uri == "/gzip/text.txt")
        .expect("logged");
    assert!(coded.body_bytes < 1_000_000, "{coded:?}");
}
