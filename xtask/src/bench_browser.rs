//! The browser workloads of `cargo xtask bench` (issue 13): each of [`WORKLOADS`] from one
//! loopback TCP server ([`bench_targets`]) through streamlab-relay into a page, read by loops
//! written in Rust inside the wasm module (`benches/wasm`), in JS against streamlab's JS API
//! and in Python against the console's `streamlab` module (Pyodide), by Pyodide's own reader
//! in memory (`lines`), by a raw WebSocket (the ceiling), through websockify in the relay's
//! place, and by CPython 3.13.0's asyncio straight from the same server.
//!
//! The page is `benches/browser/bench.{html,js,py}` beside the release build's `streamlab.js`,
//! the Rust loops' module and Pyodide, in headless Chromium and then Firefox, each launched
//! directly — no DevTools client, whose per-frame network tracking would cut WebSocket
//! throughput by 4× — reporting each figure as a console line (Chromium's stderr, Firefox's
//! stdout).
//!
//! [`WORKLOADS`]: bench_targets::WORKLOADS

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench_targets::{self, WORKLOADS};
use crate::run::{cargo, check, cmd, copy, copy_tree, output, root};
use crate::serve::{self, Port};
use crate::{services, setup};

/// The page's contenders, in the order each workload runs them: through streamlab-relay, and
/// through websockify (0.13, PyPI) in its place — which cannot half-close, so no `upload`;
/// Pyodide's own reader only on `lines`; `raw_js_copying` (the raw socket copying each
/// message, as an API returning fresh bytes per read must) only on `bulk`.
const PAGE_CONTENDERS: [&str; 8] = [
    "streamlab_rust",
    "streamlab_js",
    "streamlab_python",
    "pyodide_asyncio",
    "raw_js",
    "raw_js_copying",
    "websockify_streamlab_rust",
    "websockify",
];
/// How often each workload's contenders run, interleaved; a figure is their median.
const ROUNDS: u32 = 5;
/// The longest the page may take for all of it.
const PAGE_TIMEOUT: Duration = Duration::from_secs(900);

/// One figure: MiB/s, or a round trip's median in µs (`echo`).
#[derive(Clone, Debug)]
pub enum Figure {
    MibS(f64),
    RttUs(f64),
    Failed(String),
}

/// workload → contender → figure.
pub type Figures = BTreeMap<String, BTreeMap<String, Figure>>;

/// Runs every workload (or those of `only`) for every contender, in Chromium then Firefox;
/// returns each browser's figures (CPython's in both: it is their anchor).
pub fn run(only: Option<&[&str]>) -> Result<Vec<(Browser, Figures)>, String> {
    if let Some(unknown) = only.unwrap_or_default().iter().find(|w| !WORKLOADS.contains(w)) {
        return Err(format!("no workload {unknown:?}: the workloads are {}", WORKLOADS.join(", ")));
    }
    let workloads: Vec<&str> =
        WORKLOADS.iter().copied().filter(|w| only.is_none_or(|o| o.contains(w))).collect();
    setup::browsers()?;
    let dist = serve::prepare()?;
    let www = serve::target_dir().join("bench/www");
    page_into(&dist, &www)?;
    let ports: Vec<_> = bench_targets::start()?.into_iter().filter(|(w, _)| workloads.contains(w)).collect();
    let extra = ["--allow", "127.0.0.1:*", "--quiet"].map(str::to_owned);
    let relay = serve::start_with(&www, Port::Any, false, &extra)?;
    // One websockify per workload: its target is fixed.
    let websockify = setup::websockify()?;
    let mut websockifies = Vec::new();
    let mut ws_ports = Vec::new();
    for &(workload, port) in ports.iter().filter(|(w, _)| *w != "upload") {
        let listen = crate::browser::free_port()?;
        let args = [format!("127.0.0.1:{listen}"), format!("127.0.0.1:{port}")];
        websockifies.push(services::Service::start(&websockify, &args, false)?);
        crate::browser::wait_listening(listen)?;
        ws_ports.push((workload, listen));
    }

    let ports_of = |ports: &[(&str, u16)]| {
        format!("{{{}}}", ports.iter().map(|(w, p)| format!("\"{w}\":{p}")).collect::<Vec<_>>().join(","))
    };
    let ports_json = ports_of(&ports);
    let plan: Vec<String> = workloads
        .iter()
        .flat_map(|w| PAGE_CONTENDERS.iter().map(move |c| (w, c)))
        .filter(|(w, c)| !(c.starts_with("websockify") && **w == "upload"))
        .filter(|(w, c)| **c != "pyodide_asyncio" || **w == "lines")
        .filter(|(w, c)| **c != "raw_js_copying" || **w == "bulk")
        .map(|(w, c)| format!("{w}:{c}"))
        .collect();
    let ws = relay.url.trim_end_matches('/').replacen("http://", "ws://", 1);
    let url = format!(
        "{}bench.html?relay={}&ports={}&websockify={}&plan={}&rounds={ROUNDS}",
        relay.url,
        encode(&ws),
        encode(&ports_json),
        encode(&ports_of(&ws_ports)),
        encode(&plan.join(","))
    );
    let mut all = Vec::new();
    for browser in [Browser::Chromium, Browser::Firefox] {
        let mut figures = Figures::new();
        match in_browser(browser, &url) {
            Ok(seen) => {
                for (workload, contender, figure) in seen {
                    figures.entry(workload).or_default().insert(contender, figure);
                }
            }
            // A browser that fails costs its own figures, not the other's.
            Err(e) => {
                eprintln!("==> {browser:?} failed: {e}");
                for (w, c) in plan.iter().filter_map(|p| p.split_once(':')) {
                    figures.entry(w.into()).or_default().insert(c.into(), Figure::Failed(e.clone()));
                }
            }
        }
        all.push((browser, figures));
    }
    for (workload, figure) in cpython(&ports_json, &workloads)? {
        for (_, figures) in &mut all {
            figures.entry(workload.clone()).or_default().insert("cpython".into(), figure.clone());
        }
    }
    drop(websockifies);
    drop(relay);
    Ok(all)
}

