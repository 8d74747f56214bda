//! Running commands: echo them, fail with what failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// A command run from the repository root.
pub fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args).current_dir(root());
    c
}

/// `cargo` — the one that runs xtask — with warnings as errors, as CI builds.
pub fn cargo(args: &[&str]) -> Command {
    let mut c = cmd(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()), args);
    c.env("RUSTFLAGS", "-D warnings");
    c
}

/// Runs `c`, showing it; an error names it when it fails.
pub fn check(c: &mut Command) -> Result<(), String> {
    eprintln!("==> {}", show(c));
    let status = c.status().map_err(|e| format!("could not start {}: {e}", show(c)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", show(c)))
    }
}

/// Runs `c` and returns its stdout; stderr passes through.
pub fn output(c: &mut Command) -> Result<String, String> {
    eprintln!("==> {}", show(c));
    let out = c.stderr(Stdio::inherit()).output().map_err(|e| format!("could not start {}: {e}", show(c)))?;
    if !out.status.success() {
        return Err(format!("{} failed ({})", show(c), out.status));
    }
    String::from_utf8(out.stdout).map_err(|_| format!("{} printed non-UTF-8", show(c)))
}

fn show(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Copies the file `from` to `to`; an error names both.
pub fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to).map(drop).map_err(|e| format!("{} → {}: {e}", from.display(), to.display()))
}

/// Copies the folder `from` into `to` (made if missing), recursively — less Python's
/// `__pycache__/` folders, which a local run may have left beside the sources.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_name() == "__pycache__" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// The `*.test.mjs` files of the repository's folder `folder`, sorted, as paths from the root
/// (what `node --test` runs); an error when there are none.
pub fn node_tests(folder: &str) -> Result<Vec<String>, String> {
    let mut tests: Vec<String> = std::fs::read_dir(root().join(folder))
        .map_err(|e| format!("{folder}: {e}"))?
        .filter_map(Result::ok)
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.mjs"))
        .map(|name| format!("{folder}/{name}"))
        .collect();
    tests.sort();
    if tests.is_empty() {
        return Err(format!("{folder} holds no *.test.mjs"));
    }
    Ok(tests)
}
