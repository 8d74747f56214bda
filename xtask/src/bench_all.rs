//! `cargo xtask bench`: every benchmark in one run, one after the other (never two at once on
//! a 2-core machine) — the core beside CPython, the relay beside websocat and websockify, the
//! page's and the console's budgets, the packages' sizes and install time, and the browser workloads — their tables printed and
//! their figures in `target/bench/results.json`. A benchmark reports; it never fails a test.

use crate::{bench_browser, bench_core, bench_page, bench_relay, packages};

pub fn run() -> Result<(), String> {
    println!("## Core: StreamReader vs CPython 3.13.0's (in memory)\n");
    bench_core::run()?;
    println!("\n## Relay: streamlab-relay vs websocat and websockify (loopback)");
    let relay = bench_relay::run()?;
    println!("\n## The page and the Python console\n");
    let page = bench_page::run("page")?;
    let python = bench_page::run("python")?;
    println!("\n## The packages: sizes and install()\n");
    packages::bench()?;
    println!("\n## The browser workloads\n");
    let figures = bench_browser::run(None)?;
    let mut more = serde_json::Map::new();
    more.insert("relay".into(), relay);
    more.insert(
        "page".into(),
        serde_json::json!({
            "wasm_gzip_bytes": page["wasm_gzip_bytes"],
            "js_css_gzip_bytes": page["js_css_gzip_bytes"],
            "interactive_ms": page["interactive_ms"],
            "console_ready_ms": python["console_ready_ms"],
        }),
    );
    bench_browser::report(&figures, more)
}
