//! The scenario runner: drive a [`StreamReader`](crate::StreamReader) with JSON scenarios and
//! report every result, so that other tools — the CPython oracle in the tests, the page's
//! timeline — can compare and show them.
//!
//! `cargo run -q --release --example trace < scenarios.jsonl` reads one scenario a line and
//! prints one result a line; see [`Scenario`] and [`TraceOutput`] for the format.

mod runner;
mod scenario;

use std::io::{BufRead, Write};

pub use runner::{run, ErrorOutcome, Event, Options, Outcome, TraceOutput};
pub use scenario::{Scenario, ScenarioError, Step};

/// Why a trace run stopped.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// A line is not a valid scenario.
    #[error("line {line}: {error}")]
    Input {
        /// 1-based line number.
        line: usize,
        /// What is wrong, and where.
        error: ScenarioError,
    },
    /// Reading input or writing output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Runs one JSON line and returns its JSON result line.
///
/// # Errors
/// [`ScenarioError`] when the line is not a valid scenario.
pub fn run_line(line: &str, opts: Options) -> Result<String, ScenarioError> {
    let scenario = Scenario::parse(line)?;
    let out = run(&scenario, opts);
    serde_json::to_string(&out)
        .map_err(|e| ScenarioError { field: "(output)".into(), message: e.to_string() })
}

/// Reads scenarios from `input`, one a line (blank lines are skipped), and writes one result
/// line each to `output`, stopping at the first bad line.
///
/// # Errors
/// [`TraceError::Input`] naming the line and field; [`TraceError::Io`].
pub fn run_lines(mut input: impl BufRead, mut output: impl Write, opts: Options) -> Result<(), TraceError> {
    let mut raw = Vec::new();
    for number in 1.. {
        raw.clear();
        if input.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        let line = std::str::from_utf8(&raw).map_err(|e| TraceError::Input {
            line: number,
            error: ScenarioError { field: "(line)".into(), message: format!("not UTF-8: {e}") },
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let result = run_line(line, opts).map_err(|error| TraceError::Input { line: number, error })?;
        writeln!(output, "{result}")?;
    }
    output.flush()?;
    Ok(())
}
