//! The TypeScript check: the declarations `wasm-bindgen --target web` writes for the wasm
//! build (`streamlab.d.ts`) type-check a typed program over the whole JS API
//! (`tests/typescript/example.ts`) under `tsc --strict`, once with the default libs and once
//! with `lib: ["esnext", "dom"]`. TypeScript comes from npm, pinned by
//! `tests/typescript/package-lock.json`, into `tests/typescript/node_modules`.

use std::path::PathBuf;

use crate::run::{cargo, check, cmd, output, root};
use crate::setup;

/// The project of the check, and the folder the declarations are written to (the example
/// imports `../../target/typescript/pkg/streamlab.js`).
const PROJECT: &str = "tests/typescript";
const PKG: &str = "target/typescript/pkg";

/// The configurations: (what, tsconfig).
const CONFIGS: [(&str, &str); 2] = [
    ("the default libs", "tests/typescript/tsconfig.json"),
    ("lib esnext + dom", "tests/typescript/tsconfig.esnext.json"),
];

pub fn run() -> Result<(), String> {
    setup::rust()?;
    setup::wasm_bindgen()?;
    let tsc = typescript()?;
    check(&mut cargo(&["build", "--target", "wasm32-unknown-unknown", "-p", "streamlab"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let wasm = target.join("wasm32-unknown-unknown/debug/streamlab.wasm");
    let _ = std::fs::remove_dir_all(root().join(PKG));
    check(&mut cmd(
        "wasm-bindgen",
        &["--target", "web", "--out-dir", PKG, wasm.to_str().ok_or("a non-UTF-8 target path")?],
    ))?;
    for (what, config) in CONFIGS {
        // tsc prints its errors (on stdout, passed through) before this fails.
        check(&mut cmd(&tsc, &["--project", config, "--pretty", "false"]))
            .map_err(|e| format!("streamlab.d.ts does not type-check with {what}: {e}"))?;
        eprintln!("==> tsc --strict passed with {what}");
    }
    Ok(())
}

/// `tsc` of the version `package.json` pins, installed by `npm ci` (the lock file, nothing else)
/// unless it is already there; returns its path.
fn typescript() -> Result<String, String> {
    let dir = root().join(PROJECT);
    let manifest = std::fs::read_to_string(dir.join("package.json"))
        .map_err(|e| format!("{PROJECT}/package.json: {e}"))?;
    let pinned = pinned_version(&manifest, "typescript")
        .ok_or_else(|| format!("{PROJECT}/package.json pins no typescript version"))?;
    let tsc = dir.join("node_modules/.bin/tsc").display().to_string();
    let installed = output(&mut cmd(&tsc, &["--version"])).unwrap_or_default();
    if installed.trim() != format!("Version {pinned}") {
        setup::node()?;
        let mut ci = cmd("npm", &["ci", "--no-audit", "--no-fund"]);
        ci.current_dir(&dir);
        check(&mut ci)?;
    }
    Ok(tsc)
}

/// The exact version a `package.json` pins for `package`, e.g. `"typescript": "5.9.3"`.
fn pinned_version(manifest: &str, package: &str) -> Option<String> {
    let key = format!("\"{package}\"");
    let rest = manifest[manifest.find(&key)? + key.len()..].trim_start().strip_prefix(':')?;
    let version = rest.trim_start().strip_prefix('"')?.split('"').next()?;
    version.chars().all(|c| c.is_ascii_digit() || c == '.').then(|| version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::pinned_version;

    #[test]
    fn reads_an_exact_pin_only() {
        let manifest = r#"{ "devDependencies": { "typescript": "5.9.3" } }"#;
        assert_eq!(pinned_version(manifest, "typescript").as_deref(), Some("5.9.3"));
        assert_eq!(pinned_version(r#"{"typescript":"^5.9.3"}"#, "typescript"), None);
        assert_eq!(pinned_version("{}", "typescript"), None);
    }
}
