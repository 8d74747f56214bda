//! A plain static file host for the e2e suite: `dist/` under a sub-path, GET and HEAD only,
//! no relay, nothing but files — what GitHub Pages or any web server does with `dist/`.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// Where the page lives on the host: not at the root, so relative asset paths are tested.
pub const MOUNT: &str = "/hosted/streamlab/";

/// Serves `dir` at `http://127.0.0.1:PORT/hosted/streamlab/` on a free port from threads of
/// this process (they end with it); returns that URL.
pub fn start(dir: &Path) -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("static host: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _ = answer(&dir, stream);
            });
        }
    });
    Ok(format!("http://127.0.0.1:{port}{MOUNT}"))
}

fn answer(dir: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    let mut head = String::new();
    let mut reader = BufReader::new(stream.try_clone()?);
    reader.read_line(&mut head)?;
    // The rest of the request head; bodies are not expected.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = head.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split(['?', '#']).next().unwrap_or("");
    let (status, kind, body, location) = if method != "GET" && method != "HEAD" {
        ("405 Method Not Allowed", "text/plain", b"method not allowed\n".to_vec(), None)
    } else if path == MOUNT.trim_end_matches('/') {
        ("301 Moved Permanently", "text/plain", Vec::new(), Some(MOUNT))
    } else {
        match path.strip_prefix(MOUNT).and_then(|rest| file(dir, rest)) {
            Some((kind, body)) => ("200 OK", kind, body, None),
            None => ("404 Not Found", "text/plain", b"not found\n".to_vec(), None),
        }
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(location) = location {
        out.push_str(&format!("Location: {location}\r\n"));
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

/// The file at `rest` (relative to the mount) with its content type; plain descending names
/// only, a folder means its `index.html`.
fn file(dir: &Path, rest: &str) -> Option<(&'static str, Vec<u8>)> {
    if rest.contains(['\\', '\0', '%']) {
        return None;
    }
    let relative = PathBuf::from(rest);
    if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut full = dir.join(relative);
    if full.is_dir() {
        full.push("index.html");
    }
    let body = std::fs::read(&full).ok()?;
    let kind = match full.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "py" => "text/x-python; charset=utf-8",
        "zip" => "application/zip",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Some((kind, body))
}

#[cfg(test)]
mod tests {
    use super::file;

    #[test]
    fn only_plain_descending_paths() {
        let dir = std::env::temp_dir().join(format!("streamlab-static-host-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::write(dir.join("index.html"), "<h1>").unwrap();
        std::fs::write(dir.join("a/x.wasm"), "\0asm").unwrap();
        assert_eq!(file(&dir, "").map(|f| f.0), Some("text/html; charset=utf-8"));
        assert_eq!(file(&dir, "a/x.wasm").map(|f| f.0), Some("application/wasm"));
        for bad in ["../index.html", "a/../../x", "/etc/passwd", "%2e%2e/x", "a\\x.wasm", "missing"] {
            assert!(file(&dir, bad).is_none(), "{bad:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
