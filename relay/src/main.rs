//! `streamlab-relay`: parse the options, listen, print where, serve until SIGINT/SIGTERM.
//! `streamlab-relay token …` mints a token instead.

use std::process::ExitCode;
use std::time::Duration;

use streamlab_relay::config::HELP;
use streamlab_relay::Config;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    if args.first().map(String::as_str) == Some("token") {
        return match mint(&args[1..]) {
            Ok(token) => {
                println!("{token}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e, 2),
        };
    }
    let config = match Config::from_args(args) {
        Ok(c) => c,
        Err(e) => return fail(&e, 2),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start: {e}"), 1),
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(config.listen).await {
            Ok(l) => l,
            Err(e) => return fail(&format!("cannot listen on {}: {e}", config.listen), 1),
        };
        let addr = listener.local_addr().map_or_else(|_| config.listen.to_string(), |a| a.to_string());
        say(format_args!("serving http://{addr}/ (WebSocket ws://{addr}/connect)"));
        if config.demo {
            say(format_args!("demo servers on: see http://{addr}/demo.json"));
        }
        for rule in &config.policy.allow {
            say(format_args!("allowing {rule}"));
        }
        if config.policy.allow_public {
            say(format_args!("allowing public hosts"));
        }
        match streamlab_relay::serve(listener, config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e.to_string(), 1),
        }
    })
}

/// A start-up line on stdout; a closed stdout must not stop the relay.
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "streamlab-relay: {line}").and_then(|()| out.flush());
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("streamlab-relay: {message}");
    ExitCode::from(code)
}

/// `token --secret-file FILE --host H --port P [--ttl SECONDS]`.
fn mint(args: &[String]) -> Result<String, String> {
    let (mut secret, mut host, mut port, mut ttl) = (None, None, None, 300u64);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("token: {arg} needs a value"));
        match arg.as_str() {
            "--secret-file" => {
                let path = value()?;
                secret = Some(std::fs::read(path).map_err(|e| format!("token: cannot read {path:?}: {e}"))?);
            }
            "--host" => host = Some(value()?.clone()),
            "--port" => {
                port =
                    Some(value()?.parse::<u16>().map_err(|_| "token: --port must be 1 to 65535".to_owned())?)
            }
            "--ttl" => {
                let max = streamlab_relay::token::MAX_TTL.as_secs();
                ttl = value()?.parse().ok().filter(|t| (1..=max).contains(t)).ok_or_else(|| {
                    format!("token: --ttl must be whole seconds from 1 to {max} (ten years)")
                })?
            }
            other => return Err(format!("token: unknown option {other:?} (see --help)")),
        }
    }
    let secret = secret.ok_or("token: --secret-file is required")?;
    let host = host.ok_or("token: --host is required")?;
    let port = port.filter(|&p| p > 0).ok_or("token: --port is required")?;
    Ok(streamlab_relay::token::mint(secret.trim_ascii(), &host, port, Duration::from_secs(ttl)))
}
