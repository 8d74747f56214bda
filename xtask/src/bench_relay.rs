//! `cargo xtask bench-relay`: streamlab-relay beside websocat and websockify (installed here
//! if missing) and direct TCP, in one run; prints a Markdown table (medians of 3 rounds) and
//! a JSON line of the same figures.

use crate::run::{cargo, output};
use crate::setup;

/// Runs the benchmark, prints what it printed, and returns its JSON line's `relay` object.
pub fn run() -> Result<serde_json::Value, String> {
    let websocat = setup::websocat()?;
    let websockify = setup::websockify()?;
    let printed = output(&mut cargo(&[
        "bench",
        "--quiet",
        "--package",
        "streamlab-relay",
        "--bench",
        "relay",
        "--",
        "--websocat",
        &websocat,
        "--websockify",
        &websockify,
    ]))?;
    print!("{printed}");
    crate::bench_page::json_line(&printed, "relay").map(|v| v["relay"].clone())
}
