//! Case D: peak resident memory of a `file_path` download, measured in a
//! child process (this binary re-run with a hidden subcommand) so that the
//! parent's servers and earlier cases do not count.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::report::{load_cell, Table, Target};
use super::stats::{load_average, peak_rss_kib, Sample};

/// The hidden subcommand that runs one download in a child process.
pub const SUBCOMMAND: &str = "__peak-rss";

/// Who downloads, in report order. `baseline` downloads nothing: it shows
/// what the process costs before any request.
const CLIENTS: [(&str, &str); 5] = [
    ("baseline", "the process itself (no download)"),
    ("ureq", "ureq 3, `io::copy` into a `File`"),
    ("std", "urlrequest-std, `UrlRequest` with `file_path`"),
    ("smol", "urlrequest-smol, `Client::download`"),
    (
        "tokio",
        "urlrequest-tokio, `Client::download` (current-thread runtime)",
    ),
];

/// Limit for the runtimes' peak RSS.
const LIMIT_KIB: u64 = 16 * 1024;

/// The child's side: `args` are the client, the URL and the target path.
/// Prints `peak_rss_kib N` and `file_bytes N`; errors go to stderr and the
/// exit code.
pub fn child(args: &[String]) -> Result<(), String> {
    let [client, url, path] = args else {
        return Err(format!("usage: {SUBCOMMAND} CLIENT URL PATH"));
    };
    let path = Path::new(path);
    match client.as_str() {
        "baseline" => fs::write(path, b"").map_err(|e| e.to_string())?,
        "ureq" => {
            let resp = ureq::get(url).call().map_err(|e| e.to_string())?;
            let mut file = fs::File::create(path).map_err(|e| e.to_string())?;
            std::io::copy(&mut resp.into_body().into_reader(), &mut file)
                .map_err(|e| e.to_string())?;
        }
        "std" => {
            let req = urlrequest_std::UrlRequest::builder(url.as_str())
                .file_path(path)
                .build()
                .map_err(|e| e.to_string())?;
            req.wait(None);
            if let Some(e) = req.error() {
                return Err(e.to_string());
            }
        }
        "smol" => {
            let req = urlrequest_std::core::Request::get(url).map_err(|e| e.to_string())?;
            smol::block_on(urlrequest_smol::Client::new().download(req, path))
                .map_err(|e| e.to_string())?;
        }
        "tokio" => {
            let req = urlrequest_std::core::Request::get(url).map_err(|e| e.to_string())?;
            super::download::tokio_current_thread()?
                .block_on(urlrequest_tokio::Client::new().download(req, path))
                .map_err(|e| e.to_string())?;
        }
        other => return Err(format!("unknown client {other:?}")),
    }
    let size = fs::metadata(path).map_err(|e| e.to_string())?.len();
    println!("peak_rss_kib {}", peak_rss_kib());
    println!("file_bytes {size}");
    Ok(())
}

/// Runs one child; returns its peak RSS in KiB.
fn run_child(client: &str, url: &str, path: &Path, expect: u64) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args([SUBCOMMAND, client, url])
        .arg(path)
        .output()
        .map_err(|e| e.to_string())?;
    let _ = fs::remove_file(path);
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{client} download failed: {err}{text}"));
    }
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
    };
    let size = field("file_bytes").ok_or("no file size printed")?;
    let want = if client == "baseline" { 0 } else { expect };
    if size != want {
        return Err(format!("{client}: file has {size} bytes, expected {want}"));
    }
    field("peak_rss_kib").ok_or_else(|| "no peak RSS printed".into())
}

/// Case D at each of `sizes` (bytes), from the server at `base`.
pub fn section(
    base: &str,
    sizes: &[u64],
    runs: usize,
    targets: &mut Vec<Target>,
) -> Result<Table, String> {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("urlrequest-bench-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut header = vec!["client".to_string()];
    header.extend(
        sizes
            .iter()
            .map(|s| format!("peak RSS, {} MiB file (MiB)", s >> 20)),
    );
    header.push("load".into());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(
        "#### D. `file_path` download: peak resident memory",
        &header,
    );
    // Worst run of each runtime, for the targets.
    let (mut worst_std, mut worst_smol, mut worst_tokio) = (0u64, 0u64, 0u64);
    for (client, name) in CLIENTS {
        let mut row = vec![name.to_string()];
        let mut loads = Sample::default();
        for &size in sizes {
            let url = format!("{base}/bytes/{size}");
            let mut sample = Sample::default();
            for run in 0..runs {
                let load = load_average();
                let path = dir.join(format!("{client}-{size}-{run}.bin"));
                let kib = run_child(client, &url, &path, size)?;
                sample.push(kib as f64 / 1024.0, load);
                loads.push(0.0, load);
                match client {
                    "std" => worst_std = worst_std.max(kib),
                    "smol" => worst_smol = worst_smol.max(kib),
                    "tokio" => worst_tokio = worst_tokio.max(kib),
                    _ => {}
                }
            }
            row.push(super::report::spread_cell(&sample, 1));
        }
        row.push(load_cell(&loads));
        t.row(row);
    }
    let _ = fs::remove_dir_all(&dir);
    t.note("Peak RSS (`VmHWM`) of a child process doing one download; median (min..max).");
    for (who, kib) in [
        ("std", worst_std),
        ("smol", worst_smol),
        ("tokio", worst_tokio),
    ] {
        targets.push(Target {
            what: format!("D: {who} peak RSS ≤ 16 MiB at every size"),
            measured: format!("{:.1} MiB (worst run)", kib as f64 / 1024.0),
            holds: kib <= LIMIT_KIB,
        });
    }
    Ok(t)
}
