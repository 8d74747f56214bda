//! Serving the page's files from `--static DIR`, and nothing outside it.

use std::path::{Component, Path, PathBuf};

/// A file to send, opened: it is streamed, never read into memory whole.
#[derive(Debug)]
pub struct StaticFile {
    pub content_type: &'static str,
    pub body: tokio::fs::File,
    /// Its length in bytes.
    pub len: u64,
    /// Its entity tag (length, modification time and encoding): a client that shows it in
    /// `If-None-Match` gets `304 Not Modified`.
    pub etag: String,
    /// The body is a precompressed `NAME.br` or `NAME.gz` beside the file: its
    /// `Content-Encoding`.
    pub encoding: Option<&'static str>,
}

/// The precompressed variants looked for beside a file, best first: (suffix, coding).
const PRECOMPRESSED: [(&str, &str); 2] = [(".br", "br"), (".gz", "gzip")];

/// The file at URL `path` under `dir`, with its content type; `/` is `index.html`. When the
/// client's `Accept-Encoding` takes br or gzip and `NAME.br` or `NAME.gz` exists beside it,
/// that is sent instead (Pyodide's 8 MiB of wasm travel as 3). Paths that are not plain
/// descending names (`..`, `\`, NUL, encoded separators) and dotfiles get nothing.
pub async fn file(dir: Option<&Path>, path: &str, accept_encoding: Option<&str>) -> Option<StaticFile> {
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
    for (suffix, coding) in PRECOMPRESSED.into_iter().filter(|(_, c)| accepts(accept_encoding, c)) {
        let mut variant = real.clone().into_os_string();
        variant.push(suffix);
        if let Some(variant) = tokio::fs::canonicalize(&variant).await.ok().filter(|r| inside(r)) {
            if let Some((body, len, etag)) = open(&variant, coding).await {
                return Some(StaticFile { content_type, body, len, etag, encoding: Some(coding) });
            }
        }
    }
    let (body, len, etag) = open(&real, "identity").await?;
    Some(StaticFile { content_type, body, len, etag, encoding: None })
}

/// A regular file, opened, with its length and entity tag.
async fn open(path: &Path, coding: &str) -> Option<(tokio::fs::File, u64, String)> {
    let file = tokio::fs::File::open(path).await.ok()?;
    let meta = file.metadata().await.ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let etag = format!("\"{:x}-{:x}-{coding}\"", meta.len(), modified.as_nanos());
    meta.is_file().then_some((file, meta.len(), etag))
}

/// Whether an `If-None-Match` value names `etag` (or is `*`).
pub fn matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|v| {
        v.split(',').map(|t| t.trim()).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
    })
}

/// Whether an `Accept-Encoding` value allows `coding` (`gzip;q=0` does not allow gzip).
pub fn accepts(accept_encoding: Option<&str>, coding: &str) -> bool {
    accept_encoding.is_some_and(|v| {
        v.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let item_coding = parts.next().unwrap_or("");
            let refused =
                parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
            (item_coding.eq_ignore_ascii_case(coding) || item_coding == "*") && !refused
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
    fn if_none_match_names_the_tag() {
        let tag = "\"10-5-br\"";
        assert!(matches(Some("\"10-5-br\""), tag));
        assert!(matches(Some("\"x\", W/\"10-5-br\""), tag));
        assert!(matches(Some("*"), tag));
        assert!(!matches(None, tag) && !matches(Some("\"10-5-gzip\""), tag) && !matches(Some(""), tag));
    }

    #[test]
    fn an_encoding_only_when_accepted() {
        assert!(accepts(Some("gzip, deflate, br"), "gzip"));
        assert!(accepts(Some("br;q=1.0, GZIP;q=0.5"), "gzip"));
        assert!(accepts(Some("gzip, deflate, br"), "br"));
        assert!(accepts(Some("*"), "gzip"));
        for no in [None, Some(""), Some("br"), Some("gzip;q=0"), Some("identity"), Some("x-gzip2")] {
            assert!(!accepts(no, "gzip"), "{no:?}");
        }
        assert!(!accepts(Some("gzip, br;q=0"), "br"));
    }
}