/// The release build's module and wasm, Pyodide and the console's `streamlab.py`, the Rust
/// loops' module and the bench page, in one folder the relay serves.
fn page_into(dist: &Path, www: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(www);
    copy_tree(&dist.join("snippets"), &www.join("snippets"))?;
    copy_tree(&dist.join("pyodide"), &www.join("pyodide"))?;
    for name in ["streamlab.js", "streamlab_bg.wasm"] {
        copy(&dist.join(name), &www.join(name))?;
    }
    copy(&dist.join("py/streamlab.py"), &www.join("streamlab.py"))?;
    for name in ["bench.html", "bench.js", "bench.py"] {
        copy(&root().join("benches/browser").join(name), &www.join(name))?;
    }
    rust_loops_into(&www.join("rust"))
}

/// The Rust loops (`benches/wasm`) built as the page's module is — the `wasm-release`
/// profile, wasm-bindgen, binaryen's `wasm-opt -Oz` — into `to/streamlab_bench{.js,_bg.wasm}`.
fn rust_loops_into(to: &Path) -> Result<(), String> {
    let wasm_opt = serve::npm_tools()?.join("wasm-opt");
    let target = "wasm32-unknown-unknown";
    check(&mut cargo(&["build", "-p", "streamlab-bench", "--target", target, "--profile", "wasm-release"]))?;
    let built = serve::target_dir().join(target).join("wasm-release/streamlab_bench.wasm");
    let (built, to_s) = (built.display().to_string(), to.display().to_string());
    check(&mut cmd(
        "wasm-bindgen",
        &["--target", "web", "--out-dir", &to_s, "--out-name", "streamlab_bench", &built],
    ))?;
    let wasm = to.join("streamlab_bench_bg.wasm").display().to_string();
    check(&mut cmd(wasm_opt.to_str().ok_or("a non-UTF-8 path")?, &["-Oz", &wasm, "-o", &wasm]))
}

/// The browsers the page runs in, each launched directly so that no DevTools client
/// instruments it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Firefox,
}

impl Browser {
    /// How results are keyed: `workloads` is Chromium's (as the issue's `results.json` has
    /// it), `workloads_firefox` Firefox's.
    pub fn results_key(self) -> &'static str {
        match self {
            Browser::Chromium => "workloads",
            Browser::Firefox => "workloads_firefox",
        }
    }
}

