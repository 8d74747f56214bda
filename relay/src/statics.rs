//! Serving the page's files from `--static DIR`, and nothing outside it.

use std::path::{Component, Path, PathBuf};

/// The file at URL `path` under `dir`, with its content type; `/` is `index.html`.
/// Paths that are not plain descending names (`..`, `\`, NUL, encoded separators) get nothing.
pub async fn file(dir: Option<&Path>, path: &str) -> Option<(&'static str, Vec<u8>)> {
    let dir = dir?;
    let relative = safe_relative(path)?;
    let mut full = dir.join(relative);
    if tokio::fs::metadata(&full).await.ok()?.is_dir() {
        full.push("index.html");
    }
    // Refuse anything that resolves (through links) outside the folder.
    let real = tokio::fs::canonicalize(&full).await.ok()?;
    let root = tokio::fs::canonicalize(dir).await.ok()?;
    if !real.starts_with(&root) {
        return None;
    }
    let body = tokio::fs::read(&real).await.ok()?;
    Some((content_type(&real), body))
}

fn safe_relative(path: &str) -> Option<PathBuf> {
    let path = path.strip_prefix('/')?;
    if path.contains(['\\', '\0', '%']) {
        return None;
    }
    let relative = PathBuf::from(if path.is_empty() { "index.html" } else { path });
    relative.components().all(|c| matches!(c, Component::Normal(_))).then_some(relative)
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
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
}
