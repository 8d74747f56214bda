//! `cargo xtask test-packages`: the packages as their users take them. Makes the artifacts
//! (`pack`), lays out a site — the hosts' own runtimes, each from its registry: npm's Pyodide
//! 0.29.3 and 314 (with PyPI's micropip beside 314, which its npm core lacks), PyScript's
//! `dist/` (JupyterLite's site is built by its test, tests/packages/jupyterlite/build.py) — serves it with `streamlab-relay --demo --static SITE`, and runs
//! `tests/packages/*.test.mjs` (node's test runner, puppeteer-core) in headless Chromium and
//! Firefox. Each test builds its project in the site from the artifacts alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pack::Packed;
use crate::run::{check, cmd, copy_tree, node_tests, output, root};
use crate::serve::{self, target_dir, Port, Served};
use crate::setup;

/// micropip as Pyodide 314's lock names it: its wheel comes from PyPI, its hash into the lock.
const MICROPIP: &str = "micropip==0.11.1";

pub fn run() -> Result<(), String> {
    let site = Site::start()?;
    let tests = node_tests("tests/packages")?;
    let mut args = vec!["--test", "--test-concurrency=1"];
    args.extend(tests.iter().map(String::as_str));
    check(&mut site.node(&args))
}

/// `cargo xtask bench-packages`: benches/packages.mjs against the site.
pub fn bench() -> Result<(), String> {
    let site = Site::start()?;
    check(&mut site.node(&["benches/packages.mjs"]))
}

/// The artifacts, and the site that serves them with the hosts' runtimes, until dropped.
pub struct Site {
    pub packed: Packed,
    pub dir: PathBuf,
    pub relay: Served,
}

impl Site {
    /// `pack`, the site's runtimes, and the relay serving it (`--demo --static`).
    pub fn start() -> Result<Site, String> {
        setup::browsers()?;
        let packed = crate::pack::build()?;
        let dir = target_dir().join("pack-site");
        let _ = std::fs::remove_dir_all(&dir);
        let modules = root().join("node_modules");
        copy_tree(&modules.join("pyodide"), &dir.join("pyodide-0.29.3"))?;
        copy_tree(&modules.join("pyodide-314"), &dir.join("pyodide-314"))?;
        micropip_into(&dir.join("pyodide-314"))?;
        copy_tree(&modules.join("@pyscript/core/dist"), &dir.join("pyscript-core"))?;
        let relay = serve::start_with(&dir, Port::Any, false, &[])?;
        eprintln!("==> the packages' site: {} ({})", relay.url, dir.display());
        Ok(Site { packed, dir, relay })
    }

    /// `node ARGS` with the site's settings in its environment (tests/packages/site.mjs).
    pub fn node(&self, args: &[&str]) -> Command {
        let mut node = cmd("node", args);
        node.env("STREAMLAB_SITE_DIR", &self.dir)
            .env("STREAMLAB_SITE_URL", &self.relay.url)
            .env("STREAMLAB_TARBALL", &self.packed.tarball)
            .env("STREAMLAB_WHEEL", &self.packed.wheel)
            // JupyterLite's build tools and the kernel's wheels, from PyPI, cached between runs.
            .env("STREAMLAB_TOOLS_DIR", target_dir().join("pack-tools/jupyterlite"));
        serve::die_with_parent(&mut node);
        node
    }
}

/// PyPI's micropip wheel beside a Pyodide 314 from npm, and its sha256 in that Pyodide's lock
/// (the lock names the CDN's build of the same version, whose hash differs).
fn micropip_into(pyodide: &Path) -> Result<(), String> {
    let wheels = target_dir().join("pack-tools/wheels");
    let wheel = wheels.join("micropip-0.11.1-py3-none-any.whl");
    if !wheel.is_file() {
        let to = wheels.display().to_string();
        check(&mut cmd(
            "python3",
            &[
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.13",
                "--dest",
                &to,
                MICROPIP,
            ],
        ))?;
    }
    let name = wheel.file_name().and_then(|n| n.to_str()).ok_or("micropip's wheel name")?;
    std::fs::copy(&wheel, pyodide.join(name)).map_err(|e| format!("{}: {e}", wheel.display()))?;
    let sum = sha256(&wheel)?;
    let lock_path = pyodide.join("pyodide-lock.json");
    let text = std::fs::read_to_string(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let mut lock: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let entry = lock
        .pointer_mut("/packages/micropip")
        .and_then(serde_json::Value::as_object_mut)
        .ok_or("pyodide-lock.json names no micropip")?;
    if entry.get("file_name").and_then(serde_json::Value::as_str) != Some(name) {
        return Err(format!("pyodide-lock.json's micropip is not {name}: update MICROPIP"));
    }
    entry.insert("sha256".into(), sum.into());
    std::fs::write(&lock_path, lock.to_string()).map_err(|e| format!("{}: {e}", lock_path.display()))
}

fn sha256(path: &Path) -> Result<String, String> {
    let out = output(&mut cmd("sha256sum", &[path.to_str().ok_or("a non-UTF-8 path")?]))?;
    out.split_whitespace()
        .next()
        .map(str::to_owned)
        .ok_or_else(|| format!("sha256sum {}: no sum", path.display()))
}
