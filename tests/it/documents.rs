//! Documents: upload → list → download round trip, versions that never overwrite, uploads
//! refused by content, data scope on downloads by guessed ids, CSRF on multipart forms.

use crate::common::{Client, HAIMEN, Resp, TestApp, platform};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kechuang::domain::role::Role;
use sha2::{Digest, Sha256};

const BOUNDARY: &str = "----kechuangTestBoundary7MA4YWxkTrZu0gW";

/// One part of a multipart body: a text field, or a file with its name and claimed type.
#[derive(Clone, Copy)]
enum Part<'a> {
    Text(&'a str, &'a str),
    File {
        name: &'a str,
        file_name: &'a str,
        content_type: &'a str,
        data: &'a [u8],
    },
}

fn multipart_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                body.extend_from_slice(value.as_bytes());
            }
            Part::File {
                name,
                file_name,
                content_type,
                data,
            } => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(data);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a multipart form from our origin; `with_token` puts the session's CSRF token first.
async fn post_multipart(
    client: &mut Client,
    path: &str,
    parts: &[Part<'_>],
    with_token: bool,
) -> Resp {
    let token = client.csrf().await;
    let mut all = Vec::new();
    if with_token {
        all.push(Part::Text("csrf_token", &token));
    }
    all.extend_from_slice(parts);
    let req = Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::COOKIE, client.cookie_header())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(&all)))
        .unwrap();
    client.send(req).await
}

/// A new document: kind, title, note and the file.
async fn upload(
    client: &mut Client,
    platform: i64,
    kind: &str,
    title: &str,
    file_name: &str,
    data: &[u8],
) -> Resp {
    post_multipart(
        client,
        &format!("/platforms/{platform}/documents"),
        &[
            Part::Text("kind", kind),
            Part::Text("title", title),
            Part::Text("note", "初稿"),
            Part::File {
                name: "file",
                file_name,
                content_type: "application/octet-stream",
                data,
            },
        ],
        true,
    )
    .await
}

