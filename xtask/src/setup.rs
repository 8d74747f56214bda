//! Installing what the suites need on a bare machine, skipping what is already there.

use crate::run::{check, cmd, output, root};

/// The Rust target and components the build and the checks need (there is no
/// rust-toolchain.toml: these machines cannot fetch another toolchain, so the one installed is
/// completed instead).
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

/// Headless Chromium and Firefox with their drivers (Debian's packages; geckodriver from
/// crates.io) and wasm-bindgen's test runner, pinned to the crate's version. Returns the
/// geckodriver path.
pub fn browsers() -> Result<String, String> {
    apt(
        &[("chromium", "--version"), ("chromedriver", "--version"), ("firefox-esr", "--version")],
        &["chromium", "chromium-driver", "firefox-esr"],
    )?;
    wasm_bindgen()?;
    let home = std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()));
    let gecko = format!("{home}/bin/geckodriver");
    if output(&mut cmd(&gecko, &["--version"])).is_err() {
        check(&mut cmd("cargo", &["install", "--locked", "geckodriver"]))?;
    }
    Ok(gecko)
}

/// wasm-bindgen-cli (`wasm-bindgen` and the test runner), pinned to the crate's version.
pub fn wasm_bindgen() -> Result<(), String> {
    let bindgen = output(&mut cmd("wasm-bindgen", &["--version"])).unwrap_or_default();
    if bindgen.trim() != "wasm-bindgen 0.2.130" {
        // Not --locked: its lock file pins a webpki-roots the registry no longer has.
        check(&mut cmd("cargo", &["install", "wasm-bindgen-cli", "--version", "0.2.130", "--force"]))?;
    }
    Ok(())
}

/// Node.js and npm (Debian's packages) when missing.
pub fn node() -> Result<(), String> {
    apt(&[("npm", "--version"), ("node", "--version")], &["nodejs", "npm"])
}

/// nginx (Debian's package), which the deployment recipe's test runs in front of two relays.
pub fn nginx() -> Result<(), String> {
    apt(&[("nginx", "-v")], &["nginx"])
}

/// Installs Debian `packages` when any of `commands` (run with their version flag) fails.
fn apt(commands: &[(&str, &str)], packages: &[&str]) -> Result<(), String> {
    if commands.iter().all(|(c, flag)| output(&mut cmd(c, &[flag])).is_ok()) {
        return Ok(());
    }
    check(&mut cmd("apt-get", &["update", "-q"]))?;
    let mut install = cmd("apt-get", &["install", "-y", "-q"]);
    install.args(packages).env("DEBIAN_FRONTEND", "noninteractive");
    check(&mut install)
}

/// wasm-pack from crates.io, for running the browser suite the way wasm users do.
pub fn wasm_pack() -> Result<(), String> {
    if output(&mut cmd("wasm-pack", &["--version"])).is_err() {
        check(&mut cmd("cargo", &["install", "--locked", "wasm-pack"]))?;
    }
    Ok(())
}
