//! What the native test suites share: finding CPython 3.13.0 and running the oracle.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A command that runs CPython 3.13.0, or a panic that says how to get one.
///
/// Tries `$STREAMLAB_PYTHON`, then `python3.13`, then `python3` with `PYENV_VERSION=3.13.0`.
pub fn cpython() -> Command {
    let mut tried = Vec::new();
    let candidates: Vec<(String, Option<&str>)> = match std::env::var("STREAMLAB_PYTHON") {
        Ok(p) => vec![(p, None)],
        Err(_) => vec![("python3.13".into(), None), ("python3".into(), Some("3.13.0"))],
    };
    for (program, pyenv) in candidates {
        let mut cmd = Command::new(&program);
        if let Some(v) = pyenv {
            cmd.env("PYENV_VERSION", v);
        }
        let version = cmd
            .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        if version.as_deref() == Some("3.13.0") {
            let mut cmd = Command::new(&program);
            if let Some(v) = pyenv {
                cmd.env("PYENV_VERSION", v);
            }
            return cmd;
        }
        tried.push(format!(
            "{program}{}: {}",
            pyenv.map(|v| format!(" (PYENV_VERSION={v})")).unwrap_or_default(),
            version.unwrap_or_else(|| "not runnable".into())
        ));
    }
    panic!(
        "CPython 3.13.0, the reference for differential tests, was not found (tried {}).\n\
         Get it with `pyenv install 3.13.0` (these machines ship it: PYENV_VERSION=3.13.0 python3), \
         or point STREAMLAB_PYTHON at a python3.13.0 binary.",
        tried.join("; ")
    );
}

/// Runs the CPython oracle over `lines` (one scenario each) and returns its result lines.
pub fn oracle(lines: &[String]) -> Vec<String> {
    let mut child = cpython()
        .arg(root().join("tests/oracle/cpython_trace.py"))
        .arg("--messages")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the CPython oracle");
    let mut stdin = child.stdin.take().expect("oracle stdin");
    let input = lines.join("\n");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("oracle output");
    writer.join().expect("writer thread").expect("write to the oracle");
    assert!(out.status.success(), "the CPython oracle failed: {}", out.status);
    let text = String::from_utf8(out.stdout).expect("oracle output is UTF-8");
    text.lines().map(str::to_owned).collect()
}

/// The committed catalogue: (name, scenario line, CPython's expected result).
pub fn catalogue() -> Vec<(String, String, serde_json::Value)> {
    fixtures("catalogue.jsonl")
}

/// A committed fixture file of tests/fixtures/: (name, scenario line, CPython's result).
pub fn fixtures(file: &str) -> Vec<(String, String, serde_json::Value)> {
    let text = std::fs::read_to_string(root().join("tests/fixtures").join(file)).expect("read the fixtures");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("catalogue line is JSON");
            (v["name"].as_str().expect("name").to_owned(), v["scenario"].to_string(), v["expected"].clone())
        })
        .collect()
}
