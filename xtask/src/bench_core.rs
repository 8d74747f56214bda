//! `cargo xtask bench-core`: streamlab's StreamReader and CPython 3.13.0's on the same
//! in-memory work, in one run, as a Markdown table with ratios.

use std::collections::BTreeMap;

use crate::run::{cargo, cmd, output};

/// One workload's figures from either side (one JSON line of benches/core.{rs,py}).
struct Figure {
    seconds: f64,
    items: f64,
    bytes: f64,
    peak_rss_kib: f64,
}

pub fn run() -> Result<(), String> {
    let ours = parse(&output(&mut cargo(&["bench", "--quiet", "--bench", "core"]))?)?;
    let mut python = match std::env::var("STREAMLAB_PYTHON") {
        Ok(p) => cmd(&p, &["benches/core.py"]),
        Err(_) => {
            let mut c = cmd("python3", &["benches/core.py"]);
            c.env("PYENV_VERSION", "3.13.0");
            c
        }
    };
    let theirs = parse(&output(&mut python)?)?;

    let rows = [
        ("lines", "`async for line`, 64 MiB of 64-byte lines", "lines/s"),
        ("frames", "`readexactly` 4-byte length + 1 KiB frame, 64 MiB", "frames/s"),
        ("long_line_1mib", "one `readline`, 1 MiB line in 64-byte chunks", "MiB/s"),
        ("long_line_4mib", "one `readline`, 4 MiB line in 64-byte chunks", "MiB/s"),
    ];
    println!("| workload | streamlab | CPython 3.13.0 | ratio |");
    println!("|---|---|---|---|");
    for (key, what, unit) in rows {
        let (a, b) = (get(&ours, key)?, get(&theirs, key)?);
        let rate = |f: &Figure| match unit {
            "MiB/s" => f.bytes / f.seconds / 1048576.0,
            _ => f.items / f.seconds,
        };
        let show = |f: &Figure| match unit {
            "MiB/s" => format!("{:.0} {unit} ({:.1} ms)", rate(f), f.seconds * 1e3),
            _ => format!("{} {unit} ({:.1} ms)", human(rate(f)), f.seconds * 1e3),
        };
        println!("| {what} | {} | {} | **{:.1}×** |", show(a), show(b), rate(a) / rate(b));
    }
    let growth = |m: &BTreeMap<String, Figure>| -> Result<f64, String> {
        Ok(get(m, "long_line_4mib")?.seconds / get(m, "long_line_1mib")?.seconds)
    };
    println!(
        "| long-line growth, time(4 MiB) / time(1 MiB) (linear = 4) | {:.2} | {:.2} | |",
        growth(&ours)?,
        growth(&theirs)?
    );
    let rss = |m: &BTreeMap<String, Figure>| m.values().map(|f| f.peak_rss_kib).fold(0.0, f64::max) / 1024.0;
    println!(
        "| peak RSS of the whole run (input data included) | {:.0} MiB | {:.0} MiB | |",
        rss(&ours),
        rss(&theirs)
    );
    Ok(())
}

fn get<'a>(m: &'a BTreeMap<String, Figure>, key: &str) -> Result<&'a Figure, String> {
    m.get(key).ok_or_else(|| format!("the benchmark printed no {key:?} workload"))
}

fn human(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else {
        format!("{:.0} k", x / 1e3)
    }
}

/// Parses the benchmark's JSON lines without a JSON crate: the fields are flat numbers.
fn parse(text: &str) -> Result<BTreeMap<String, Figure>, String> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
        let field = |name: &str| -> Result<&str, String> {
            let key = format!("\"{name}\":");
            let start = line.find(&key).ok_or_else(|| format!("no {name} in {line}"))? + key.len();
            let rest = line[start..].trim_start();
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            Ok(rest[..end].trim().trim_matches('"'))
        };
        let num = |name: &str| -> Result<f64, String> {
            field(name)?.parse().map_err(|_| format!("{name} is not a number in {line}"))
        };
        out.insert(
            field("workload")?.to_owned(),
            Figure {
                seconds: num("seconds")?,
                items: num("items")?,
                bytes: num("bytes")?,
                peak_rss_kib: num("peak_rss_kib")?,
            },
        );
    }
    Ok(out)
}
