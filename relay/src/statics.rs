//! Serving the page's files from `--static DIR`, and nothing outside it.

use std::path::{Component, Path, PathBuf};

/// A file to send, opened: it is streamed, never read into memory whole.
#[derive(Debug)]
pub struct StaticFile {
    pub content_type: &'static str,
    pub body: tokio::fs::File,
    /// Its length in bytes.
    pub len: u64,
    /// The body is the precompressed `NAME.gz` beside the file (`Content-Encoding: gzip`).
    pub gzip: bool,
}

/// The file at URL `path` under `dir`, with its content type; `/` is `index.html`. When the
/// client accepts gzip and `NAME.gz` exists beside it, that is sent instead (Pyodide's 8 MiB of
/// wasm travel as 3). Paths that are not plain descending names (`..`, `\`, NUL, encoded
/// separators) and dotfiles get nothing.
pub async fn file(dir: Option<&Path>, path: &str, accepts_gzip: bool) -> Option<StaticFile> {
    let dir = dir?;
    let relative = safe_relative(path)?;
    let mut full = dir.join(relative);
    if tokio::fs::metadata(&full).await.ok()?.is_dir() {
        full.push("index.html");
    }
    let root = tokio::fs::canonicalize(dir).await.ok()?;
    // Refuse anything that resolves (through links) outside the folder.
    let inside = |real: &Path| real.starts_with(&root);
    let real = tokio::fs::canonicalize(&full).await.ok().filter(|r| inside(r))?;
    let content_type = content_type(&real);
    if accepts_gzip {
        let mut gz = real.clone().into_os_string();
        gz.push(".gz");
        if let Some(gz) = tokio::fs::canonicalize(&gz).await.ok().filter(|r| inside(r)) {
            if let Some((body, len)) = open(&gz).await {
                return Some(StaticFile { content_type, body, len, gzip: true });
            }
        }
    }
    let (body, len) = open(&real).await?;
    Some(StaticFile { content_type, body, len, gzip: false })
}

/// A regular file, opened, with its length.
async fn open(path: &Path) -> Option<(tokio::fs::File, u64)> {
    let file = tokio::fs::File::open(path).await.ok()?;
    let meta = file.metadata().await.ok()?;
    meta.is_file().then_some((file, meta.len()))
}

/// Whether an `Accept-Encoding` value allows gzip (`gzip;q=0` does not).
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.is_some_and(|v| {
        v.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused =
                parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
    })
}

fn safe_relative(path: &str) -> Option<PathBuf> {
    let path = path.strip_prefix('/')?;
    if path.contains(['\\', '\0', '%']) {
        return None;
    }
    let relative = PathBuf::from(if path.is_empty() { "index.html" } else { path });
    // Plain names only, and no dotfiles (`.git/`, `.env`, …): never the page's.
    let plain =
        |c: Component<'_>| matches!(c, Component::Normal(n) if !n.as_encoded_bytes().starts_with(b"."));
    relative.components().all(plain).then_some(relative)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "py" => "text/x-python; charset=utf-8",
        "zip" => "application/zip",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_descending_paths() {
        assert_eq!(safe_relative("/"), Some(PathBuf::from("index.html")));
        assert_eq!(safe_relative("/a/b.js"), Some(PathBuf::from("a/b.js")));
        for bad in ["", "a", "/../etc/passwd", "/a/../../b", "/a\\b", "/%2e%2e/x", "/a\0b", "//etc/passwd"] {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn gzip_only_when_accepted() {
        assert!(accepts_gzip(Some("gzip, deflate, br")));
        assert!(accepts_gzip(Some("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        for no in [None, Some(""), Some("br"), Some("gzip;q=0"), Some("identity"), Some("x-gzip2")] {
            assert!(!accepts_gzip(no), "{no:?}");
        }
    }
}
