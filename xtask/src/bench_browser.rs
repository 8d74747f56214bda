//! The browser workloads of `cargo xtask bench` (issue 13): each of [`WORKLOADS`] from one
//! loopback TCP server ([`bench_targets`]) through streamlab-relay into a page, read by
//! streamlab's JS API and by a raw WebSocket (the ceiling), and by CPython 3.13.0's asyncio
//! straight from the same server.
//!
//! The page is `benches/browser/bench.{html,js}` beside the release build's `streamlab.js`,
//! in a headless Chromium launched directly — no DevTools client, whose per-frame network
//! tracking would cut WebSocket throughput by 4× — reporting each figure as a console line on
//! Chromium's stderr.
//!
//! [`WORKLOADS`]: bench_targets::WORKLOADS

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench_targets::{self, WORKLOADS};
use crate::run::{output, root};
use crate::serve::{self, Port};
use crate::{services, setup};

/// The page's contenders, in the order each workload runs them: through streamlab-relay, and
/// through websockify (0.13, PyPI) in its place — which cannot half-close, so no `upload`.
const PAGE_CONTENDERS: [&str; 4] = ["streamlab_js", "raw_js", "websockify_streamlab_js", "websockify"];
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

/// Runs every workload (or those of `only`) for every contender; returns the figures.
pub fn run(only: Option<&[&str]>) -> Result<Figures, String> {
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

    let mut figures = Figures::new();
    let as_json = |ports: &[(&str, u16)]| {
        format!("{{{}}}", ports.iter().map(|(w, p)| format!("\"{w}\":{p}")).collect::<Vec<_>>().join(","))
    };
    let ports_json = as_json(&ports);
    let plan: Vec<String> = workloads
        .iter()
        .flat_map(|w| PAGE_CONTENDERS.iter().map(move |c| (w, c)))
        .filter(|(w, c)| !(c.starts_with("websockify") && **w == "upload"))
        .map(|(w, c)| format!("{w}:{c}"))
        .collect();
    let ws = relay.url.trim_end_matches('/').replacen("http://", "ws://", 1);
    let url = format!(
        "{}bench.html?relay={}&ports={}&websockify={}&plan={}",
        relay.url,
        encode(&ws),
        encode(&ports_json),
        encode(&as_json(&ws_ports)),
        encode(&plan.join(","))
    );
    for (workload, contender, figure) in in_chromium(&url)? {
        figures.entry(workload).or_default().insert(contender, figure);
    }
    for (workload, figure) in cpython(&ports_json, &workloads)? {
        figures.entry(workload).or_default().insert("cpython".into(), figure);
    }
    drop(websockifies);
    drop(relay);
    Ok(figures)
}

