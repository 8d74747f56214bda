//! The browser suites: `tests/browser/` compiled to wasm and run by wasm-bindgen's test
//! runner in headless Chromium, then in headless Firefox, against real services started
//! here: the relay (demo servers on) and loopback fixtures, a second relay with a short idle
//! timeout and a per-address cap of 2, and a websockify fixed to the echo fixture. CPython
//! 3.13.0 runs the streams differential scenarios against the same fixtures first; its
//! transcripts are baked into the suite (`STREAMLAB_CPYTHON_STREAMS`).

use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::run::{cargo, check, root};
use crate::services::{cpython, start_fixtures, Service};
use crate::setup;

/// A port nothing listens on now, on 127.0.0.1.
pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Waits (20 s at most) until something listens on 127.0.0.1:`port`.
pub fn wait_listening(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("nothing listens on 127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The relay's `ws://…` URL from its start-up line.
fn relay_url(service: &Service) -> Result<String, String> {
    let url = service
        .first_line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or("the relay printed no URL")?;
    Ok(url.trim_end_matches('/').replacen("http://", "ws://", 1))
}

/// Runs the suite (or the tests named by `only`) with `cargo test` in each browser; with
/// `wasm_pack`, also through
/// `wasm-pack test --headless --chrome --firefox` (how wasm users run browser tests).
pub fn run(wasm_pack: bool, only: Option<&str>) -> Result<(), String> {
    let geckodriver = setup::browsers()?;
    if wasm_pack {
        setup::wasm_pack()?;
    }
    let websockify = setup::websockify()?;
    check(&mut cargo(&[
        "build",
        "--release",
        "--package",
        "streamlab-relay",
        "--bin",
        "streamlab-relay",
        "--example",
        "fixtures",
    ]))?;
    let target = root().join("target/release");
    let (fixtures, ports) = start_fixtures()?;
    let port = |name: &str| {
        ports.iter().find(|(k, _)| k == name).map(|&(_, p)| p).ok_or(format!("no {name} fixture"))
    };
    // CPython's side of the streams differential suite, against these very fixtures.
    let cpython_streams = cpython_streams(fixtures.first_line.trim())?;

    let page = free_port()?;
    let origin = format!("http://127.0.0.1:{page}");
    let relay_bin = target.join("streamlab-relay").display().to_string();
    let relay_args = |extra: &[&str]| -> Vec<String> {
        let base = ["--listen", "127.0.0.1:0", "--quiet", "--demo", "--origin", origin.as_str()];
        base.iter().chain(extra).map(|a| (*a).to_owned()).collect()
    };
    let mut args = relay_args(&["--connect-timeout", "1", "--max-per-ip", "64"]);
    for (_, p) in &ports {
        args.extend(["--allow".to_owned(), format!("127.0.0.1:{p}")]);
    }
    let relay = Service::start(&relay_bin, &args, true)?;
    let idle_relay =
        Service::start(&relay_bin, &relay_args(&["--idle-timeout", "0.5", "--max-per-ip", "2"]), true)?;
    let ws_port = free_port()?;
    let _websockify = Service::start(
        &websockify,
        &[format!("127.0.0.1:{ws_port}"), format!("127.0.0.1:{}", port("echo")?)],
        false,
    )?;
    wait_listening(ws_port)?;

    let envs = [
        ("STREAMLAB_RELAY", relay_url(&relay)?),
        ("STREAMLAB_IDLE_RELAY", relay_url(&idle_relay)?),
        ("STREAMLAB_WEBSOCKIFY", format!("ws://127.0.0.1:{ws_port}")),
        ("STREAMLAB_FIXTURES", fixtures.first_line.trim().to_owned()),
        ("STREAMLAB_CPYTHON_STREAMS", cpython_streams),
        ("WASM_BINDGEN_TEST_ADDRESS", format!("127.0.0.1:{page}")),
        ("WASM_BINDGEN_TEST_TIMEOUT", "300".to_owned()),
    ];
    for (driver, path) in
        [("CHROMEDRIVER", "/usr/bin/chromedriver".to_owned()), ("GECKODRIVER", geckodriver.clone())]
    {
        let mut test = cargo(&[
            "test",
            "--package",
            "streamlab",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "browser",
        ]);
        if let Some(name) = only {
            test.args(["--", name]);
        }
        test.envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env_remove("CHROMEDRIVER")
            .env_remove("GECKODRIVER")
            .env(driver, path);
        eprintln!("==> browser suite with {driver}");
        check(&mut test)?;
    }
    if wasm_pack {
        let mut test = crate::run::cmd(
            "wasm-pack",
            &[
                "test",
                "--headless",
                "--chrome",
                "--firefox",
                "--mode",
                "no-install",
                "--",
                "--test",
                "browser",
            ],
        );
        test.envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUSTFLAGS", "-D warnings")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("GECKODRIVER", &geckodriver);
        check(&mut test)?;
    }
    Ok(())
}

/// CPython's transcripts of `tests/fixtures/streams_scenarios.json` against the fixtures
/// whose ports `fixtures` (their JSON line) gives: `{name: [outcome, …]}` as one line.
fn cpython_streams(fixtures: &str) -> Result<String, String> {
    // An environment variable holds at most 128 KiB (Linux's MAX_ARG_STRLEN).
    const MAX: usize = 120 * 1024;
    let mut c = cpython()?;
    c.arg(root().join("tests/oracle/streams_client.py")).args(["--fixtures", fixtures]);
    let out = crate::run::output(&mut c)?;
    let line = out.trim().to_owned();
    if line.len() > MAX {
        return Err(format!(
            "CPython's stream transcripts are {} bytes, more than an environment variable holds ({MAX}): \
             use \"summary\" for long results in tests/fixtures/streams_scenarios.json",
            line.len()
        ));
    }
    Ok(line)
}
