//! The `trace` example as a program: good input gives one result line per scenario; bad input
//! gives one line on stderr naming the line and field, and a non-zero exit — never a panic.

#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Builds the example (`cargo test --test trace_cli` alone would not) and returns its path.
///
/// With the workspace selected, as `cargo xtask test` selects it: a `streamlab`-only build
/// unifies dependency features differently, recompiles the library and overwrites
/// `libstreamlab.rlib` (a `cdylib` crate's rlib has no hash in its name) under the other
/// crates' feet.
fn trace_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--workspace", "--example", "trace", "--message-format=json"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build --example trace");
        assert!(out.status.success(), "cargo build --example trace failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find_map(|m| {
                m["executable"].as_str().filter(|_| m["target"]["name"] == "trace").map(PathBuf::from)
            })
            .expect("cargo reported the trace executable")
    })
    .clone()
}

fn trace(input: &str, args: &[&str]) -> Output {
    let mut child = Command::new(trace_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run trace");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("trace output")
}

#[test]
fn prints_one_result_line_per_scenario() {
    let out = trace(
        "{\"steps\":[{\"op\":\"readline\"},{\"op\":\"feed\",\"data\":\"610a62\"}]}\n\n{\"limit\":2,\"steps\":[{\"op\":\"at_eof\"}]}\n",
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"events\":[{\"step\":0,\"result\":{\"ok\":\"610a\"}}],\"pending\":[],\"buffer\":\"62\",\"at_eof\":false}\n\
         {\"events\":[{\"step\":0,\"result\":{\"ok\":false}}],\"pending\":[],\"buffer\":\"\",\"at_eof\":false}\n"
    );
}

#[test]
fn messages_flag_adds_exception_text() {
    let out = trace("{\"steps\":[{\"op\":\"eof\"},{\"op\":\"readexactly\",\"n\":2}]}\n", &["--messages"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"message\":\"0 bytes read on a total of 2 expected bytes\""), "{text}");
    assert!(text.contains("\"expected\":2"), "{text}");
}

#[test]
fn bad_input_names_line_and_field() {
    let good = "{\"steps\":[]}\n";
    let cases: &[(&str, &str)] = &[
        ("{not json", "line 2: (line): not JSON"),
        ("[1,2]", "line 2: (line): expected a JSON object"),
        ("{\"steps\":[{\"op\":\"jump\"}]}", "line 2: steps[0].op: unknown op \"jump\""),
        ("{\"steps\":[{\"op\":\"feed\",\"data\":\"6x\"}]}", "line 2: steps[0].data: invalid hex"),
        ("{\"steps\":[{\"op\":\"feed\",\"data\":\"616\"}]}", "line 2: steps[0].data: invalid hex"),
        ("{\"steps\":[{\"op\":\"feed\"}]}", "line 2: steps[0].data: missing"),
        ("{\"steps\":[{\"op\":\"read\",\"n\":1.5}]}", "line 2: steps[0].n: expected a whole number"),
        ("{\"steps\":[{\"op\":\"read\",\"n\":\"3\"}]}", "line 2: steps[0].n: expected a whole number"),
        (
            "{\"steps\":[{\"op\":\"readuntil\",\"sep\":[\"0a\",7]}]}",
            "line 2: steps[0].sep[1]: expected a hex string",
        ),
        (
            "{\"steps\":[{\"op\":\"eof\"},{\"op\":\"feed\",\"data\":\"61\"}]}",
            "line 2: steps[1]: feed after eof",
        ),
        ("{\"limit\":0,\"steps\":[]}", "line 2: limit: expected a whole number >= 1"),
        ("{\"limit\":-3,\"steps\":[]}", "line 2: limit: expected a whole number >= 1"),
        ("{\"stepz\":[]}", "line 2: stepz: unknown field"),
        ("{}", "line 2: steps: missing"),
        ("{\"steps\":{}}", "line 2: steps: expected an array"),
        ("{\"steps\":[{\"op\":\"eof\",\"n\":1}]}", "line 2: steps[0].n: unknown field"),
        ("{\"steps\":[{\"data\":\"61\"}]}", "line 2: steps[0].op: missing"),
        ("{\"steps\":[{\"op\":3}]}", "line 2: steps[0].op: expected a string"),
        ("{\"steps\":[\"eof\"]}", "line 2: steps[0]: expected a JSON object"),
    ];
    for (bad, expected) in cases {
        let out = trace(&format!("{good}{bad}\n{good}"), &[]);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{bad}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{bad}: one line, got {stderr:?}");
        assert!(stderr.starts_with(&format!("trace: {expected}")), "{bad}: got {stderr:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().lines().count(),
            1,
            "{bad}: the good line before it is answered"
        );
    }
}

#[test]
fn non_utf8_input_is_an_error_not_a_panic() {
    let mut child = Command::new(trace_bin()).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"{\"steps\":[]}\xff\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("trace: line 1: (line): not UTF-8"));
}

#[test]
fn unknown_option_exits_2() {
    let out = trace("", &["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option \"--bogus\""));
}
