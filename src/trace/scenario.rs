//! [`Scenario`]: one line of trace input, parsed strictly.
//!
//! `{"limit": N, "steps": [...]}` with steps `{"op":"feed","data":HEX}`, `{"op":"eof"}`,
//! `{"op":"read","n":N}`, `{"op":"readline"}`, `{"op":"readexactly","n":N}`,
//! `{"op":"readuntil","sep":HEX | [HEX, ...]}`, `{"op":"at_eof"}` and
//! `{"op":"set_exception"}` (stores `ConnectionResetError('Connection lost')`).

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::sansio::Separators;

/// A parsed scenario: a reader's limit and what happens to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The reader's `limit` (default 65536).
    pub limit: usize,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `feed_data(data)`.
    Feed(Bytes),
    /// `feed_eof()`.
    Eof,
    /// `set_exception(ConnectionResetError('Connection lost'))`.
    SetException,
    /// `at_eof()`, answered at once.
    AtEof,
    /// `read(n)`, started as a task.
    Read(isize),
    /// `readline()`, started as a task.
    ReadLine,
    /// `readexactly(n)`, started as a task.
    ReadExactly(isize),
    /// `readuntil(sep)`, started as a task.
    ReadUntil(Separators),
}

/// Why a line is not a scenario: which field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ScenarioError {
    /// The field's path, e.g. `steps[2].data`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError { field: field.into(), message: message.into() }
}

impl Scenario {
    /// Parses one JSON line.
    ///
    /// ```
    /// use streamlab::trace::{Scenario, Step};
    /// let s = Scenario::parse(r#"{"limit":3,"steps":[{"op":"feed","data":"6162"},{"op":"eof"}]}"#).unwrap();
    /// assert_eq!(s.limit, 3);
    /// assert_eq!(s.steps[1], Step::Eof);
    /// let err = Scenario::parse(r#"{"steps":[{"op":"feed","data":"6x"}]}"#).unwrap_err();
    /// assert_eq!(err.field, "steps[0].data");
    /// ```
    ///
    /// # Errors
    /// Malformed JSON, unknown or missing fields, unknown ops, bad hex, out-of-range numbers,
    /// and a `feed` after `eof` (CPython's `AssertionError`).
    pub fn parse(line: &str) -> Result<Scenario, ScenarioError> {
        let value: Value = serde_json::from_str(line).map_err(|e| bad("(line)", format!("not JSON: {e}")))?;
        let obj = value.as_object().ok_or_else(|| bad("(line)", "expected a JSON object"))?;
        only_keys(obj, "", &["limit", "steps"])?;
        let limit = match obj.get("limit") {
            None => crate::DEFAULT_LIMIT,
            Some(v) => v
                .as_u64()
                .filter(|&n| n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| bad("limit", format!("expected a whole number >= 1, got {v}")))?,
        };
        let steps = obj
            .get("steps")
            .ok_or_else(|| bad("steps", "missing"))?
            .as_array()
            .ok_or_else(|| bad("steps", "expected an array"))?;
        let mut parsed = Vec::with_capacity(steps.len());
        let mut eof = false;
        for (i, step) in steps.iter().enumerate() {
            let step = parse_step(step, &format!("steps[{i}]"))?;
            match step {
                Step::Feed(_) if eof => return Err(bad(format!("steps[{i}]"), "feed after eof")),
                Step::Eof => eof = true,
                _ => {}
            }
            parsed.push(step);
        }
        Ok(Scenario { limit, steps: parsed })
    }
}

fn parse_step(step: &Value, at: &str) -> Result<Step, ScenarioError> {
    let obj = step.as_object().ok_or_else(|| bad(at, "expected a JSON object"))?;
    let op = obj
        .get("op")
        .ok_or_else(|| bad(format!("{at}.op"), "missing"))?
        .as_str()
        .ok_or_else(|| bad(format!("{at}.op"), "expected a string"))?;
    let fields: &[&str] = match op {
        "feed" => &["op", "data"],
        "read" | "readexactly" => &["op", "n"],
        "readuntil" => &["op", "sep"],
        "eof" | "readline" | "at_eof" | "set_exception" => &["op"],
        other => return Err(bad(format!("{at}.op"), format!("unknown op {other:?}"))),
    };
    only_keys(obj, &format!("{at}."), fields)?;
    let field = |name: &str| obj.get(name).ok_or_else(|| bad(format!("{at}.{name}"), "missing"));
    Ok(match op {
        "feed" => Step::Feed(hex_field(field("data")?, &format!("{at}.data"))?),
        "eof" => Step::Eof,
        "set_exception" => Step::SetException,
        "at_eof" => Step::AtEof,
        "readline" => Step::ReadLine,
        "read" => Step::Read(int_field(field("n")?, &format!("{at}.n"))?),
        "readexactly" => Step::ReadExactly(int_field(field("n")?, &format!("{at}.n"))?),
        _ => Step::ReadUntil(sep_field(field("sep")?, &format!("{at}.sep"))?),
    })
}

fn only_keys(obj: &Map<String, Value>, prefix: &str, allowed: &[&str]) -> Result<(), ScenarioError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(bad(format!("{prefix}{k}"), "unknown field")),
        None => Ok(()),
    }
}

fn int_field(v: &Value, at: &str) -> Result<isize, ScenarioError> {
    v.as_i64()
        .and_then(|n| isize::try_from(n).ok())
        .ok_or_else(|| bad(at, format!("expected a whole number, got {v}")))
}

fn hex_field(v: &Value, at: &str) -> Result<Bytes, ScenarioError> {
    let s = v.as_str().ok_or_else(|| bad(at, format!("expected a hex string, got {v}")))?;
    hex::decode(s).map(Bytes::from).map_err(|e| bad(at, format!("invalid hex: {e}")))
}

fn sep_field(v: &Value, at: &str) -> Result<Separators, ScenarioError> {
    match v {
        Value::Array(items) => {
            let seps = items
                .iter()
                .enumerate()
                .map(|(i, item)| hex_field(item, &format!("{at}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Separators::tuple(seps))
        }
        other => hex_field(other, at).map(Separators::one),
    }
}
