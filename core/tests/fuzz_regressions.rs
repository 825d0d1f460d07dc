//! The short, seeded version of the fuzz targets that runs with every test
//! run: the committed corpus (minimised inputs and past crashes) plus a fixed
//! sample of mutated seeds. The long runs use `cargo fuzz` (see core/fuzz).

#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

use fastrand::Rng;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// Flips, inserts, deletes and truncates bytes of `seed`.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.usize(..6) {
        match rng.u8(..4) {
            0 if !v.is_empty() => {
                let i = rng.usize(..v.len());
                v[i] = rng.u8(..);
            }
            1 => {
                let i = rng.usize(..=v.len());
                v.insert(i, rng.u8(..));
            }
            2 if !v.is_empty() => {
                let i = rng.usize(..v.len());
                v.remove(i);
            }
            _ => {
                let keep = rng.usize(..=v.len());
                v.truncate(keep);
            }
        }
    }
    v
}

fn run(target: &str, seeds: &[&[u8]], check: fn(&[u8]), iterations: usize) {
    let saved = corpus(target);
    for input in &saved {
        check(input);
    }
    let mut pool: Vec<Vec<u8>> = seeds.iter().map(|s| s.to_vec()).collect();
    pool.extend(saved);
    // A fixed sample: the same inputs on every run.
    let mut rng = Rng::with_seed(0x5eed_0000 ^ target.len() as u64);
    for i in 0..iterations {
        let seed = &pool[rng.usize(..pool.len())];
        let input = mutate(seed, &mut rng);
        let result = std::panic::catch_unwind(|| check(&input));
        if result.is_err() {
            panic!(
                "{target}: iteration {i} failed on input {:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }
}

#[test]
fn response_bytes_short_fuzz() {
    let seeds: [&[u8]; 4] = [
        b"\x04\x02\x03\x09HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"\x03\x01\x07HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
        b"\x10\x00\x05HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
        b"\x08\x00\x40HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}",
    ];
    run("response", &seeds, checks::check_response, 20_000);
}

#[test]
fn transcript_text_short_fuzz() {
    let seeds: [&[u8]; 1] = [concat!(
        r#"{"urlrequest_transcript":1,"request":{"method":"GET","url":"http://a.test/","headers":[["user-agent","t"]],"body":null,"chunk_size":4,"timeout_us":1000000,"max_redirects":10,"decode":true,"collect_body":true,"proxy":null,"limits":{"max_head_bytes":65536,"max_headers":100,"max_body_bytes":null},"allow_https_to_http":false}}"#,
        "\n",
        r#"{"at_us":0,"input":"connected","reused":false}"#,
        "\n",
        r#"{"at_us":5,"input":"written","n":43}"#,
        "\n",
        r#"{"at_us":9,"input":"data","text":"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"}"#,
        "\n",
        r#"{"at_us":9,"input":"eof"}"#,
        "\n"
    )
    .as_bytes()];
    run("transcript", &seeds, checks::check_transcript, 5_000);
}

#[test]
fn request_input_short_fuzz() {
    let seeds: [&[u8]; 3] = [
        b"http://u:p@a.test:8080/p?q#f\x01POST\x01X-A\x01v",
        b"https://[::1]/\x01GET\x01Cookie\x01a=b\x01Authorization\x01Basic x",
        b"http://a.test/\x01PUT\x01X-Evil\x01a\r\nInjected: 1",
    ];
    run("request", &seeds, checks::check_request, 20_000);
}
