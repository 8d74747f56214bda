//! `cargo xtask test`: every suite, as CI runs it.

use crate::run::{cargo, check};
use crate::setup;

pub fn run() -> Result<(), String> {
    setup::rust()?;
    check(&mut cargo(&["fmt", "--all", "--check"]))?;
    check(&mut cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    // Native: unit, integration (catalogue, differential vs CPython 3.13.0, chunking, reader,
    // trace program) and doc tests.
    check(&mut cargo(&["test", "--workspace"]))?;
    // The library in the browser: headless Chromium, then headless Firefox.
    check(&mut cargo(&[
        "clippy",
        "--package",
        "streamlab",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    crate::browser::run(true)?;
    eprintln!("==> all suites passed");
    Ok(())
}
