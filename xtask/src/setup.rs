//! Installing what the suites need on a bare machine, skipping what is already there.

use crate::run::{check, cmd, output, root};

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

/// websocat 1.14 from crates.io (the relay benchmark's peer); returns its path.
pub fn websocat() -> Result<String, String> {
    let home = std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()));
    let bin = format!("{home}/bin/websocat");
    let version = output(&mut cmd(&bin, &["--version"])).unwrap_or_default();
    if !version.contains("1.14") {
        check(&mut cmd("cargo", &["install", "websocat", "--locked", "--version", "1.14.1"]))?;
    }
    Ok(bin)
}

/// websockify 0.13 with numpy from PyPI, in a virtual environment under target/; returns its
/// path.
pub fn websockify() -> Result<String, String> {
    let venv = root().join("target/bench-tools/websockify");
    let bin = venv.join("bin/websockify");
    let ready = cmd(bin.to_str().unwrap_or_default(), &["--help"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        check(&mut cmd("python3", &["-m", "venv", venv.to_str().unwrap_or_default()]))?;
        let pip = venv.join("bin/pip");
        check(&mut cmd(
            pip.to_str().unwrap_or_default(),
            &["install", "--quiet", "websockify==0.13.0", "numpy"],
        ))?;
    }
    Ok(bin.display().to_string())
}
