//! Static assets with content hashes: pages link `/static/app.css?v=<hash of its bytes>`, and a
//! request carrying the current hash may be cached for a year (`immutable`); a new release changes
//! the hash, so browsers fetch the new file at once. Requests without it (or with an old hash) are
//! cached for an hour only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

/// The static assets folder: `KECHUANG_STATIC_DIR`, else `static/` beside the crate.
pub fn dir() -> PathBuf {
    std::env::var_os("KECHUANG_STATIC_DIR")
        .map(Into::into)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("static"))
}

/// Relative path (with `/`) → first 12 hex digits of the SHA-256 of the file, for every file.
fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        let root = dir();
        let mut out = HashMap::new();
        let mut pending = vec![root.clone()];
        while let Some(folder) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if let (Ok(bytes), Ok(rel)) =
                    (std::fs::read(&path), path.strip_prefix(&root))
                {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    let digest = hex::encode(Sha256::digest(&bytes));
                    out.insert(rel, digest[..12].to_string());
                }
            }
        }
        out
    })
}

/// The URL of a static asset, with its content hash when the file exists.
pub fn url(path: &str) -> String {
    match hashes().get(path) {
        Some(hash) => format!("/static/{path}?v={hash}"),
        None => format!("/static/{path}"),
    }
}

/// Cache headers for `/static/…`: a year when the request names the file's current hash.
pub async fn cache_control(req: Request, next: Next) -> Response {
    let path = req.uri().path().trim_start_matches("/static/").to_string();
    let current = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("v=")))
        .is_some_and(|v| hashes().get(&path).is_some_and(|h| h == v));
    let mut resp = next.run(req).await;
    let value = if current && resp.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_gets_a_hash_of_its_content() {
        let css = url("app.css");
        let bytes = std::fs::read(dir().join("app.css")).unwrap();
        let expected = &hex::encode(Sha256::digest(&bytes))[..12];
        assert_eq!(css, format!("/static/app.css?v={expected}"));
        assert!(url("vendor/echarts/echarts.common.min.js").contains("?v="));
        assert_eq!(url("no-such-file.js"), "/static/no-such-file.js");
    }
}
