//! Static assets: pages link them with a content hash, a hashed URL is cached for a year, assets
//! are sent compressed, and a page without charts ships well under 100 KB (QUALITY.md).

use crate::common::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kechuang::domain::role::Role;

async fn get_gzip(c: &mut Client, path: &str) -> Resp {
    let cookies: Vec<String> = c.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let req = Request::get(path)
        .header(header::HOST, "localhost")
        .header(header::COOKIE, cookies.join("; "))
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    c.send(req).await
}

/// The `href`/`src` of every stylesheet and script of a page.
fn assets(page: &Resp) -> Vec<String> {
    let doc = page.doc();
    let sel = scraper::Selector::parse("link[rel=stylesheet], script[src]").unwrap();
    doc.select(&sel)
        .filter_map(|e| e.value().attr("href").or(e.value().attr("src")))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn assets_are_content_hashed_long_cached_and_compressed() {
    let app = TestApp::new().await;
    app.user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut c = app.signed_in("staff").await;
    let page = c.get("/platforms").await;
    assert_eq!(page.status, StatusCode::OK);
    let links = assets(&page);
    assert!(links.len() >= 2, "{links:?}");
    let compressed = get_gzip(&mut c, "/platforms").await;
    assert_eq!(compressed.headers[header::CONTENT_ENCODING], "gzip");
    let mut shipped = compressed.bytes.len();
    for link in &links {
        let (path, hash) = link.split_once("?v=").expect("a content hash");
        let file = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("static")
                .join(path.trim_start_matches("/static/")),
        )
        .unwrap();
        use sha2::Digest;
        assert!(hex::encode(sha2::Sha256::digest(&file)).starts_with(hash));

        let resp = get_gzip(&mut c, link).await;
        assert_eq!(resp.status, StatusCode::OK, "{link}");
        assert_eq!(
            resp.headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(resp.headers[header::CONTENT_ENCODING], "gzip", "{link}");
        shipped += resp.bytes.len();

        // Without the hash, or with an old one: an hour.
        for stale in [path.to_string(), format!("{path}?v=000000000000")] {
            let resp = get_gzip(&mut c, &stale).await;
            assert_eq!(resp.status, StatusCode::OK);
            assert_eq!(resp.headers[header::CACHE_CONTROL], "public, max-age=3600");
        }
    }
    assert!(
        shipped <= 100 * 1024,
        "a page without charts ships {shipped} bytes"
    );
    println!("/platforms with its assets: {shipped} bytes compressed");
}
