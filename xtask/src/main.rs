//! streamlab's automation, the commands the README gives: `cargo xtask <verb>`.
//!
//! * `test` — install what is missing, then run every suite (what CI runs);
//! * `test-browser` — only the browser suite;
//! * `test-typescript` — only the TypeScript check of the generated declarations;
//! * `test-e2e` — only the end-to-end tests of the release page;
//! * `serve` — the playground: the release page and the relay, on 127.0.0.1;
//! * `pack` — the npm package and the Pyodide wheel, into `target/pack/`;
//! * `test-packages` — only the packages' tests: each route a user takes, from the artifacts;
//! * `bench` — every benchmark below in one run, into `target/bench/results.json`;
//! * `bench-core` — the core benchmark beside CPython's, as a Markdown table;
//! * `bench-relay` — the relay beside websocat and websockify, as a Markdown table;
//! * `bench-page`, `bench-python` — the page's and the Python console's budgets, as JSON;
//! * `bench-packages` — the npm package's and the wheel's sizes and install time;
//! * `bench-browser` — the stream workloads in a real browser beside the ceiling and CPython.

mod bench_all;
mod bench_browser;
mod bench_core;
mod bench_page;
mod bench_relay;
mod bench_targets;
mod browser;
mod e2e;
mod pack;
mod packages;
mod run;
mod serve;
mod services;
mod setup;
mod static_host;
mod test;
mod typescript;

use std::process::ExitCode;

const HELP: &str = "\
usage: cargo xtask <command>

commands:
  test         install what is missing (Rust target and components, Chromium, Firefox ESR,
               their drivers, wasm-bindgen-cli, websockify, TypeScript), then run every
               suite: rustfmt, clippy -D warnings (native and wasm32), the native tests (incl.
               differential tests against CPython 3.13.0), `cargo package --workspace`, the
               TypeScript check, and the browser suite once in headless Chromium and once in
               headless Firefox, then the e2e tests and the packages' tests
  test-browser only the browser suite (with the relay, its fixtures and a websockify
               started for it), installing what it needs;
               --wasm-pack: also through `wasm-pack test --headless --chrome --firefox`,
               the way wasm users run browser tests; --only NAME: only the tests whose
               name contains NAME (e.g. relay::close_while), to chase one failure
  test-typescript  only the TypeScript check: the wasm build's streamlab.d.ts (wasm-bindgen
               --target web) and tests/typescript/example.ts under tsc --strict, with the
               default libs and with lib esnext + dom (TypeScript from npm, pinned by
               tests/typescript/package-lock.json)
  test-e2e     only the end-to-end tests: builds the release page (dist/, as serve does),
               serves it through the relay and from a plain static host under a sub-path,
               and runs tests/e2e/*.test.mjs (node --test; puppeteer-core from npm) in
               headless Chromium and headless Firefox; screenshots in target/screenshots/
  test-packages  only the packages' tests: `pack`, then each route from the artifacts alone in
               headless Chromium and Firefox — the npm tarball from a static host at a deep path
               and in a Vite app, the wheel in Pyodide 0.29.3 and 314 (main thread and module
               worker), PyScript (tests/packages/, node --test, puppeteer-core)
  serve [--port N]
               the playground: installs what is missing (trunk 0.21.14, wasm-bindgen-cli,
               binaryen 132 from npm), builds the release page into dist/ (trunk), starts
               streamlab-relay --demo --static dist on 127.0.0.1:8765 (another free port if
               that is taken, or N) and prints the page's URL; Ctrl-C stops it
  pack         the npm package (streamlab-VERSION.tgz: the JS API, the <stream-playground>
               element, streamlab.py) and the Pyodide wheel (streamlab-VERSION-py3-none-any.whl)
               from the release build, into target/pack/, each within its size budget
  bench        every benchmark in one run: bench-core, bench-relay, bench-page, bench-python
               and bench-browser, their tables printed and their figures in
               target/bench/results.json (workloads, relay, page, machine, date)
  bench-core   the core benchmark: streamlab's StreamReader beside CPython 3.13.0's on the
               same in-memory work; prints a Markdown table (figures for docs/benchmarks.md)
  bench-relay  the relay benchmark: streamlab-relay beside websocat and websockify (installed
               if missing: crates.io, PyPI) and direct TCP; 256 MiB each way and 10,000 round
               trips; prints a Markdown table (figures for docs/benchmarks.md)
  bench-page   the page's budgets: release wasm and JS + CSS sizes gzipped, time to interactive,
               frames per second and DOM size while 64 MiB stream through the page (headless
               Chromium, loopback); prints a JSON line (figures for docs/benchmarks.md)
  bench-python the Python console's budgets: time to ready on first use (Pyodide included), a
               statement's result after its data is there, and `async for` over 64 MiB of
               64-byte lines with streamlab's reader beside Pyodide's own asyncio.StreamReader
               (headless Chromium, loopback); prints a JSON line
  bench-packages the packages' budgets: the npm tarball's and the wheel's sizes, and
               `import streamlab; await streamlab.install()` after Pyodide is ready in
               Pyodide 0.29.3 and 314, main thread and module worker, headless Chromium and
               Firefox (medians of 5); prints a Markdown table and a JSON line
  bench-browser the stream workloads where the product runs: lines, bulk, frames, bigline,
               echo and upload from loopback TCP servers through streamlab-relay into
               headless Chromium and Firefox that no DevTools client drives — loops in Rust
               inside the wasm module, in JS and in Pyodide's Python against streamlab,
               Pyodide's own reader, a raw WebSocket (the ceiling), websockify in the relay's
               place — and CPython 3.13.0's asyncio straight to the same servers; medians of
               3 interleaved rounds; prints Markdown tables with the issue's targets and
               writes target/bench/results.json; --only W,W…: only those workloads
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") if args.len() == 1 => test::run(),
        Some("test-browser") => match &args[1..] {
            [] => browser::run(false, None),
            [flag] if flag == "--wasm-pack" => browser::run(true, None),
            [flag, filter] if flag == "--only" => browser::run(false, Some(filter)),
            _ => Err("test-browser takes --wasm-pack, or --only NAME".into()),
        },
        Some("test-typescript") if args.len() == 1 => typescript::run(),
        Some("test-e2e") if args.len() == 1 => e2e::run(),
        Some("serve") => serve::run(&args[1..]),
        Some("pack") if args.len() == 1 => pack::run(),
        Some("test-packages") if args.len() == 1 => packages::run(),
        Some("bench") if args.len() == 1 => bench_all::run(),
        Some("bench-core") if args.len() == 1 => bench_core::run(),
        Some("bench-relay") if args.len() == 1 => bench_relay::run().map(drop),
        Some("bench-page") if args.len() == 1 => bench_page::run("page").map(drop),
        Some("bench-python") if args.len() == 1 => bench_page::run("python").map(drop),
        Some("bench-packages") if args.len() == 1 => packages::bench(),
        Some("bench-browser") => match &args[1..] {
            [] => bench_browser::run(None),
            [flag, only] if flag == "--only" => {
                bench_browser::run(Some(&only.split(',').map(str::trim).collect::<Vec<_>>()))
            }
            _ => Err("bench-browser takes --only WORKLOAD[,WORKLOAD…]".into()),
        }
        .and_then(|f| bench_browser::report(&f, Default::default())),
        Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("xtask: expected one command\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
