//! Differential tests: the same scenarios through real CPython 3.13.0 and through streamlab,
//! every result, error, message and leftover byte compared.
//!
//! `STREAMLAB_SEED` replays a run; `STREAMLAB_SCENARIOS` changes how many are generated.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use streamlab::trace::{run_line, Options};

const SEPARATORS: &[&[u8]] =
    &[b"\n", b"\n", b"a", b"aa", b"aaa", b"ab", b"ba", b"\r\n", b"AAA", b"b\nb", b""];

/// One random scenario, biased toward what is hard: small limits, separators that appear,
/// split across chunks, concurrent waiters, EOF at any point, invalid arguments.
fn scenario(rng: &mut StdRng) -> Value {
    let limit = [1usize, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 16, 64, 65536][rng.random_range(0..14)];
    let alphabet: &[u8] = [&b"ab\n"[..], b"aab\r\n", b"aA\nb", b"\n", b"xyzab\n\r"][rng.random_range(0..5)];
    let mut steps = Vec::new();
    let mut eof = false;
    for _ in 0..rng.random_range(1..=14) {
        let roll = rng.random_range(0..100);
        let step = match roll {
            0..=34 if !eof => {
                let max = if rng.random_bool(0.2) { 3 * limit.min(16) + 4 } else { 6 };
                let len = rng.random_range(0..=max);
                let data: Vec<u8> = (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect();
                json!({"op": "feed", "data": hex::encode(data)})
            }
            0..=41 if !eof => {
                eof = true;
                json!({"op": "eof"})
            }
            0..=52 => {
                let n = [-2, -1, 0, 1, 2, 3, 5, 8, 100][rng.random_range(0..9)];
                json!({"op": "read", "n": n})
            }
            53..=64 => json!({"op": "readline"}),
            65..=74 => {
                let n = rng.random_range(-1..=10);
                json!({"op": "readexactly", "n": n})
            }
            75..=91 => {
                let pick = |rng: &mut StdRng| hex::encode(SEPARATORS[rng.random_range(0..SEPARATORS.len())]);
                if rng.random_bool(0.3) {
                    let n = [0, 1, 2, 2, 3, 3][rng.random_range(0..6)];
                    let seps: Vec<String> = (0..n).map(|_| pick(rng)).collect();
                    json!({"op": "readuntil", "sep": seps})
                } else {
                    json!({"op": "readuntil", "sep": pick(rng)})
                }
            }
            92..=98 => json!({"op": "at_eof"}),
            _ => json!({"op": "set_exception"}),
        };
        steps.push(step);
    }
    json!({"limit": limit, "steps": steps})
}

fn compare(lines: &[String], cpython: &[String]) -> Vec<String> {
    assert_eq!(
        cpython.len(),
        lines.len(),
        "the oracle answered {} of {} scenarios",
        cpython.len(),
        lines.len()
    );
    let mut mismatches = Vec::new();
    for (line, theirs) in lines.iter().zip(cpython) {
        let ours = run_line(line, Options { messages: true }).expect("generated scenarios are valid");
        let ours_v: Value = serde_json::from_str(&ours).expect("trace output is JSON");
        let theirs_v: Value = serde_json::from_str(theirs).expect("oracle output is JSON");
        if ours_v != theirs_v {
            mismatches.push(format!("scenario: {line}\n  cpython: {theirs}\n  ours:    {ours}"));
        }
    }
    mismatches
}

#[test]
fn random_scenarios_match_cpython() {
    let seed = std::env::var("STREAMLAB_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(time_seed);
    let count = std::env::var("STREAMLAB_SCENARIOS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000usize);
    let mut rng = StdRng::seed_from_u64(seed);
    let lines: Vec<String> = (0..count).map(|_| scenario(&mut rng).to_string()).collect();
    let cpython = common::oracle(&lines);
    let mismatches = compare(&lines, &cpython);
    println!("{count} random scenarios (STREAMLAB_SEED={seed}): {} mismatches", mismatches.len());
    assert!(
        mismatches.is_empty(),
        "{} of {count} scenarios differ from CPython (replay with STREAMLAB_SEED={seed}); first ones:\n{}",
        mismatches.len(),
        mismatches.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// The committed fixtures (the catalogue, and the browser suite's random scenarios) are still
/// what CPython says, and what streamlab says natively.
#[test]
fn committed_fixtures_are_cpythons_answers() {
    let mut cases = common::catalogue();
    cases.extend(common::fixtures("random.jsonl"));
    assert!(cases.len() >= 400);
    let lines: Vec<String> = cases.iter().map(|(_, scenario, _)| scenario.clone()).collect();
    let cpython = common::oracle(&lines);
    for ((name, _, expected), theirs) in cases.iter().zip(&cpython) {
        let theirs: Value = serde_json::from_str(theirs).expect("oracle output is JSON");
        assert_eq!(
            &theirs, expected,
            "fixture {name:?} no longer matches CPython 3.13.0; regenerate with tests/oracle/catalogue.py"
        );
    }
}

fn time_seed() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    now.as_nanos() as u64
}

/// The generator reaches every kind of outcome (so the comparison above means something).
#[test]
fn random_scenarios_cover_every_outcome() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let mut pending = 0;
    for _ in 0..2000 {
        let out = run_line(&scenario(&mut rng).to_string(), Options { messages: true }).expect("valid");
        let out: Value = serde_json::from_str(&out).expect("json");
        pending += out["pending"].as_array().map_or(0, Vec::len);
        for event in out["events"].as_array().expect("events") {
            let r = &event["result"];
            let key = match (r.get("error"), r.get("ok")) {
                (Some(_), _) => {
                    format!("{}: {}", r["error"].as_str().unwrap_or(""), r["message"].as_str().unwrap_or(""))
                }
                (None, Some(Value::Bool(_))) => "at_eof".into(),
                _ => "data".into(),
            };
            *seen.entry(key).or_default() += 1;
        }
    }
    println!("{seen:#?}, pending {pending}");
    for needle in [
        "data",
        "at_eof",
        "IncompleteReadError",
        "LimitOverrunError: Separator is found",
        "LimitOverrunError: Separator is not found",
        "ValueError: Separator is found",
        "ValueError: Separator is not found",
        "ValueError: Separator should be at least",
        "ValueError: Separator should contain",
        "ValueError: readexactly size",
        "RuntimeError: read()",
        "RuntimeError: readuntil()",
        "RuntimeError: readexactly()",
        "ConnectionResetError",
    ] {
        let hits: usize = seen.iter().filter(|(k, _)| k.starts_with(needle)).map(|(_, n)| n).sum();
        assert!(hits >= 5, "the generator produced {needle:?} only {hits} times");
    }
    assert!(pending >= 50, "only {pending} ops were left pending");
}
