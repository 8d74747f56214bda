//! Installing what the suites need on a bare machine, skipping what is already there.

use crate::run::{check, cmd, output};

/// The Rust target and components the build and the checks need (rust-toolchain.toml names
/// them too; rustup may or may not have installed them on its own).
pub fn rust() -> Result<(), String> {
    let targets = output(&mut cmd("rustup", &["target", "list", "--installed"]))?;
    if !targets.lines().any(|t| t.trim() == "wasm32-unknown-unknown") {
        check(&mut cmd("rustup", &["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let components = output(&mut cmd("rustup", &["component", "list", "--installed"]))?;
    for wanted in ["rustfmt", "clippy"] {
        if !components.lines().any(|c| c.starts_with(wanted)) {
            check(&mut cmd("rustup", &["component", "add", wanted]))?;
        }
    }
    Ok(())
}