/// The release build's module and wasm, and the bench page, in one folder the relay serves.
fn page_into(dist: &Path, www: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(www);
    let copy = |from: &Path, to: &Path| {
        std::fs::copy(from, to).map(drop).map_err(|e| format!("{} → {}: {e}", from.display(), to.display()))
    };
    copy_tree(&dist.join("snippets"), &www.join("snippets"))?;
    for name in ["streamlab.js", "streamlab_bg.wasm"] {
        copy(&dist.join(name), &www.join(name))?;
    }
    for name in ["bench.html", "bench.js"] {
        copy(&root().join("benches/browser").join(name), &www.join(name))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// Opens `url` in a headless Chromium that nothing instruments, on loopback only (no
/// background traffic; every name but 127.0.0.1 unresolvable; anything proxied goes to a
/// closed port), and collects its `STREAMLAB_BENCH` lines until `STREAMLAB_BENCH_DONE`.
fn in_chromium(url: &str) -> Result<Vec<(String, String, Figure)>, String> {
    let profile = serve::target_dir().join("bench/chromium-profile");
    let _ = std::fs::remove_dir_all(&profile);
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
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    serve::die_with_parent(&mut command);
    eprintln!("==> chromium --headless … {url}");
    let mut child = command.spawn().map_err(|e| format!("could not start chromium: {e}"))?;
    let stderr = child.stderr.take().ok_or("chromium has no stderr")?;
    let (lines, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
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
            Err(_) => break Err(format!("the bench page did not finish within {PAGE_TIMEOUT:?}")),
            Ok(line) if line.contains("STREAMLAB_BENCH_DONE") => break Ok(()),
            Ok(line) => {
                if let Some(json) = console_message(&line, "STREAMLAB_BENCH ") {
                    let figure = parse_page_line(json)?;
                    eprintln!("==> {} / {}: {:?}", figure.0, figure.1, figure.2);
                    figures.push(figure);
                } else if line.contains("CONSOLE") && line.contains("rror") {
                    eprintln!("chromium: {line}");
                }
            }
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    result.map(|()| figures)
}

/// The text after `marker` in a Chromium console line (`… "MARKER text", source: …`).
fn console_message<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let start = line.find(marker)? + marker.len();
    let end = line.rfind("\", source:").filter(|&e| e >= start).unwrap_or(line.len());
    Some(&line[start..end])
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

/// `benches/cpython_streams.py` against the same servers.
fn cpython(ports_json: &str, workloads: &[&str]) -> Result<Vec<(String, Figure)>, String> {
    let mut python = services::cpython()?;
    python.arg(root().join("benches/cpython_streams.py")).arg(ports_json);
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

/// Prints the figures as a Markdown table with the ratios the issue names, and writes
/// `target/bench/results.json`: `workloads`, the `more` entries (`relay`, `page` from
/// `cargo xtask bench`), `machine` and `date`.
pub fn report(figures: &Figures, more: serde_json::Map<String, serde_json::Value>) -> Result<(), String> {
    let value = |f: &Figure| match f {
        Figure::MibS(x) | Figure::RttUs(x) => Some(*x),
        Figure::Failed(_) => None,
    };
    let get = |w: &str, c: &str| figures.get(w).and_then(|m| m.get(c)).and_then(value);
    let contenders = ["streamlab_js", "raw_js", "websockify_streamlab_js", "websockify", "cpython"];
    println!(
        "| workload | unit | {} | streamlab_js / raw_js | streamlab_js / cpython |",
        contenders.join(" | ")
    );
    println!("|---|---|{}---|---|", "---|".repeat(contenders.len()));
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
        let ratio = |c: &str| match (get(w, "streamlab_js"), get(w, c)) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
            _ => "—".into(),
        };
        println!("| {w} | {unit} | {} | {} | {} |", cells.join(" | "), ratio("raw_js"), ratio("cpython"));
    }
    let workloads: serde_json::Map<String, serde_json::Value> = figures
        .iter()
        .map(|(w, m)| {
            let row: serde_json::Map<String, serde_json::Value> = m
                .iter()
                .map(|(c, f)| {
                    let v = match f {
                        Figure::MibS(x) => serde_json::json!({ "mib_s": x }),
                        Figure::RttUs(x) => serde_json::json!({ "rtt_us_median": x }),
                        Figure::Failed(e) => serde_json::json!({ "error": e }),
                    };
                    (c.clone(), v)
                })
                .collect();
            (w.clone(), serde_json::Value::Object(row))
        })
        .collect();
    let mut results = serde_json::Map::new();
    results.insert("workloads".into(), serde_json::Value::Object(workloads));
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
        let (w, c, f) = parse_page_line(json).unwrap();
        assert_eq!((w.as_str(), c.as_str()), ("bulk", "raw_js"));
        assert!(matches!(f, Figure::MibS(x) if x == 201.5));
        let echo = r#"{"workload":"echo","contender":"streamlab_js","rtt_us_median":370}"#;
        assert!(matches!(parse_page_line(echo).unwrap().2, Figure::RttUs(x) if x == 370.0));
        let failed = r#"{"workload":"echo","contender":"raw_js","error":"Error: closed 4403"}"#;
        assert!(matches!(parse_page_line(failed).unwrap().2, Figure::Failed(e) if e == "Error: closed 4403"));
        assert_eq!(encode("{\"a\":1}"), "%7B%22a%22%3A1%7D");
    }
}