/// Opens `url` in `browser`, headless, on loopback only (no background traffic; every name
/// but 127.0.0.1 unresolvable; anything proxied goes to a closed port), and collects its
/// `STREAMLAB_BENCH` console lines (Chromium's stderr, Firefox's stdout) until
/// `STREAMLAB_BENCH_DONE`.
fn in_browser(browser: Browser, url: &str) -> Result<Vec<(String, String, Figure)>, String> {
    let profile = serve::target_dir().join(format!("bench/{browser:?}-profile").to_lowercase());
    let _ = std::fs::remove_dir_all(&profile);
    let mut command = match browser {
        Browser::Chromium => chromium(&profile),
        Browser::Firefox => firefox(&profile)?,
    };
    command.arg(url).stdin(Stdio::null());
    serve::die_with_parent(&mut command);
    eprintln!("==> {browser:?} --headless … {url}");
    let mut child = Killed(command.spawn().map_err(|e| format!("could not start {browser:?}: {e}"))?);
    let child = &mut child.0;
    let (lines, seen) = std::sync::mpsc::channel();
    let out: Box<dyn std::io::Read + Send> = match browser {
        Browser::Chromium => Box::new(child.stderr.take().ok_or("chromium has no stderr")?),
        Browser::Firefox => Box::new(child.stdout.take().ok_or("firefox has no stdout")?),
    };
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut figures = Vec::new();
    let result = loop {
        let left = PAGE_TIMEOUT.saturating_sub(started.elapsed());
        match seen.recv_timeout(left) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                break Err(format!("the bench page did not finish within {PAGE_TIMEOUT:?}"))
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                break Err(format!("{browser:?} exited before the page finished ({:?})", child.wait()))
            }
            Ok(line) if line.contains("STREAMLAB_BENCH_DONE") => break Ok(()),
            Ok(line) if line.contains("STREAMLAB_BENCH_FATAL") => {
                break Err(format!("the bench page failed: {line}"))
            }
            Ok(line) => {
                if let Some(json) = console_message(&line, "STREAMLAB_BENCH ") {
                    let figure = parse_page_line(&json)?;
                    eprintln!("==> {browser:?}: {} / {}: {:?}", figure.0, figure.1, figure.2);
                    figures.push(figure);
                } else if is_page_error(&line) {
                    eprintln!("{browser:?}: {line}");
                }
            }
        }
    };
    result.map(|()| figures)
}

/// A browser, killed when dropped (on every way out of [`in_browser`]).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromium(profile: &Path) -> Command {
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Firefox ESR with a fresh profile whose `user.js` holds the tests' loopback-only prefs
/// (`webdriver.json`) and sends the page's console to stdout.
fn firefox(profile: &Path) -> Result<Command, String> {
    let config = root().join("webdriver.json");
    let text = std::fs::read_to_string(&config).map_err(|e| format!("{}: {e}", config.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))?;
    let prefs = v["moz:firefoxOptions"]["prefs"].as_object().ok_or("webdriver.json has no Firefox prefs")?;
    let mut user_js: String = prefs
        .iter()
        .map(|(name, value)| format!("user_pref({}, {value});\n", serde_json::json!(name)))
        .collect();
    user_js.push_str("user_pref(\"devtools.console.stdout.content\", true);\n");
    user_js.push_str("user_pref(\"browser.shell.checkDefaultBrowser\", false);\n");
    std::fs::create_dir_all(profile).map_err(|e| format!("{}: {e}", profile.display()))?;
    std::fs::write(profile.join("user.js"), user_js).map_err(|e| format!("{}: {e}", profile.display()))?;
    let mut command = Command::new("firefox-esr");
    command
        .args(["--headless", "--no-remote", "--profile"])
        .arg(profile)
        .env("MOZ_CRASHREPORTER_DISABLE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    Ok(command)
}

/// The text after `marker` in a console line: Chromium's (`… "MARKER text", source: …`) or
/// Firefox's, a string literal (`console.log: "MARKER {\"a\":1}"`).
fn console_message(line: &str, marker: &str) -> Option<String> {
    if let Some(literal) = line.strip_prefix("console.log: ") {
        let text: String = serde_json::from_str(literal).ok()?;
        return text.strip_prefix(marker).map(str::to_owned);
    }
    let start = line.find(marker)? + marker.len();
    let end = line.rfind("\", source:").filter(|&e| e >= start).unwrap_or(line.len());
    Some(line[start..end].to_owned())
}

/// A line about the page's failing, from a browser's log.
fn is_page_error(line: &str) -> bool {
    (line.contains("CONSOLE") && line.contains("rror"))
        || line.starts_with("JavaScript error")
        || line.starts_with("console.error")
}

/// `{"workload":…,"contender":…,"mib_s"|"rtt_us_median"|"error":…}`.
fn parse_page_line(json: &str) -> Result<(String, String, Figure), String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("{e}: {json}"))?;
    let text = |name: &str| v[name].as_str().map(str::to_owned).ok_or_else(|| format!("no {name} in {json}"));
    let figure = figure_of(&v).ok_or_else(|| format!("no figure in {json}"))?;
    Ok((text("workload")?, text("contender")?, figure))
}

