//! `cargo xtask bench-page`: the page's budgets, measured — release sizes gzipped, time to
//! interactive and the views' frame rate while 64 MiB stream through the page, in headless
//! Chromium on loopback (`benches/page.mjs`). Prints its JSON line; the figures go in
//! `docs/benchmarks.md`.

use crate::run::{check, cmd};
use crate::serve::{self, Port};
use crate::setup;

pub fn run() -> Result<(), String> {
    setup::browsers()?;
    let dist = serve::prepare()?;
    let relay = serve::start(&dist, Port::Any, false)?;
    let mut node = cmd("node", &["benches/page.mjs", &dist.display().to_string()]);
    node.env("STREAMLAB_PAGE_URL", &relay.url);
    serve::die_with_parent(&mut node);
    let result = check(&mut node);
    drop(relay);
    result
}
