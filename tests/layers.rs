//! The house rule of `docs/design.md`: no module imports one above it. Every `crate::…` path
//! in `src/` is checked against the layer order of `src/lib.rs`'s header.

#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

/// Top to bottom; modules on one line may use each other.
const LAYERS: &[&[&str]] = &[
    &["js"],
    &["open", "serve"],
    &["trace"],
    &["stream"],
    &["transport"],
    &["demo", "protocol"],
    &["runtime"],
    &["sansio"],
];

/// What the crate root re-exports, by the module it comes from.
const REEXPORTS: &[(&str, &str)] = &[
    ("open_connection", "open"),
    ("OpenOptions", "open"),
    ("Relay", "open"),
    ("RelayProtocol", "open"),
    ("start_server", "serve"),
    ("Server", "serve"),
    ("ServerOptions", "serve"),
    ("StreamReader", "stream"),
    ("StreamWriter", "stream"),
    ("ReadTransport", "stream"),
    ("run", "runtime"),
    ("PyException", "sansio"),
    ("Separators", "sansio"),
    ("StreamError", "sansio"),
    ("DEFAULT_LIMIT", "sansio"),
];

fn layer(module: &str) -> Option<usize> {
    let module = REEXPORTS.iter().find(|(name, _)| *name == module).map_or(module, |(_, m)| m);
    LAYERS.iter().position(|names| names.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules named by `crate::NAME` in `code` (comments left out).
fn crate_paths(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                names.extend(
                    inner.split(',').map(|p| p.trim().split("::").next().unwrap_or_default().to_owned()),
                );
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                names.push(name);
            }
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut faults = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let top =
            rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if top == "lib" {
            continue;
        }
        let own =
            layer(&top).unwrap_or_else(|| panic!("src/{} is in no layer: add it to LAYERS", rel.display()));
        for name in crate_paths(&std::fs::read_to_string(file).unwrap()) {
            let Some(theirs) = layer(&name) else {
                faults.push(format!("src/{}: crate::{name} is in no layer", rel.display()));
                continue;
            };
            if theirs < own {
                faults.push(format!("src/{} ({top}) imports crate::{name}, a layer above it", rel.display()));
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn the_checker_sees_an_upward_import() {
    assert_eq!(
        crate_paths("use crate::stream::{A, B};\nlet x = crate::runtime::now(); // crate::js"),
        ["stream", "runtime"]
    );
    assert_eq!(crate_paths("use crate::{demo, transport};"), ["demo", "transport"]);
    assert!(layer("stream") < layer("transport"));
    assert_eq!(layer("StreamReader"), layer("stream"));
}
