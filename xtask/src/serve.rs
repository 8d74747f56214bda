//! `cargo xtask serve [--port N]`: the playground. Installs what is missing (trunk 0.21.14,
//! wasm-bindgen-cli 0.2.130, the wasm32 target, binaryen 132 and puppeteer-core from npm),
//! builds the release page into `dist/` with trunk, starts `streamlab-relay --demo --static
//! dist` on 127.0.0.1 (port 8765, another free one if that is taken, or `--port N`), prints the
//! page's URL and serves until Ctrl-C, which stops the relay too.
//!
//! The pieces are public for the e2e suite: [`prepare`] (tools and `dist/`) and [`start`]
//! (the relay, ended when its [`Served`] guard is dropped).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::run::{cargo, check, cmd, output, root};
use crate::setup;

/// The relay's port unless told otherwise.
pub const DEFAULT_PORT: u16 = 8765;
const TRUNK_VERSION: &str = "0.21.14";

/// Which port the relay listens on.
#[derive(Clone, Copy, Debug)]
pub enum Port {
    /// 8765, or any free port if that one is taken.
    Default,
    /// This one, or fail.
    Exactly(u16),
    /// Any free port.
    Any,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let port = match args {
        [] => Port::Default,
        [flag, n] if flag == "--port" => Port::Exactly(
            n.parse()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("--port: expected 1 to 65535, got {n:?}"))?,
        ),
        _ => return Err("serve: expected no option or --port N".into()),
    };
    if let Port::Exactly(p) = port {
        // Before the build, not after it.
        std::net::TcpListener::bind(("127.0.0.1", p)).map_err(|e| format!("127.0.0.1:{p}: {e}"))?;
    }
    let started = Instant::now();
    let dist = prepare()?;
    let served = start(&dist, port, true)?;
    sigint::catch();
    eprintln!("==> ready in {:.0} s; Ctrl-C stops it", started.elapsed().as_secs_f64());
    println!("streamlab playground: {}", served.url);
    let _ = std::io::stdout().flush();
    let mut served = served;
    loop {
        if sigint::caught() {
            eprintln!("==> stopping the relay");
            drop(served);
            return Ok(());
        }
        if let Some(status) = served.child.try_wait().map_err(|e| e.to_string())? {
            // A terminal's Ctrl-C reaches the relay too, which may end first.
            if sigint::caught() {
                continue;
            }
            return Err(format!("the relay stopped by itself ({status})"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Installs what the page build needs and builds the release page into `dist/`; returns
/// `dist/`'s path.
pub fn prepare() -> Result<PathBuf, String> {
    setup::rust()?;
    setup::wasm_bindgen()?;
    trunk()?;
    let bin = npm_tools()?;
    build_dist(&bin)
}

/// `trunk build --release` into `dist/`, offline, with npm's binaryen 132 first on PATH for
/// wasm-opt (Trunk.toml pins `version_132`, so another wasm-opt fails loudly).
fn build_dist(npm_bin: &Path) -> Result<PathBuf, String> {
    let mut path = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect::<Vec<_>>();
    path.insert(0, cargo_bin());
    path.insert(0, npm_bin.to_path_buf());
    let path = std::env::join_paths(path).map_err(|e| e.to_string())?;
    let mut build = cmd("trunk", &["build", "--release"]);
    build
        .env("PATH", path)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("RUSTFLAGS", "-D warnings")
        .env("NO_COLOR", "true")
        // stdout is for the page's URL alone.
        .stdout(std::io::stderr());
    let started = Instant::now();
    check(&mut build)?;
    eprintln!("==> trunk build --release took {:.1} s", started.elapsed().as_secs_f64());
    let dist = root().join("dist");
    if !dist.join("index.html").is_file() {
        return Err(format!("trunk wrote no {}", dist.join("index.html").display()));
    }
    pyodide_into(&dist)?;
    Ok(dist)
}

/// The files of npm's Pyodide the page loads (CPython 3.13 and its standard library).
const PYODIDE_FILES: [&str; 5] =
    ["pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"];

/// Copies Pyodide (npm, pinned by package-lock.json) into `dist/pyodide/`, with gzipped
/// copies of the two big files for servers that send precompressed files (the relay does).
fn pyodide_into(dist: &Path) -> Result<(), String> {
    let from = root().join("node_modules/pyodide");
    let to = dist.join("pyodide");
    std::fs::create_dir_all(&to).map_err(|e| format!("{}: {e}", to.display()))?;
    for name in PYODIDE_FILES {
        let (src, dst) = (from.join(name), to.join(name));
        std::fs::copy(&src, &dst).map_err(|e| format!("{} (npm ci installs it): {e}", src.display()))?;
    }
    for name in ["pyodide.asm.wasm", "pyodide.asm.js"] {
        check(&mut cmd("gzip", &["-9", "--keep", "--force", &to.join(name).display().to_string()]))?;
    }
    Ok(())
}

/// The relay serving the page, ended (SIGTERM, then SIGKILL) when dropped.
pub struct Served {
    child: Child,
    /// The page's URL, `http://127.0.0.1:PORT/`.
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Builds `streamlab-relay` and starts it with `--demo --static DIST` on 127.0.0.1; returns
/// once it listens. Its log goes to stderr; with `echo`, its start-up lines after the first
/// are passed on to stderr too.
pub fn start(dist: &Path, port: Port, echo: bool) -> Result<Served, String> {
    start_with(dist, port, echo, &[])
}

/// [`start`], with more of the relay's options (`--allow 127.0.0.1:PORT`, …).
pub fn start_with(dist: &Path, port: Port, echo: bool, extra: &[String]) -> Result<Served, String> {
    check(&mut cargo(&["build", "--release", "--package", "streamlab-relay", "--bin", "streamlab-relay"]))?;
    let port = match port {
        Port::Exactly(p) => p,
        Port::Any => 0,
        Port::Default if std::net::TcpListener::bind(("127.0.0.1", DEFAULT_PORT)).is_ok() => DEFAULT_PORT,
        Port::Default => {
            eprintln!("==> 127.0.0.1:{DEFAULT_PORT} is taken: the relay takes a free port");
            0
        }
    };
    let relay = target_dir().join("release/streamlab-relay");
    let listen = format!("127.0.0.1:{port}");
    let dist = dist.to_str().ok_or("a non-UTF-8 dist path")?;
    let mut command = Command::new(&relay);
    command
        .args(["--demo", "--static", dist, "--listen", &listen])
        .args(extra)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    die_with_parent(&mut command);
    eprintln!("==> {} --demo --static {dist} --listen {listen}", relay.display());
    let mut child = command.spawn().map_err(|e| format!("could not start {}: {e}", relay.display()))?;
    let stdout = child.stdout.take().ok_or("the relay has no stdout")?;
    let mut lines = BufReader::new(stdout);
    let mut first = String::new();
    let read = lines.read_line(&mut first);
    let url = first.split_whitespace().find(|w| w.starts_with("http://")).map(str::to_owned);
    let Some(url) = url else {
        stop(&mut child);
        return Err(match read {
            Err(e) => format!("reading the relay's first line: {e}"),
            Ok(_) if port != 0 => format!("the relay did not start (is 127.0.0.1:{port} taken?)"),
            Ok(_) => format!("the relay printed no URL: {first:?}"),
        });
    };
    // The rest of its start-up lines (which demo servers run): shown, or read and dropped.
    std::thread::spawn(move || {
        for line in lines.lines().map_while(Result::ok) {
            if echo {
                eprintln!("{line}");
            }
        }
    });
    Ok(Served { child, url })
}

/// trunk 0.21.14 (`cargo install --locked`, ~7.5 min) unless it is there; if another
/// `cargo install … trunk` is running, waits for it instead of building it twice.
fn trunk() -> Result<(), String> {
    let wanted = format!("trunk {TRUNK_VERSION}");
    let installed = || {
        let trunk = cargo_bin().join("trunk");
        let version = |program: &str| output(&mut cmd(program, &["--version"])).unwrap_or_default();
        version("trunk").trim() == wanted || version(trunk.to_str().unwrap_or("trunk")).trim() == wanted
    };
    if installed() {
        return Ok(());
    }
    if installing_trunk() {
        eprintln!("==> another `cargo install trunk` is running: waiting for it");
        while installing_trunk() {
            std::thread::sleep(Duration::from_secs(5));
        }
        if installed() {
            return Ok(());
        }
    }
    check(&mut cmd("cargo", &["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

/// Whether some process is a `cargo install … trunk …`.
fn installing_trunk() -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else { return false };
    procs.filter_map(Result::ok).any(|p| {
        let Ok(raw) = std::fs::read(p.path().join("cmdline")) else { return false };
        let args: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
        let program = args.first().and_then(|a| a.rsplit(|&b| b == b'/').next());
        program == Some(b"cargo") && args.contains(&&b"install"[..]) && args.contains(&&b"trunk"[..])
    })
}

/// binaryen 132 (wasm-opt for trunk) and puppeteer-core (the e2e tests) from npm into
/// `node_modules/`, exactly as `package-lock.json` says: `npm ci` when node_modules is missing
/// or was installed from another lock file. Returns `node_modules/.bin`.
pub fn npm_tools() -> Result<PathBuf, String> {
    let lock_path = root().join("package-lock.json");
    let lock = std::fs::read(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let modules = root().join("node_modules");
    let stamp = modules.join(".streamlab-package-lock.json");
    let bin = modules.join(".bin");
    let wasm_opt = bin.join("wasm-opt");
    let current = std::fs::read(&stamp).is_ok_and(|s| s == lock) && wasm_opt.is_file();
    if !current {
        setup::node()?;
        check(cmd("npm", &["ci", "--no-audit", "--no-fund"]).stdout(std::io::stderr()))?;
        std::fs::write(&stamp, &lock).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    let version = output(&mut cmd(wasm_opt.to_str().ok_or("a non-UTF-8 path")?, &["--version"]))?;
    if !version.contains("version 132") {
        return Err(format!("{} is {version:?}, not binaryen 132: check package.json", wasm_opt.display()));
    }
    Ok(bin)
}

/// `$CARGO_HOME/bin`, where `cargo install` puts trunk and wasm-bindgen.
fn cargo_bin() -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()));
    PathBuf::from(home).join("bin")
}

/// Cargo's target directory (`$CARGO_TARGET_DIR`, else `target/`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Ends `child`: SIGTERM (the relay closes its sessions), then SIGKILL after 6 s.
pub fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    #[cfg(unix)]
    {
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) on our own child's pid, which is not reaped yet.
            unsafe { sys::kill(pid, sys::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(6);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// On Linux the child gets SIGTERM when xtask dies, however it dies: no relay is left behind.
pub fn die_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl(2) is async-signal-safe and touches no memory of ours.
        unsafe {
            command.pre_exec(|| {
                sys::prctl(sys::PR_SET_PDEATHSIG, sys::SIGTERM as std::ffi::c_ulong);
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

#[cfg(unix)]
mod sys {
    use std::ffi::c_int;

    pub const SIGINT: c_int = 2;
    pub const SIGTERM: c_int = 15;
    #[cfg(target_os = "linux")]
    pub const PR_SET_PDEATHSIG: c_int = 1;

    extern "C" {
        pub fn kill(pid: c_int, sig: c_int) -> c_int;
        pub fn signal(signum: c_int, handler: usize) -> usize;
        #[cfg(target_os = "linux")]
        pub fn prctl(option: c_int, ...) -> c_int;
    }
}

/// Ctrl-C: noted, so that `serve` stops the relay and returns instead of dying with it running.
mod sigint {
    use super::{AtomicBool, Ordering};

    static CAUGHT: AtomicBool = AtomicBool::new(false);

    #[cfg(unix)]
    extern "C" fn note(_: std::ffi::c_int) {
        CAUGHT.store(true, Ordering::SeqCst);
    }

    pub fn catch() {
        #[cfg(unix)]
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            super::sys::signal(super::sys::SIGINT, note as extern "C" fn(std::ffi::c_int) as usize);
        }
    }

    pub fn caught() -> bool {
        CAUGHT.load(Ordering::SeqCst)
    }
}