/// `{"mib_s": X}`, `{"rtt_us_median": X}` or `{"error": "…"}`.
fn figure_of(v: &serde_json::Value) -> Option<Figure> {
    if let Some(x) = v["mib_s"].as_f64() {
        return Some(Figure::MibS(x));
    }
    if let Some(x) = v["rtt_us_median"].as_f64() {
        return Some(Figure::RttUs(x));
    }
    v["error"].as_str().map(|e| Figure::Failed(e.to_owned()))
}

/// `benches/cpython_streams.py` against the same servers, [`ROUNDS`] times.
fn cpython(ports_json: &str, workloads: &[&str]) -> Result<Vec<(String, Figure)>, String> {
    let mut python = services::cpython()?;
    python.arg(root().join("benches/cpython_streams.py")).arg(ports_json).arg(ROUNDS.to_string());
    let out = output(&mut python)?;
    let line = out.lines().last().unwrap_or("");
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("cpython printed {line:?}: {e}"))?;
    workloads
        .iter()
        .map(|&w| {
            Ok((w.to_owned(), figure_of(&v[w]).ok_or_else(|| format!("cpython printed no {w}: {line}"))?))
        })
        .collect()
}

/// A target of issue 13: `contender`'s figure over `anchor`'s, in one run.
struct Target {
    workload: &'static str,
    contender: &'static str,
    anchor: &'static str,
    ratio: f64,
    /// A round trip's time: lower is better.
    at_most: bool,
}

const fn at_least(
    workload: &'static str,
    contender: &'static str,
    ratio: f64,
    anchor: &'static str,
) -> Target {
    Target { workload, contender, anchor, ratio, at_most: false }
}

const TARGETS: [Target; 9] = [
    at_least("bulk", "streamlab_rust", 0.9, "raw_js"),
    at_least("bulk", "streamlab_js", 0.8, "raw_js"),
    at_least("lines", "streamlab_rust", 3.0, "cpython"),
    at_least("lines", "streamlab_js", 1.0, "cpython"),
    at_least("lines", "streamlab_python", 0.5, "pyodide_asyncio"),
    at_least("frames", "streamlab_rust", 1.5, "cpython"),
    at_least("bigline", "streamlab_rust", 0.5, "raw_js"),
    Target { workload: "echo", contender: "streamlab_rust", anchor: "raw_js", ratio: 1.2, at_most: true },
    at_least("upload", "streamlab_rust", 0.9, "raw_js"),
];

