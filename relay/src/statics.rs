//! Serving the page's files from `--static DIR` — tower-http's `ServeDir` (streamed, MIME
//! types, precompressed `.br`/`.gz` beside a file, conditional and range requests) — and
//! nothing outside it: [`Statics::permits`] decides first.

use std::path::{Component, Path, PathBuf};

use tower_http::services::ServeDir;

/// The precompressed variants `ServeDir` may send instead of a file.
const VARIANTS: [&str; 2] = [".br", ".gz"];

/// One `--static` folder: its real path, found once, and the `ServeDir` that serves it.
#[derive(Clone, Debug)]
pub struct Statics {
    root: PathBuf,
    serve: ServeDir,
}

impl Statics {
    /// `dir`'s files, `/` being `index.html`; when the client's `Accept-Encoding` takes br or
    /// gzip and `NAME.br` or `NAME.gz` exists beside a file, that is sent instead (Pyodide's
    /// 8 MiB of wasm travel as 3).
    ///
    /// # Errors
    /// The folder cannot be resolved.
    pub fn new(dir: &Path) -> std::io::Result<Statics> {
        let serve =
            ServeDir::new(dir).precompressed_br().precompressed_gzip().append_index_html_on_directories(true);
        Ok(Statics { root: std::fs::canonicalize(dir)?, serve })
    }

    /// The service answering a request the folder [`permits`](Self::permits).
    pub fn service(&self) -> ServeDir {
        self.serve.clone()
    }

    /// Whether URL `path` may be served: plain descending names only (no `..`, `\`, NUL or
    /// percent-encoding), no dotfiles (`.git/`, `.env`), and nothing that resolves through a
    /// link to outside the folder — the file nor its precompressed variants.
    pub async fn permits(&self, path: &str) -> bool {
        let Some(relative) = safe_relative(path) else { return false };
        let mut full = self.root.join(relative);
        if tokio::fs::metadata(&full).await.is_ok_and(|m| m.is_dir()) {
            full.push("index.html");
        }
        for suffix in [""].into_iter().chain(VARIANTS) {
            let mut candidate = full.clone().into_os_string();
            candidate.push(suffix);
            // A variant that is not there is fine; one that leads outside is not.
            if let Ok(real) = tokio::fs::canonicalize(&candidate).await {
                if !real.starts_with(&self.root) {
                    return false;
                }
            }
        }
        true
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_descending_paths() {
        assert_eq!(safe_relative("/"), Some(PathBuf::from("index.html")));
        assert_eq!(safe_relative("/a/b.js"), Some(PathBuf::from("a/b.js")));
        for bad in
            ["", "a", "/../etc/passwd", "/a/../../b", "/a\\b", "/%2e%2e/x", "/a\0b", "//etc/passwd", "/.env"]
        {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
    }
}
