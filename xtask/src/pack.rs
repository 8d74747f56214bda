//! `cargo xtask pack`: streamlab as its users install it, into `target/pack/` —
//!
//! * `streamlab-VERSION.tgz`, the npm package (`npm pack`): `.` the JS API (wasm-bindgen's
//!   module, its wasm found relative to `import.meta.url`, TypeScript types), `./element`
//!   (`<stream-playground>`, views, styles and Python), `./streamlab.py`;
//! * `streamlab-VERSION-py3-none-any.whl`, the Pyodide wheel (`pip wheel`, flit_core): the
//!   page's `streamlab.py` as the `streamlab` package, with the wasm and its glue as package
//!   data (`streamlab/wasm/`).
//!
//! Both are made from the release page build (`dist/`, as `serve` builds it), so they hold the
//! very module the playground runs. Their sources beside the page's are in `packages/`.

use std::path::{Path, PathBuf};

use crate::run::{check, cmd, copy, copy_tree, root};
use crate::serve::{self, target_dir};
use crate::services::cpython;

/// The npm tarball may not grow past this (issue 20's budget).
pub const TARBALL_BUDGET: u64 = 400 * 1024;
/// The wheel may not grow past this.
pub const WHEEL_BUDGET: u64 = 250 * 1024;

/// What `pack` made.
pub struct Packed {
    pub tarball: PathBuf,
    pub wheel: PathBuf,
}

pub fn run() -> Result<(), String> {
    let packed = build()?;
    for (path, budget) in [(&packed.tarball, TARBALL_BUDGET), (&packed.wheel, WHEEL_BUDGET)] {
        println!("{} ({} KiB; budget {} KiB)", path.display(), size(path)? / 1024, budget / 1024);
    }
    Ok(())
}

/// Builds `dist/` and both artifacts; fails when one is over its budget.
pub fn build() -> Result<Packed, String> {
    let version = version()?;
    let dist = serve::prepare()?;
    let out = target_dir().join("pack");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let tarball = npm(&dist, &out, &version)?;
    let wheel = wheel(&dist, &out, &version)?;
    for (path, budget) in [(&tarball, TARBALL_BUDGET), (&wheel, WHEEL_BUDGET)] {
        let bytes = size(path)?;
        if bytes > budget {
            return Err(format!("{} is {bytes} bytes, over its budget of {budget}", path.display()));
        }
    }
    Ok(Packed { tarball, wheel })
}

/// The crate's version, which `packages/npm/package.json` and `packages/python/pyproject.toml`
/// must repeat.
fn version() -> Result<String, String> {
    let read = |path: &str| std::fs::read_to_string(root().join(path)).map_err(|e| format!("{path}: {e}"));
    let field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(|rest| rest.trim_matches(|c: char| c == ' ' || c == '=' || c == ':' || c == '"' || c == ','))
            .map(str::to_owned)
    };
    let cargo = field(&read("Cargo.toml")?, "version =").ok_or("Cargo.toml has no version")?;
    for (path, key) in
        [("packages/npm/package.json", "\"version\""), ("packages/python/pyproject.toml", "version =")]
    {
        let theirs = field(&read(path)?, key).ok_or_else(|| format!("{path} has no version"))?;
        if theirs != cargo {
            return Err(format!("{path} says version {theirs}, Cargo.toml {cargo}: make them equal"));
        }
    }
    Ok(cargo)
}

/// The npm package, staged in `out/npm/` and packed by `npm pack`.
fn npm(dist: &Path, out: &Path, version: &str) -> Result<PathBuf, String> {
    let stage = out.join("npm");
    copy_tree(&root().join("packages/npm"), &stage)?;
    copy_tree(&dist.join("snippets"), &stage.join("snippets"))?;
    copy_tree(&dist.join("js"), &stage.join("js"))?;
    copy_tree(&dist.join("py"), &stage.join("py"))?;
    for name in ["streamlab.js", "streamlab_bg.wasm", "streamlab.d.ts", "style.css"] {
        copy(&dist.join(name), &stage.join(name))?;
    }
    serve::npm_tools()?;
    let destination = out.display().to_string();
    check(
        cmd("npm", &["pack", "--pack-destination", &destination])
            .current_dir(&stage)
            .stdout(std::io::stderr()),
    )?;
    found(out.join(format!("streamlab-{version}.tgz")))
}

/// The wheel, staged in `out/python/` and built by `pip wheel` (flit_core from PyPI).
fn wheel(dist: &Path, out: &Path, version: &str) -> Result<PathBuf, String> {
    let stage = out.join("python");
    copy_tree(&root().join("packages/python"), &stage)?;
    let package = stage.join("streamlab");
    let data = package.join("wasm");
    copy_tree(&dist.join("snippets"), &data.join("snippets"))?;
    for name in ["streamlab.js", "streamlab_bg.wasm"] {
        copy(&dist.join(name), &data.join(name))?;
    }
    copy(&dist.join("py/streamlab.py"), &package.join("__init__.py"))?;
    let (stage_s, out_s) = (stage.display().to_string(), out.display().to_string());
    // The CPython the project tests against (the wheel requires ≥ 3.12, as Pyodide's do).
    let mut pip = cpython()?;
    pip.args(["-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", &out_s, &stage_s])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .stdout(std::io::stderr());
    check(&mut pip)?;
    found(out.join(format!("streamlab-{version}-py3-none-any.whl")))
}

fn found(path: PathBuf) -> Result<PathBuf, String> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} was not made", path.display()))
    }
}

fn size(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path).map(|m| m.len()).map_err(|e| format!("{}: {e}", path.display()))
}
