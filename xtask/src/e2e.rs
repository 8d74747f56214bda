//! `cargo xtask test-e2e`: the release page end to end. Builds `dist/` as `serve` does, serves
//! it twice — through `streamlab-relay --demo --static dist` and through a plain static host
//! under a sub-path (no relay) — and runs `tests/e2e/*.test.mjs` with node's test runner, whose
//! puppeteer-core drives headless Chromium and headless Firefox against both
//! (`STREAMLAB_PAGE_RELAY_URL`, `STREAMLAB_PAGE_STATIC_URL`). Screenshots land in
//! `target/screenshots/`.

use std::time::Instant;

use crate::run::{cargo, check, cmd, node_tests, output, root};
use crate::serve::{self, target_dir, Port};
use crate::services::{cpython, start_fixtures};
use crate::setup;
use crate::static_host;

pub fn run() -> Result<(), String> {
    // Chromium and Firefox ESR from Debian (with the drivers the browser suite also needs).
    setup::browsers()?;
    let dist = serve::prepare()?;
    let node = output(&mut cmd("node", &["--version"]))?;
    let major: u32 =
        node.trim().trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 20 {
        return Err(format!(
            "node {} is too old for puppeteer-core 25: install Node.js 20 or later (e.g. NodeSource's nodejs)",
            node.trim()
        ));
    }
    let tests = node_tests("tests/e2e")?;

    // The transcript differential's servers: the relay's loopback fixtures, allowed to the
    // relay, and CPython's transcripts of tests/transcripts/programs.py against them.
    check(&mut cargo(&["build", "--release", "--package", "streamlab-relay", "--example", "fixtures"]))?;
    let (fixtures, named) = start_fixtures()?;
    let ports = fixtures.first_line.trim().to_owned();
    let allow: Vec<String> =
        named.iter().flat_map(|(_, p)| ["--allow".to_owned(), format!("127.0.0.1:{p}")]).collect();

    // Only this run's pictures.
    let _ = std::fs::remove_dir_all(root().join("target/screenshots"));
    let relay = serve::start_with(&dist, Port::Any, false, &allow)?;
    let transcripts = target_dir().join("transcripts.json");
    let relay_ws = relay.url.trim_end_matches('/').replacen("http://", "ws://", 1);
    let mut oracle = cpython()?;
    oracle.arg(root().join("tests/oracle/transcripts.py")).args(["--servers", &ports, "--relay", &relay_ws]);
    oracle.arg(&transcripts);
    check(&mut oracle)?;
    let static_url = static_host::start(&dist)?;
    eprintln!("==> the page through the relay: {}", relay.url);
    eprintln!("==> the page from a plain static host: {static_url}");
    let mut args = vec!["--test", "--test-concurrency=1"];
    args.extend(tests.iter().map(String::as_str));
    let mut node = cmd("node", &args);
    node.env("STREAMLAB_PAGE_RELAY_URL", &relay.url)
        .env("STREAMLAB_PAGE_STATIC_URL", &static_url)
        .env("STREAMLAB_TRANSCRIPTS", &transcripts);
    // If xtask dies, node does too (and puppeteer closes its browsers on SIGTERM).
    serve::die_with_parent(&mut node);
    let started = Instant::now();
    let result = check(&mut node);
    eprintln!(
        "==> e2e tests took {:.1} s; screenshots in target/screenshots/",
        started.elapsed().as_secs_f64()
    );
    drop(relay);
    drop(fixtures);
    result
}
