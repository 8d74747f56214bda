//! The core's semantics in the browser: every committed scenario (the §6/§7 catalogue and 300
//! seeded random ones), with CPython 3.13.0's answers, through the wasm build.

use streamlab::trace::{run_line, Options};
use wasm_bindgen_test::*;

fn check(fixtures: &str, at_least: usize) {
    let mut n = 0;
    for line in fixtures.lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let got = run_line(&case["scenario"].to_string(), Options { messages: true }).unwrap();
        let got: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(got, case["expected"], "{}", case["name"]);
        n += 1;
    }
    assert!(n >= at_least, "only {n} scenarios");
}

#[wasm_bindgen_test]
fn catalogue_matches_cpython() {
    check(include_str!("../fixtures/catalogue.jsonl"), 100);
}

#[wasm_bindgen_test]
fn random_scenarios_match_cpython() {
    check(include_str!("../fixtures/random.jsonl"), 300);
}

#[wasm_bindgen_test]
async fn concurrent_reads_are_a_runtime_error_not_a_panic() {
    let reader = streamlab::StreamReader::default();
    let mut first = std::pin::pin!(reader.read(5));
    assert!(crate::common::poll_once(first.as_mut()).is_pending());
    let err = reader.readline().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "readuntil() called while another coroutine is already waiting for incoming data"
    );
    reader.feed_data(b"abc").unwrap();
    assert_eq!(first.await.unwrap(), &b"abc"[..]);
}