fn pdf(marker: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n% {marker}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    .into_bytes()
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    v.extend_from_slice(&[
        0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE,
    ]);
    v
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `(document id, version id)` of the latest upload.
async fn latest(app: &TestApp) -> (i64, i64) {
    sqlx::query_as("SELECT document_id, id FROM document_versions ORDER BY id DESC LIMIT 1")
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn upload_list_download_round_trip() {
    let app = TestApp::new().await;
    let p = app.platform("DOC-001", "320613").await;
    let mut c = app.staff_signed_in("staff1", "320600").await;

    let content = pdf("章程正文");
    // The client claims HTML; the content decides.
    let resp = post_multipart(
        &mut c,
        &format!("/platforms/{p}/documents"),
        &[
            Part::Text("kind", "charter"),
            Part::Text("title", "示例平台章程"),
            Part::Text("note", "理事会审议稿"),
            Part::File {
                name: "file",
                file_name: "章程（2025版）.pdf",
                content_type: "text/html",
                data: &content,
            },
        ],
        true,
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let location = resp.location().unwrap().to_string();
    assert!(location.starts_with(&format!(
        "/platforms/{p}/documents?kind=charter&notice=document_uploaded"
    )));

    let page = c.get(&location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text(".notice"), "文件已上传。");
    assert_eq!(page.texts(".doc-kind h2"), vec!["章程"]);
    assert!(page.text(".document h3").starts_with("示例平台章程"));
    let cells = page.texts(".document tr.version td");
    assert_eq!(cells[0], "第 1 版 当前");
    assert_eq!(cells[1], "章程（2025版）.pdf");
    assert_eq!(cells[2], "PDF 文档");
    assert_eq!(cells[4], format!("{}…", &sha256(&content)[..12]));
    assert_eq!(cells[5], "staff1");
    assert_eq!(cells[7], "理事会审议稿");

    let (did, vid) = latest(&app).await;
    let href = format!("/platforms/{p}/documents/{did}/versions/{vid}");
    let doc = page.doc();
    let link = doc
        .select(&scraper::Selector::parse("a.download").unwrap())
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap()
        .to_string();
    assert_eq!(link, href);

    let Resp {
        status,
        headers,
        bytes,
        ..
    } = c.get(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, content, "the bytes come back unchanged");
    assert_eq!(sha256(&bytes), sha256(&content));
    let stored: String = app
        .scalar("SELECT sha256 FROM document_versions WHERE id = $1", vid)
        .await;
    assert_eq!(stored, sha256(&content));
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/pdf",
        "detected, not claimed"
    );
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment; "), "{disposition}");
    assert!(
        disposition
            .contains("filename*=UTF-8''%E7%AB%A0%E7%A8%8B%EF%BC%882025%E7%89%88%EF%BC%89.pdf")
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");

    // The write is audited and on the timeline, with the document.
    assert_eq!(app.audit_count("document.upload").await, 1);
    let after: serde_json::Value = app
        .value("SELECT after FROM audit_log WHERE action = 'document.upload'")
        .await;
    assert_eq!(after["version"]["sha256"], sha256(&content));
    assert_eq!(after["version"]["content_type"], "application/pdf");
    let (kind, document_id): (String, Option<i64>) = sqlx::query_as(
        "SELECT kind, document_id FROM lifecycle_events WHERE platform_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(p)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), document_id),
        ("document.uploaded", Some(did))
    );
}

#[tokio::test]
async fn a_second_version_keeps_the_first() {
    let app = TestApp::new().await;
    let p = app.platform("DOC-002", "320613").await;
    app.user("op1", Some(Role::Operator), Some(p), None).await;
    let mut c = app.signed_in("op1").await;

    let v1 = pdf("第一版");
    let resp = upload(&mut c, p, "construction_plan", "建设方案", "plan.pdf", &v1).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let (did, vid1) = latest(&app).await;

    let v2 = png();
    let resp = post_multipart(
        &mut c,
        &format!("/platforms/{p}/documents/{did}/versions"),
        &[
            Part::Text("note", "补充附图"),
            Part::File {
                name: "file",
                file_name: "plan-v2.png",
                content_type: "image/png",
                data: &v2,
            },
        ],
        true,
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let (same_doc, vid2) = latest(&app).await;
    assert_eq!(same_doc, did);
    assert_ne!(vid1, vid2);

    let page = c.get(&format!("/platforms/{p}/documents")).await;
    let versions = page.texts(&format!("#doc-{did} tr.version td:first-child"));
    assert_eq!(versions, vec!["第 2 版 当前", "第 1 版"]);
    assert!(page.text(&format!("#doc-{did} h3")).contains("共 2 个版本"));

    for (vid, bytes) in [(vid1, &v1), (vid2, &v2)] {
        let Resp {
            status,
            bytes: body,
            ..
        } = c
            .get(&format!("/platforms/{p}/documents/{did}/versions/{vid}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&body, bytes, "version {vid} is intact");
    }
    let numbers: Vec<i32> = app
        .column(
            "SELECT version FROM document_versions WHERE document_id = $1 ORDER BY version",
            did,
        )
        .await;
    assert_eq!(numbers, vec![1, 2]);
    assert_eq!(app.audit_count("document.version").await, 1);
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM lifecycle_events WHERE kind = 'document.revised'",)
            .await,
        1
    );

    // A bad new version is refused next to its own form, and the old ones stay.
    let resp = post_multipart(
        &mut c,
        &format!("/platforms/{p}/documents/{did}/versions"),
        &[
            Part::Text("note", "第三版"),
            Part::File {
                name: "file",
                file_name: "v3.pdf",
                content_type: "application/pdf",
                data: b"<html>not a pdf</html>",
            },
        ],
        true,
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text(&format!("#v{did}-file-error"))
            .starts_with("网页、SVG")
    );
    assert_eq!(
        resp.value(&format!("#v{did}-note")).as_deref(),
        Some("第三版")
    );
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM document_versions",)
            .await,
        2
    );
}

#[tokio::test]
async fn malicious_uploads_are_refused() {
    let app = TestApp::new().await;
    let p = app.platform("DOC-003", "320613").await;
    app.user("op1", Some(Role::Operator), Some(p), None).await;
    let mut c = app.signed_in("op1").await;

    let mut pe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec();
    pe.extend_from_slice(&[0; 50]);
    pe.extend_from_slice(b"PE\x00\x00This program cannot be run in DOS mode.");
    let mut oversized = pdf("big");
    oversized.resize(20 * 1024 * 1024 + 1, b' ');
    let mut past_the_body_limit = pdf("bigger");
    past_the_body_limit.resize(22 * 1024 * 1024, b' ');
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>"#;
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script>%PDF-1.4</body></html>";
    let docm = {
        // A Word file with macros (vbaProject.bin), stored ZIP.
        let names = [
            "[Content_Types].xml",
            "word/document.xml",
            "word/vbaProject.bin",
        ];
        let mut out = Vec::new();
        let mut central = Vec::new();
        for name in names {
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            out.push(b'x');
            central
                .extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
            central.extend_from_slice(&[0; 4]);
            central.extend_from_slice(&1u32.to_le_bytes());
            central.extend_from_slice(&1u32.to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let dir_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x03\x00\x03\x00");
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&dir_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    };

    let cases: Vec<(&str, &[u8], &str)> = vec![
        ("report.pdf", html, "网页、SVG"),
        ("invoice.pdf", &pe, "可执行程序不允许上传"),
        ("setup.exe", &pe, "可执行程序不允许上传"),
        ("logo.png", svg, "网页、SVG"),
        ("logo.svg", svg, "网页、SVG"),
        ("empty.pdf", b"", "文件内容为空"),
        ("notes.txt", b"just some text", "不支持的文件类型"),
        ("macro.docx", &docm, "含宏的 Office 文件"),
        ("big.pdf", &oversized, "文件超过 20 MB"),
        ("bigger.pdf", &past_the_body_limit, "文件超过 20 MB"),
    ];
    let mut refused = 0;
    for (name, data, message) in &cases {
        let resp = upload(&mut c, p, "charter", "章程", name, data).await;
        assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(
            resp.text("#f-file-error").contains(message),
            "{name}: {}",
            resp.text("#f-file-error")
        );
        // The other fields are kept.
        assert_eq!(resp.value("#f-title").as_deref(), Some("章程"), "{name}");
        assert_eq!(
            resp.texts("#f-kind option[selected]"),
            vec!["章程"],
            "{name}"
        );
        assert_eq!(resp.value("#f-note").as_deref(), Some("初稿"), "{name}");
        refused += 1;
    }
    // Past what the guard buffers at all: refused before anything is read.
    let mut huge = pdf("huge");
    huge.resize(26 * 1024 * 1024, b' ');
    let resp = upload(&mut c, p, "charter", "章程", "huge.pdf", &huge).await;
    assert_eq!(resp.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(resp.body.contains("提交的内容过大"));
    refused += 1;
    // No file at all.
    let resp = post_multipart(
        &mut c,
        &format!("/platforms/{p}/documents"),
        &[Part::Text("kind", "charter"), Part::Text("title", "章程")],
        true,
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-file-error"), "请选择要上传的文件");
    refused += 1;

    let stored = app
        .value::<i64>("SELECT count(*) FROM document_versions")
        .await
        + app.value::<i64>("SELECT count(*) FROM documents").await;
    assert_eq!(stored, 0, "nothing was stored");
    assert_eq!(refused, cases.len() + 2);
    println!("malicious uploads: {refused} tried, 0 accepted");
}

#[tokio::test]
async fn documents_stay_within_their_platform() {
    let app = TestApp::new().await;
    let advisor = app.user("adv1", Some(Role::Advisor), None, None).await;
    let a = app.platform("DOC-A", "320613").await;
    let b = platform("DOC-B")
        .in_county(HAIMEN)
        .advisor(advisor)
        .insert(&app)
        .await;
    app.user("op-a", Some(Role::Operator), Some(a), None).await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("county-a", Some(Role::Staff), None, Some("320613"))
        .await;
    app.user("leader", Some(Role::Leader), None, None).await;

    let mut staff = app.signed_in("staff1").await;
    let resp = upload(&mut staff, b, "other", "B 的文件", "b.pdf", &pdf("B")).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let (did_b, vid_b) = latest(&app).await;
    let resp = upload(&mut staff, a, "other", "A 的文件", "a.pdf", &pdf("A")).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let (did_a, vid_a) = latest(&app).await;

    let mut op = app.signed_in("op-a").await;
    // B's document under A's URL: not found (the document is not A's).
    let Resp {
        status,
        bytes: body,
        ..
    } = op
        .get(&format!(
            "/platforms/{a}/documents/{did_b}/versions/{vid_b}"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.starts_with(b"%PDF"));
    // Under B's URL: not found (B is not the operator's platform, and out of scope
    // answers as if it did not exist).
    let status = op
        .get(&format!(
            "/platforms/{b}/documents/{did_b}/versions/{vid_b}"
        ))
        .await
        .status;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A version of another document of the platform: not found.
    let status = op
        .get(&format!(
            "/platforms/{a}/documents/{did_a}/versions/{vid_b}"
        ))
        .await
        .status;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let status = op
        .get(&format!(
            "/platforms/{a}/documents/{did_a}/versions/{vid_a}"
        ))
        .await
        .status;
    assert_eq!(status, StatusCode::OK);
    // Lists: own yes, other no (out of scope answers as if it did not exist).
    assert_eq!(
        op.get(&format!("/platforms/{b}/documents")).await.status,
        StatusCode::NOT_FOUND
    );
    let own = op.get(&format!("/platforms/{a}/documents")).await;
    assert_eq!(own.texts(".document h3").len(), 1);
    // Writing: a new version of B's document through A's URL is not found, and so is
    // B's URL (out of scope).
    let sneaky = pdf("sneaky");
    let file = Part::File {
        name: "file",
        file_name: "x.pdf",
        content_type: "application/pdf",
        data: &sneaky,
    };
    let resp = post_multipart(
        &mut op,
        &format!("/platforms/{a}/documents/{did_b}/versions"),
        &[file],
        true,
    )
    .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let resp = post_multipart(
        &mut op,
        &format!("/platforms/{b}/documents/{did_b}/versions"),
        &[file],
        true,
    )
    .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let resp = upload(&mut op, b, "other", "x", "x.pdf", &sneaky).await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);

    // County staff of 崇川 see A, not B (海门).
    let mut county = app.signed_in("county-a").await;
    let status = county
        .get(&format!(
            "/platforms/{b}/documents/{did_b}/versions/{vid_b}"
        ))
        .await
        .status;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The leader reads and downloads but never uploads.
    let mut leader = app.signed_in("leader").await;
    let status = leader
        .get(&format!(
            "/platforms/{b}/documents/{did_b}/versions/{vid_b}"
        ))
        .await
        .status;
    assert_eq!(status, StatusCode::OK);
    let page = leader.get(&format!("/platforms/{b}/documents")).await;
    assert!(page.texts("form[enctype='multipart/form-data']").is_empty());
    let resp = upload(&mut leader, b, "other", "x", "x.pdf", &sneaky).await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    // The advisor of B downloads B's documents, and A's not at all.
    let mut adv = app.signed_in("adv1").await;
    let status = adv
        .get(&format!(
            "/platforms/{b}/documents/{did_b}/versions/{vid_b}"
        ))
        .await
        .status;
    assert_eq!(status, StatusCode::OK);
    let status = adv
        .get(&format!(
            "/platforms/{a}/documents/{did_a}/versions/{vid_a}"
        ))
        .await
        .status;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM document_versions",)
            .await,
        2
    );
}

#[tokio::test]
async fn uploads_need_the_csrf_token() {
    let app = TestApp::new().await;
    let p = app.platform("DOC-004", "320613").await;
    let mut c = app.staff_signed_in("staff1", "320600").await;
    let data = pdf("x");
    let parts = [
        Part::Text("kind", "charter"),
        Part::Text("title", "章程"),
        Part::File {
            name: "file",
            file_name: "a.pdf",
            content_type: "application/pdf",
            data: &data,
        },
    ];
    let resp = post_multipart(&mut c, &format!("/platforms/{p}/documents"), &parts, false).await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let mut forged = vec![Part::Text("csrf_token", "forged-token")];
    forged.extend_from_slice(&parts);
    let resp = post_multipart(&mut c, &format!("/platforms/{p}/documents"), &forged, false).await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert_eq!(app.value::<i64>("SELECT count(*) FROM documents").await, 0);
    // With the token it goes through.
    let resp = post_multipart(&mut c, &format!("/platforms/{p}/documents"), &parts, true).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn kind_links_preselect_the_upload_form() {
    let app = TestApp::new().await;
    let p = app.platform("DOC-005", "320613").await;
    app.user("op1", Some(Role::Operator), Some(p), None).await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut op = app.signed_in("op1").await;

    let page = op
        .get(&format!("/platforms/{p}/documents?kind=charter"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.value("#f-kind option[selected]").as_deref(),
        Some("charter")
    );
    assert_eq!(page.text(".kind-filter a[aria-current]"), "章程");
    assert!(
        page.text("#documents .empty")
            .contains("尚无「章程」类文件")
    );
    assert_eq!(
        page.text(".page-head a[role=button]"),
        "返回设立登记",
        "a way back to where charters are needed"
    );
    // The CSRF field comes first in the multipart form.
    let doc = page.doc();
    let first = doc
        .select(&scraper::Selector::parse("#upload form input").unwrap())
        .next()
        .and_then(|i| i.value().attr("name"))
        .map(str::to_string);
    assert_eq!(first.as_deref(), Some("csrf_token"));

    // Decisions are the bureau's: not offered to the operator, and refused if forged.
    let page = op
        .get(&format!("/platforms/{p}/documents?kind=decision"))
        .await;
    assert_eq!(page.value("#f-kind option[selected]"), None);
    assert!(page.texts("#f-kind option[value=decision]").is_empty());
    let resp = upload(&mut op, p, "decision", "决定", "d.pdf", &pdf("d")).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-kind-error"), "「退转并留决定」由科技局上传");

    let mut staff = app.signed_in("staff1").await;
    let page = staff
        .get(&format!("/platforms/{p}/documents?kind=decision"))
        .await;
    assert_eq!(
        page.value("#f-kind option[selected]").as_deref(),
        Some("decision")
    );
    let resp = upload(&mut staff, p, "decision", "决定", "d.pdf", &pdf("d")).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    // An unknown kind just lists everything.
    let page = staff
        .get(&format!("/platforms/{p}/documents?kind=nonsense"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text(".kind-filter a[aria-current]"), "全部");
    assert_eq!(page.texts(".document").len(), 1);
}
