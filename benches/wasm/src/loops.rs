//! The loops, one per workload (see `xtask/src/bench_targets.rs` for what each server sends).

use streamlab::runtime::Instant;
use streamlab::{open_connection, OpenOptions, Relay, StreamError, StreamReader, StreamWriter};
use wasm_bindgen::prelude::*;

/// One 64-byte line, as `echo` sends it.
const LINE: [u8; 64] = {
    let mut line = [b'x'; 64];
    line[63] = b'\n';
    line
};

/// `"IncompleteReadError: …"`, as the page reports a failure.
fn js(e: StreamError) -> JsError {
    JsError::new(&format!("{}: {e}", e.python_name()))
}

/// A connection to the server at `port` through the relay at `url`: a streamlab relay, or a
/// websockify (whose own target is that server).
async fn open(
    url: String,
    websockify: bool,
    port: u16,
    limit: usize,
) -> Result<(StreamReader, StreamWriter), JsError> {
    let relay = if websockify { Relay::websockify(url) } else { Relay::streamlab(url) };
    let opts = OpenOptions { limit, relay: Some(relay), ..OpenOptions::default() };
    open_connection("127.0.0.1", port, opts).await.map_err(js)
}

/// `readline` until EOF.
#[wasm_bindgen]
pub async fn lines(url: String, websockify: bool, port: u16) -> Result<f64, JsError> {
    let (reader, writer) = open(url, websockify, port, streamlab::DEFAULT_LIMIT).await?;
    let mut n = 0;
    loop {
        let line = reader.readline().await.map_err(js)?;
        if line.is_empty() {
            break;
        }
        n += line.len();
    }
    writer.close();
    Ok(n as f64)
}

/// `read(65536)` until EOF.
#[wasm_bindgen]
pub async fn bulk(url: String, websockify: bool, port: u16) -> Result<f64, JsError> {
    let (reader, writer) = open(url, websockify, port, streamlab::DEFAULT_LIMIT).await?;
    let mut n = 0;
    loop {
        let chunk = reader.read(65536).await.map_err(js)?;
        if chunk.is_empty() {
            break;
        }
        n += chunk.len();
    }
    writer.close();
    Ok(n as f64)
}

/// A 4-byte big-endian length and its payload, each with `readexactly`, until a clean EOF.
#[wasm_bindgen]
pub async fn frames(url: String, websockify: bool, port: u16) -> Result<f64, JsError> {
    let (reader, writer) = open(url, websockify, port, streamlab::DEFAULT_LIMIT).await?;
    let mut n = 0;
    loop {
        let head = match reader.readexactly(4).await {
            Ok(head) => head,
            Err(StreamError::IncompleteRead { partial, .. }) if partial.is_empty() => break,
            Err(e) => return Err(js(e)),
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        n += 4 + reader.readexactly(len as isize).await.map_err(js)?.len();
    }
    writer.close();
    Ok(n as f64)
}

/// One line of 4 MiB, limit 8 MiB.
#[wasm_bindgen]
pub async fn bigline(url: String, websockify: bool, port: u16) -> Result<f64, JsError> {
    let (reader, writer) = open(url, websockify, port, 8 << 20).await?;
    let n = reader.readline().await.map_err(js)?.len();
    writer.close();
    Ok(n as f64)
}

/// `trips` round trips of a 64-byte line (`write` + `drain` + `readline`), timed in batches
/// of `batch` (a page's clock is coarser than one trip): each batch's mean, in ms.
#[wasm_bindgen]
pub async fn echo(
    url: String,
    websockify: bool,
    port: u16,
    trips: u32,
    batch: u32,
) -> Result<Vec<f64>, JsError> {
    if batch == 0 || trips % batch != 0 {
        return Err(JsError::new(&format!("{trips} trips do not make batches of {batch}")));
    }
    let (reader, writer) = open(url, websockify, port, streamlab::DEFAULT_LIMIT).await?;
    let mut times = Vec::new();
    for _ in 0..trips / batch {
        let start = Instant::now();
        for _ in 0..batch {
            writer.write(&LINE).map_err(js)?;
            writer.drain().await.map_err(js)?;
            reader.readline().await.map_err(js)?;
        }
        times.push(start.elapsed().as_secs_f64() * 1000.0 / f64::from(batch));
    }
    writer.close();
    Ok(times)
}

/// `bytes` written in 64 KiB pieces with `write` + `drain`, then `write_eof`; the sink
/// answers `ok\n` once it has them all.
#[wasm_bindgen]
pub async fn upload(url: String, websockify: bool, port: u16, bytes: f64) -> Result<f64, JsError> {
    let (reader, writer) = open(url, websockify, port, streamlab::DEFAULT_LIMIT).await?;
    let piece = vec![b'a'; 65536];
    let mut sent = 0.0;
    while sent < bytes {
        writer.write(&piece).map_err(js)?;
        writer.drain().await.map_err(js)?;
        sent += piece.len() as f64;
    }
    writer.write_eof().map_err(js)?;
    let ack = reader.readline().await.map_err(js)?;
    if &ack[..] != b"ok\n" {
        return Err(JsError::new(&format!("the sink said {:?}", String::from_utf8_lossy(&ack))));
    }
    writer.close();
    Ok(sent)
}
