//! `cargo xtask bench-page` and `bench-python`: the page's budgets, measured in headless
//! Chromium on loopback against the release build served by the relay — `benches/page.mjs`
//! (release sizes gzipped, time to interactive, the views' frame rate while 64 MiB stream) and
//! `benches/python.mjs` (the console's start, a statement's latency, `async for` beside
//! Pyodide's own reader). Each prints its JSON line; the figures go in `docs/benchmarks.md`.

use crate::run::{cmd, output};
use crate::serve::{self, Port};
use crate::setup;

/// Runs `benches/<bench>.mjs` against a freshly built and served `dist/`; prints its JSON
/// line and returns it.
pub fn run(bench: &str) -> Result<serde_json::Value, String> {
    setup::browsers()?;
    let dist = serve::prepare()?;
    let relay = serve::start(&dist, Port::Any, false)?;
    let script = format!("benches/{bench}.mjs");
    let mut node = cmd("node", &[&script, &dist.display().to_string()]);
    node.env("STREAMLAB_PAGE_URL", &relay.url);
    serve::die_with_parent(&mut node);
    let printed = output(&mut node);
    drop(relay);
    let printed = printed?;
    print!("{printed}");
    json_line(&printed, "")
}

/// The last line of `printed` that is a JSON object (holding `key`, when not empty).
pub fn json_line(printed: &str, key: &str) -> Result<serde_json::Value, String> {
    printed
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok())
        .find(|v| v.is_object() && (key.is_empty() || v.get(key).is_some()))
        .ok_or_else(|| {
            format!(
                "the benchmark printed no JSON line{}",
                if key.is_empty() { "" } else { " with that key" }
            )
        })
}
