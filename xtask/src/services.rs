//! Background services the suites start (the relay's fixtures, relays, websockify), and
//! CPython 3.13.0, the oracle.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::run::root;

/// A background service, ended when dropped.
pub struct Service {
    child: Child,
    /// What it printed first (a URL, or its ports as JSON).
    pub first_line: String,
}

impl Service {
    /// Starts `program` in the repository's root; with `read_line`, waits for its first line.
    pub fn start(program: &str, args: &[String], read_line: bool) -> Result<Service, String> {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(if read_line { Stdio::piped() } else { Stdio::null() })
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {program}: {e}"))?;
        let mut first_line = String::new();
        if read_line {
            let out = child.stdout.take().ok_or("no stdout")?;
            BufReader::new(out).read_line(&mut first_line).map_err(|e| format!("{program}: {e}"))?;
        }
        Ok(Service { child, first_line })
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command that runs CPython 3.13.0 (as `tests/common/mod.rs` finds it): `$STREAMLAB_PYTHON`,
/// else `python3.13`, else `python3` with `PYENV_VERSION=3.13.0`.
pub fn cpython() -> Result<Command, String> {
    let candidates: Vec<(String, Option<&str>)> = match std::env::var("STREAMLAB_PYTHON") {
        Ok(p) => vec![(p, None)],
        Err(_) => vec![("python3.13".into(), None), ("python3".into(), Some("3.13.0"))],
    };
    let make = |program: &str, pyenv: Option<&str>| {
        let mut c = Command::new(program);
        c.current_dir(root());
        if let Some(v) = pyenv {
            c.env("PYENV_VERSION", v);
        }
        c
    };
    for (program, pyenv) in &candidates {
        let version = make(program, *pyenv)
            .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        if version.as_deref() == Some("3.13.0") {
            return Ok(make(program, *pyenv));
        }
    }
    Err("CPython 3.13.0 was not found (set STREAMLAB_PYTHON, or `pyenv install 3.13.0`)".into())
}

/// The relay's loopback fixtures (`relay/examples/fixtures.rs`, built in release), started,
/// with their ports by name as they printed them (`{"echo":4000,…}`).
pub fn start_fixtures() -> Result<(Service, Vec<(String, u16)>), String> {
    let program = crate::serve::target_dir().join("release/examples/fixtures");
    let fixtures = Service::start(&program.display().to_string(), &[], true)?;
    let line = fixtures.first_line.trim();
    let ports = line
        .trim_matches(['{', '}'])
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once(':')?;
            Some((k.trim_matches('"').to_owned(), v.trim().parse().ok()?))
        })
        .collect::<Option<Vec<(String, u16)>>>()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| format!("the fixtures printed {line:?}, not their ports"))?;
    Ok((fixtures, ports))
}
