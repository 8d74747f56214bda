//! Reads scenarios (JSON, one a line) on stdin and prints one result line each.
//!
//! `cargo run -q --release --example trace [-- --messages] < scenarios.jsonl`; the format is in
//! `streamlab::trace`. `--messages` adds each exception's `str()`.

use std::io::{self, BufWriter};
use std::process::ExitCode;

use streamlab::trace::{run_lines, Options};

fn main() -> ExitCode {
    let mut opts = Options::default();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--messages" => opts.messages = true,
            "-h" | "--help" => {
                println!("usage: trace [--messages] < scenarios.jsonl");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("trace: unknown option {other:?} (try --help)");
                return ExitCode::from(2);
            }
        }
    }
    match run_lines(io::stdin().lock(), BufWriter::new(io::stdout().lock()), opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace: {e}");
            ExitCode::FAILURE
        }
    }
}
