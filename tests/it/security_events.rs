//! Refused requests as security events, the sign-in rate limit, and input no form of ours sends
//! (issue 11): all against a real PostgreSQL.

use crate::common;

use std::net::SocketAddr;

use crate::common::{Client, PASSWORD, TestApp};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use kechuang::domain::role::Role;

async fn refusals(app: &TestApp, reason: &str) -> i64 {
    app.scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'request.refused' AND after->>'reason' = $1",
        reason,
    )
    .await
}

/// A sign-in attempt from a given client address.
async fn login_from(c: &mut Client, addr: &str, username: &str, password: &str) -> common::Resp {
    let page = c.get("/login").await;
    let token = page.value("input[name=csrf_token]").unwrap();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
            ("next", "/"),
        ])
        .finish();
    let mut req = Request::post("/login")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::COOKIE, c.cookie_header())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let addr: SocketAddr = addr.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    c.send(req).await
}

#[tokio::test]
async fn refusals_are_audited_and_other_platforms_look_like_missing_ones() {
    let app = TestApp::new().await;
    let own = app.platform("SE-1", "320613").await;
    let other = app.platform("SE-2", "320613").await;
    app.user("op1", Some(Role::Operator), Some(own), None).await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;

    // Another platform answers exactly like one that does not exist (no enumeration) ...
    let mut op = app.signed_in("op1").await;
    let theirs = op.get(&format!("/platforms/{other}")).await;
    let missing = op.get("/platforms/987654321").await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.text("h1"), missing.text("h1"));
    assert_eq!(
        op.get(&format!("/platforms/{own}")).await.status,
        StatusCode::OK
    );
    // ... but it is an access-control failure, and audited as one (who, what).
    assert_eq!(refusals(&app, "out_of_scope").await, 1);
    let (actor, path): (String, String) = sqlx::query_as(
        "SELECT actor_name, after->>'path' FROM audit_log WHERE action = 'request.refused'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (actor.as_str(), path),
        ("op1", format!("/platforms/{other}"))
    );

    // A role refusal and a forged form are audited too.
    assert_eq!(op.get("/compliance").await.status, StatusCode::FORBIDDEN);
    assert_eq!(refusals(&app, "forbidden").await, 1);
    let mut staff = app.signed_in("staff1").await;
    let forged = staff
        .post_raw("/platforms", &[("code", "X")], Some("http://evil.example"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(refusals(&app, "csrf").await, 1);
}

#[tokio::test]
async fn a_flood_of_refusals_is_audited_at_a_bounded_rate() {
    let app = TestApp::new().await;
    let mut c = app.client();
    // Anonymous forged posts from one address: 25 refusals, at most 10 recorded this minute.
    for _ in 0..25 {
        let mut req = Request::post("/logout")
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "http://evil.example")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(
            "203.0.113.9:5000".parse::<SocketAddr>().unwrap(),
        ));
        assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        refusals(&app, "csrf").await,
        kechuang::web::limits::REFUSALS_PER_ADDRESS as i64
    );
}

#[tokio::test]
async fn sign_ins_are_rate_limited_per_client_address() {
    let app = TestApp::new().await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut c = app.client();
    let limit = kechuang::web::limits::SIGN_IN_PER_ADDRESS;
    for _ in 0..limit {
        let r = login_from(&mut c, "198.51.100.7:4000", "nobody", "Wrong#Pass1").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let limited = login_from(&mut c, "198.51.100.7:4000", "staff1", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited.body.contains("登录尝试过于频繁"),
        "{}",
        limited.body
    );
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(refusals(&app, "rate_limited").await, 1);
    // Another address is not affected.
    let ok = login_from(&mut c, "198.51.100.8:4000", "staff1", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn control_characters_and_absurd_pages_get_a_chinese_400_not_a_500() {
    let app = TestApp::new().await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut anon = app.client();
    // Anonymous sign-in with a NUL in the user name: refused before the database sees it.
    let page = anon.get("/login").await;
    let token = page.value("input[name=csrf_token]").unwrap();
    let nul = anon
        .post_raw(
            "/login",
            &[
                ("csrf_token", &token),
                ("username", "a\u{0}b"),
                ("password", "x"),
            ],
            Some("http://localhost"),
        )
        .await;
    assert_eq!(nul.status, StatusCode::BAD_REQUEST);
    assert!(nul.body.contains("控制字符"), "{}", nul.body);

    let mut staff = app.signed_in("staff1").await;
    for path in [
        "/platforms?q=%00",
        "/platforms?q=a%0Db",
        "/platforms/1%00",
        "/login?next=%0d%0aSet-Cookie:x",
    ] {
        let r = staff.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
    }
    let r = staff.post("/platforms", &[("name", "x\u{1}y")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Line breaks and tabs are text a textarea sends: not refused by the guard.
    let r = staff.post("/platforms", &[("name", "x\ny\tz")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The largest page number is an empty page, not an overflow.
    let r = staff.get("/platforms?page=9223372036854775807").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn next_after_sign_in_stays_on_the_site() {
    let app = TestApp::new().await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    for next in [
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "/ok?x=1",
    ] {
        let mut c = app.client();
        let page = c.get("/login").await;
        let token = page.value("input[name=csrf_token]").unwrap();
        let r = c
            .post_raw(
                "/login",
                &[
                    ("csrf_token", &token),
                    ("username", "staff1"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
                Some("http://localhost"),
            )
            .await;
        let to = r.location().unwrap_or_default().to_string();
        let expected = if next == "/ok?x=1" { next } else { "/" };
        assert_eq!(to, expected, "{next:?}");
    }
}
