//! `cargo xtask bench-relay`: streamlab-relay beside websocat and websockify (installed here
//! if missing) and direct TCP, in one run; prints a Markdown table (medians of 3 rounds).

use crate::run::{cargo, check};
use crate::setup;

pub fn run() -> Result<(), String> {
    let websocat = setup::websocat()?;
    let websockify = setup::websockify()?;
    check(&mut cargo(&[
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
    ]))
}
