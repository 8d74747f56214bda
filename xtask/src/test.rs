//! `cargo xtask test`: every suite, as CI runs it.

use crate::run::{cargo, check};
use crate::setup;

pub fn run() -> Result<(), String> {
    setup::rust()?;
    // The relay suite's deployment test runs nginx in front of two relays.
    setup::nginx()?;
    check(&mut cargo(&["fmt", "--all", "--check"]))?;
    check(&mut cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    // Native: unit, integration (catalogue, differential vs CPython 3.13.0, chunking, reader,
    // trace program) and doc tests.
    check(&mut cargo(&["test", "--workspace"]))?;
    // The crates as crates.io would take them (`cargo install streamlab-relay` once published):
    // metadata, readme, no path-only dependencies, and each packaged crate builds on its own.
    // (--allow-dirty: a developer's uncommitted files are no failure here; CI's clone is clean.)
    check(&mut cargo(&["package", "--workspace", "--allow-dirty"]))?;
    // The library in the browser: clippy for wasm32 (the benchmarks' Rust loops too), then the
    // suite once in headless Chromium and once in headless Firefox.
    check(&mut cargo(&[
        "clippy",
        "--package",
        "streamlab",
        "--package",
        "streamlab-bench",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The JS API's TypeScript declarations under tsc --strict (tests/typescript/).
    crate::typescript::run()?;
    crate::browser::run(false, None)?;
    // The release page (dist/) in both browsers, through the relay and a plain static host.
    crate::e2e::run()?;
    // The npm package and the wheel, each route from the artifacts alone (tests/packages/).
    crate::packages::run()?;
    eprintln!("==> all suites passed");
    Ok(())
}