/// Prints the figures as a Markdown table with the ratios the issue names, and writes
/// `target/bench/results.json`: `workloads`, the `more` entries (`relay`, `page` from
/// `cargo xtask bench`), `machine` and `date`.
pub fn report(
    all: &[(Browser, Figures)],
    more: serde_json::Map<String, serde_json::Value>,
) -> Result<(), String> {
    let mut results = serde_json::Map::new();
    for (browser, figures) in all {
        println!("\n### {browser:?}\n");
        table(figures);
        results.insert(browser.results_key().into(), as_json(figures));
    }
    results.extend(more);
    results.insert("machine".into(), machine().into());
    let date = output(&mut crate::run::cmd("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]))?;
    results.insert("date".into(), date.trim().into());
    let path = serve::target_dir().join("bench/results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results).map_err(|e| e.to_string())? + "\n")
        .map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("==> wrote {}", path.display());
    Ok(())
}

fn value(f: &Figure) -> Option<f64> {
    match f {
        Figure::MibS(x) | Figure::RttUs(x) => Some(*x),
        Figure::Failed(_) => None,
    }
}

/// One browser's figures as Markdown: every workload × contender, then [`TARGETS`].
fn table(figures: &Figures) {
    let get = |w: &str, c: &str| figures.get(w).and_then(|m| m.get(c)).and_then(value);
    let contenders: Vec<&str> = PAGE_CONTENDERS.iter().copied().chain(["cpython"]).collect();
    println!("| workload | unit | {} |", contenders.join(" | "));
    println!("|---|---|{}", "---|".repeat(contenders.len()));
    for w in WORKLOADS {
        let unit = if w == "echo" { "µs median (lower is better)" } else { "MiB/s" };
        let cells: Vec<String> = contenders
            .iter()
            .map(|c| match figures.get(w).and_then(|m| m.get(*c)) {
                Some(Figure::Failed(e)) => format!("failed: {e}"),
                Some(f) => format!("{}", value(f).unwrap_or_default()),
                None => "—".into(),
            })
            .collect();
        println!("| {w} | {unit} | {} |", cells.join(" | "));
    }
    println!("\n| target | ratio in this run | met |\n|---|---|---|");
    for t in TARGETS {
        let (ratio, met) = match (get(t.workload, t.contender), get(t.workload, t.anchor)) {
            (Some(a), Some(b)) if a > 0.0 && b > 0.0 => {
                let r = a / b;
                (format!("{r:.2}×"), if t.at_most { r <= t.ratio } else { r >= t.ratio })
            }
            _ => ("—".into(), false),
        };
        let sign = if t.at_most { "≤" } else { "≥" };
        let met = if met { "yes" } else { "**no**" };
        println!("| {}: {} {sign} {} × {} | {ratio} | {met} |", t.workload, t.contender, t.ratio, t.anchor);
    }
}

/// `{"<workload>": {"<contender>": {"mib_s": X} | {"rtt_us_median": X} | {"error": "…"}}}`.
fn as_json(figures: &Figures) -> serde_json::Value {
    let row = |m: &BTreeMap<String, Figure>| -> serde_json::Value {
        m.iter()
            .map(|(c, f)| {
                let v = match f {
                    Figure::MibS(x) => serde_json::json!({ "mib_s": x }),
                    Figure::RttUs(x) => serde_json::json!({ "rtt_us_median": x }),
                    Figure::Failed(e) => serde_json::json!({ "error": e }),
                };
                (c.clone(), v)
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    figures.iter().map(|(w, m)| (w.clone(), row(m))).collect::<serde_json::Map<_, _>>().into()
}

/// The CPU model and count, and the kernel.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']));
    let cores = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{} × {cores}, Linux {}", model.unwrap_or("unknown CPU"), kernel.trim())
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_lines_and_figures_parse() {
        let line = r#"[1202/171800.123:INFO:CONSOLE(224)] "STREAMLAB_BENCH {"workload":"bulk","contender":"raw_js","mib_s":201.5}", source: http://127.0.0.1:1/bench.js (224)"#;
        let json = console_message(line, "STREAMLAB_BENCH ").unwrap();
        let (w, c, f) = parse_page_line(&json).unwrap();
        assert_eq!((w.as_str(), c.as_str()), ("bulk", "raw_js"));
        assert!(matches!(f, Figure::MibS(x) if x == 201.5));
        let firefox = r#"console.log: "STREAMLAB_BENCH {\"workload\":\"bulk\",\"contender\":\"raw_js\",\"mib_s\":550.5,\"rounds\":3}""#;
        let (w, _, f) = parse_page_line(&console_message(firefox, "STREAMLAB_BENCH ").unwrap()).unwrap();
        assert!(w == "bulk" && matches!(f, Figure::MibS(x) if x == 550.5));
        assert_eq!(console_message(r#"console.log: "other""#, "STREAMLAB_BENCH "), None);
        let echo = r#"{"workload":"echo","contender":"streamlab_js","rtt_us_median":370}"#;
        assert!(matches!(parse_page_line(echo).unwrap().2, Figure::RttUs(x) if x == 370.0));
        let failed = r#"{"workload":"echo","contender":"raw_js","error":"Error: closed 4403"}"#;
        assert!(matches!(parse_page_line(failed).unwrap().2, Figure::Failed(e) if e == "Error: closed 4403"));
        assert_eq!(encode("{\"a\":1}"), "%7B%22a%22%3A1%7D");
    }
}
