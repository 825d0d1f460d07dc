//! A large `file_path` download keeps memory flat: peak RSS of this test
//! process (its own binary, so nothing else runs in it) stays under 32 MiB.
//!
//! The size is 1 GiB in release builds and 128 MiB in debug builds (where
//! the same code is ~10x slower); `URLREQUEST_MEMORY_TEST_BYTES` overrides
//! it, e.g. `URLREQUEST_MEMORY_TEST_BYTES=1073741824 cargo test --release
//! -p urlrequest-std --test memory`.

mod support;

use std::fs;
use std::io::Read;
use std::time::{Duration, Instant};

use support::serve;
use urlrequest_std::{ResultValue, UrlRequest};

const LIMIT_KIB: u64 = 32 * 1024;

fn peak_rss_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// The byte at offset `i` of the generated body.
fn byte_at(i: u64) -> u8 {
    (i % 251) as u8
}

#[test]
fn large_download_keeps_peak_rss_under_32_mib() {
    let default = if cfg!(debug_assertions) {
        128 << 20
    } else {
        1 << 30
    };
    let size: u64 = std::env::var("URLREQUEST_MEMORY_TEST_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    let server = serve(move |_, w| {
        write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n")?;
        // 251 * 1044 bytes: a whole number of pattern periods, so the
        // same block can be sent again and again.
        let block: Vec<u8> = (0..251 * 1044).map(byte_at).collect();
        let mut left = size;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            w.write_all(&block[..n])?;
            left -= n as u64;
        }
        w.flush()?;
        Ok(true)
    });
    let dir = std::env::temp_dir().join(format!("urlrequest-memory-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let target = dir.join("big.bin");
    let before = peak_rss_kib();
    let t0 = Instant::now();
    let req = UrlRequest::builder(server.url("/big"))
        .file_path(&target)
        .chunk_size(64 * 1024)
        .on_progress(|_, _, _| {})
        .build()
        .unwrap();
    assert!(
        req.wait(Duration::from_secs(600)),
        "download did not finish"
    );
    let elapsed = t0.elapsed();
    assert_eq!(req.error().map(|e| e.to_string()), None);
    assert_eq!(req.result(), Some(ResultValue::File(target.clone())));
    let peak = peak_rss_kib();
    eprintln!("downloaded {size} bytes in {elapsed:?}; peak RSS {peak} KiB (before: {before} KiB)");
    assert_eq!(fs::metadata(&target).unwrap().len(), size);
    // Spot-check the content at a few offsets.
    let mut f = fs::File::open(&target).unwrap();
    let mut head = [0u8; 4096];
    f.read_exact(&mut head).unwrap();
    assert!(head
        .iter()
        .enumerate()
        .all(|(i, b)| *b == byte_at(i as u64)));
    assert!(
        peak < LIMIT_KIB,
        "peak RSS {peak} KiB exceeds {LIMIT_KIB} KiB"
    );
    fs::remove_dir_all(dir).unwrap();
}
