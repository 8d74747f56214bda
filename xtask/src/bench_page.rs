//! `cargo xtask bench-page` and `bench-python`: the page's budgets, measured in headless
//! Chromium on loopback against the release build served by the relay — `benches/page.mjs`
//! (release sizes gzipped, time to interactive, the views' frame rate while 64 MiB stream) and
//! `benches/python.mjs` (the console's start, a statement's latency, `async for` beside
//! Pyodide's own reader). Each prints its JSON line; the figures go in `docs/benchmarks.md`.

use crate::run::{check, cmd};
use crate::serve::{self, Port};
use crate::setup;

/// Runs `benches/<bench>.mjs` against a freshly built and served `dist/`.
pub fn run(bench: &str) -> Result<(), String> {
    setup::browsers()?;
    let dist = serve::prepare()?;
    let relay = serve::start(&dist, Port::Any, false)?;
    let script = format!("benches/{bench}.mjs");
    let mut node = cmd("node", &[&script, &dist.display().to_string()]);
    node.env("STREAMLAB_PAGE_URL", &relay.url);
    serve::die_with_parent(&mut node);
    let result = check(&mut node);
    drop(relay);
    result
}
