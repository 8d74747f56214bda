//! The browser benchmark's TCP servers on 127.0.0.1, one per workload, each serving any number
//! of connections the same way — so the page (through the relay) and CPython (directly) read
//! exactly the same bytes:
//!
//! * `lines`: 64 MiB of 64-byte lines, then EOF;
//! * `bulk`: 256 MiB, then EOF;
//! * `frames`: 65,536 frames of a 4-byte big-endian length (1024) and 1 KiB, then EOF;
//! * `bigline`: one line of 4 MiB (its newline included), then EOF;
//! * `echo`: echoes, and answers EOF with EOF;
//! * `upload`: a sink; at EOF it answers `ok\n` if 256 MiB arrived (else `short N\n`).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

const MIB: usize = 1 << 20;
/// What `upload` expects.
pub const UPLOAD: usize = 256 * MIB;

/// The workloads, in the order they run.
pub const WORKLOADS: [&str; 6] = ["lines", "bulk", "frames", "bigline", "echo", "upload"];

/// Starts every server; returns (workload, port) pairs. They run until the process ends.
pub fn start() -> Result<Vec<(&'static str, u16)>, String> {
    WORKLOADS
        .iter()
        .map(|&name| {
            let listener =
                TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bench {name} server: {e}"))?;
            let port = listener.local_addr().map_err(|e| e.to_string())?.port();
            std::thread::spawn(move || {
                for stream in listener.incoming().map_while(Result::ok) {
                    std::thread::spawn(move || serve(name, stream));
                }
            });
            Ok((name, port))
        })
        .collect()
}

fn serve(name: &str, mut s: TcpStream) {
    let _ = s.set_nodelay(true);
    let _ = match name {
        "lines" => send(
            &mut s,
            &b"x".repeat(63).into_iter().chain(*b"\n").collect::<Vec<u8>>().repeat(4096),
            64 * MIB,
        ),
        "bulk" => send(&mut s, &vec![b'b'; 256 * 1024], 256 * MIB),
        "frames" => {
            let frame: Vec<u8> = 1024u32.to_be_bytes().into_iter().chain([b'f'; 1024]).collect();
            send(&mut s, &frame.repeat(256), 65536 * frame.len())
        }
        "bigline" => {
            let mut line = vec![b'y'; 4 * MIB];
            line[4 * MIB - 1] = b'\n';
            send(&mut s, &line, line.len())
        }
        "echo" => echo(&mut s),
        _ => sink(&mut s),
    };
}

/// Sends `block` repeatedly, `total` bytes in all, then EOF; then waits for the client's.
fn send(s: &mut TcpStream, block: &[u8], total: usize) -> std::io::Result<()> {
    let mut left = total;
    while left > 0 {
        let n = left.min(block.len());
        s.write_all(&block[..n])?;
        left -= n;
    }
    s.shutdown(Shutdown::Write)?;
    // Read until the client closes, so our close sends no reset over unread bytes.
    std::io::copy(s, &mut std::io::sink()).map(drop)
}

fn echo(s: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return s.shutdown(Shutdown::Write);
        }
        s.write_all(&buf[..n])?;
    }
}

fn sink(s: &mut TcpStream) -> std::io::Result<()> {
    let got = std::io::copy(s, &mut std::io::sink())?;
    let answer = if got as usize == UPLOAD { "ok\n".to_owned() } else { format!("short {got}\n") };
    s.write_all(answer.as_bytes())?;
    s.shutdown(Shutdown::Write)
}
