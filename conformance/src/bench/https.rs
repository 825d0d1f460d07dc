//! Case F: one large download over TLS on loopback, the body discarded.
//! rustls on both sides: the in-process server presents a certificate of
//! the test CA for 127.0.0.1, and every client trusts that CA alone
//! (ureq 3 with its `rustls` feature, urlrequest-std and urlrequest-smol
//! through urlrequest-tls). All use ring and negotiate the same protocol
//! version and cipher suite, so the figures compare the clients, not the
//! cryptography.

use urlrequest_std::{Agent, TlsSettings};

use super::download::{smol_body, std_body, ureq_body};
use super::report::{load_cell, ratio_cell, spread_cell, Table, Target};
use super::server::RustServer;
use super::stats::{load_average, mb_per_s, timed, Sample};
use super::Config;
use urlrequest_conformance::{CertKind, TestCa};

/// The clients of case F, in report order.
const CLIENTS: [(&str, &str); 3] = [
    ("ureq", "ureq 3 (rustls)"),
    ("std", "urlrequest-std"),
    ("smol", "urlrequest-smol"),
];

/// The TLS server of case F.
pub fn server() -> Result<RustServer, String> {
    let config = TestCa::trusted().server_config(&["127.0.0.1"], CertKind::Valid);
    RustServer::start_tls(config).map_err(|e| format!("TLS loopback server: {e}"))
}

fn fetch(client: &str, url: &str) -> Result<u64, String> {
    match client {
        "ureq" => with_ureq(url),
        "std" => with_std(url),
        _ => with_smol(url),
    }
}

fn with_ureq(url: &str) -> Result<u64, String> {
    let ca = ureq::tls::Certificate::from_pem(TestCa::trusted().pem().as_bytes())
        .map_err(|e| format!("ureq: test CA: {e}"))?;
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]))
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder().tls_config(tls).build().into();
    ureq_body(&agent, url)
}

fn with_std(url: &str) -> Result<u64, String> {
    let agent = Agent::builder()
        .tls(TlsSettings::default().ca_file(TestCa::trusted().pem_file()))
        .build()
        .expect("client settings");
    std_body(&agent, url)
}

fn with_smol(url: &str) -> Result<u64, String> {
    let client = urlrequest_smol::Client::builder()
        .ca_file(TestCa::trusted().pem_file())
        .build()
        .map_err(|e| format!("urlrequest-smol: {e}"))?;
    smol_body(&client, url)
}

/// Runs case F against `server` (from [`server`]) and adds its targets:
/// std and smol at 1.00x ureq 3 or better.
pub fn section(
    server: &RustServer,
    size: u64,
    cfg: &Config,
    targets: &mut Vec<Target>,
) -> Result<Table, String> {
    let url = format!("{}/bytes/{size}", server.base());
    let mut samples = vec![Sample::default(); CLIENTS.len()];
    let mut cpu = vec![Sample::default(); CLIENTS.len()];
    // Interleaved, so a change in the machine's load hits every client alike.
    for _ in 0..cfg.runs {
        for (i, (key, name)) in CLIENTS.iter().enumerate() {
            if !cfg.runs_client(key) {
                continue;
            }
            let load = load_average();
            let run = timed(|| fetch(key, &url))?;
            if run.units != size {
                let got = run.units;
                return Err(format!("{name}: {got} body bytes, expected {size}"));
            }
            samples[i].push(mb_per_s(size, run.wall), load);
            cpu[i].push(run.cpu.as_secs_f64() * 1e3 / (size as f64 / 1e9), load);
        }
    }
    let ureq = samples[0].median();
    let mut t = Table::new(
        format!(
            "#### F. {} MiB download over TLS (rustls on both sides), body discarded, from the Rust server",
            size >> 20
        ),
        &[
            "client",
            "MB/s median (min..max)",
            "to ureq",
            "client CPU ms/GB",
            "load",
        ],
    );
    for (((_, name), s), cpu) in CLIENTS.iter().zip(&samples).zip(&cpu) {
        if s.is_empty() {
            continue;
        }
        t.row(vec![
            (*name).into(),
            spread_cell(s, 0),
            ratio_cell(s.median(), ureq),
            format!("{:.0}", cpu.median()),
            load_cell(s),
        ]);
    }
    t.note(
        "`client CPU`: CPU time of the client's thread (decryption included) per GB, median. \
         The server encrypts in its own thread of the same process.",
    );
    if cfg.clients.is_none() {
        let (std, smol) = (samples[1].median(), samples[2].median());
        targets.push(Target::ratio("F: std ≥ 1.00x ureq (TLS)", std / ureq, 1.0));
        targets.push(Target::ratio(
            "F: smol ≥ 1.00x ureq (TLS)",
            smol / ureq,
            1.0,
        ));
    }
    Ok(t)
}
