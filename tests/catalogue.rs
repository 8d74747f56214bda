//! The hand-written conformance catalogue (asyncio-streams.md §6 and §7): streamlab's trace of
//! every case equals CPython 3.13.0's, as committed in tests/fixtures/catalogue.jsonl.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use streamlab::trace::{run_line, Options};

#[test]
fn every_catalogue_case_matches_cpython() {
    let cases = common::catalogue();
    assert!(cases.len() >= 100, "the catalogue shrank to {} cases", cases.len());
    let mut failures = Vec::new();
    for (name, scenario, expected) in &cases {
        let got = run_line(scenario, Options { messages: true }).expect("catalogue scenarios are valid");
        let got: serde_json::Value = serde_json::from_str(&got).expect("trace output is JSON");
        if &got != expected {
            failures
                .push(format!("{name}\n  scenario: {scenario}\n  cpython:  {expected}\n  ours:     {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
