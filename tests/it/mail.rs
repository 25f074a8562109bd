//! Notices by e-mail (issue 14, part 2): the outbox is written with the notice, delivered over
//! SMTP to a REAL local mail server (Python's aiosmtpd, `tests/support/smtp_sink.py`, which saves
//! each message it accepts), retried with backoff while the server is down, never sent twice;
//! reminders respect the opt-out, decisions do not; without a mail server the outbox is kept and
//! the system admin's page says so.
//!
//! Without `python3` and its `aiosmtpd` module (`apt-get install python3-aiosmtpd`) the tests that
//! need the server say so and pass, unless `KECHUANG_E2E=require` (set by `.ci/run`, which installs
//! it), where they fail — the same rule as the browser tests.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestApp, checklist_item, filing_form};
use axum::http::StatusCode;
use kechuang::AppState;
use kechuang::config::{MailSettings, SmtpTls, WebConfig};
use kechuang::db::audit::{self, Actor};
use kechuang::db::notices::{self, To};
use kechuang::domain::annual::Step;
use kechuang::domain::role::Role;
use kechuang::mail::{Mailer, Round, send_due};
use serde_json::Value;

const BASE: &str = "http://kc.test:8080";

/// The local SMTP server: a Python process saving each message to `dir` as JSON.
struct Sink {
    child: Child,
    dir: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Python with aiosmtpd: Debian's first (`python3` on PATH may be another installation).
fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether the SMTP server can run here; panics under `KECHUANG_E2E=require` when it cannot.
fn sink_available(test: &str) -> bool {
    if python().is_some() {
        return true;
    }
    assert!(
        std::env::var("KECHUANG_E2E").as_deref() != Ok("require"),
        "python3 with aiosmtpd is required (apt-get install python3-aiosmtpd)"
    );
    eprintln!("mail {test}: skipped — no python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
    false
}

impl Sink {
    /// Starts the server on `port` and waits until it accepts connections.
    fn start(port: u16) -> Sink {
        let dir = std::env::temp_dir().join(format!("kc-smtp-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let child = Command::new(python().expect("checked by sink_available"))
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP server");
        let sink = Sink { child, dir };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "the SMTP server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        sink
    }

    /// Every message received, in order.
    fn messages(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn settings(port: u16) -> MailSettings {
    MailSettings {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        credentials: None,
        from: "科创平台 <noreply@kc.test>".parse().unwrap(),
        base_url: BASE.into(),
    }
}

/// Sends until nothing is due; the rounds added up.
async fn send_all(app: &TestApp, mailer: &Mailer) -> Round {
    let mut total = Round::default();
    loop {
        let r = send_due(app.pool(), mailer).await.unwrap();
        if r.claimed == 0 {
            return total;
        }
        total.claimed += r.claimed;
        total.sent += r.sent;
        total.retrying += r.retrying;
        total.failed += r.failed;
    }
}

async fn set_email(app: &TestApp, uid: i64, email: &str) {
    sqlx::query("UPDATE users SET email = $2 WHERE id = $1")
        .bind(uid)
        .bind(email)
        .execute(app.pool())
        .await
        .unwrap();
}

/// (status, attempts, last_error) of every outbox row of a user, oldest first.
async fn outbox_of(app: &TestApp, uid: i64) -> Vec<(String, String, i32, Option<String>)> {
    sqlx::query_as(
        "SELECT n.kind, o.status, o.attempts, o.last_error FROM mail_outbox o
           JOIN notices n ON n.id = o.notice_id WHERE o.user_id = $1 ORDER BY o.id",
    )
    .bind(uid)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

/// A decision about the platform, written as the handlers write it (in a transaction).
async fn decision(app: &TestApp, platform: i64) {
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    notices::event(
        &mut tx,
        To::Operators(platform),
        "event.filing_approved",
        "2090年度年初备案（第 1 版）审核通过。",
        &format!("/platforms/{platform}/annual?year=2090"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_returned_filing_emails_the_operator_exactly_once_with_a_link_to_the_page() {
    if !sink_available("returned filing") {
        return;
    }
    let app = TestApp::new().await;
    let own = app.platform("OWN-001", "320613").await;
    let op = app
        .user("op-own", Some(Role::Operator), Some(own), None)
        .await;
    app.user("county-staff", Some(Role::Staff), None, Some("320613"))
        .await;
    app.user("sysadmin", Some(Role::Sysadmin), None, None).await;

    // The system admin sets the operator's address on the account page: validated, audited.
    let mut admin = app.signed_in("sysadmin").await;
    let resp = admin
        .post(
            &format!("/admin/users/{op}/email"),
            &[("email", "zhang san@example")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-email-error"),
        "请填写有效的电子邮箱地址，如 zhangsan@example.cn"
    );
    assert_eq!(
        resp.value("input[name=email]").as_deref(),
        Some("zhang san@example")
    );
    let resp = admin
        .post(
            &format!("/admin/users/{op}/email"),
            &[("email", " Op.Own@Platform.Example.CN ")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = admin.get(resp.location().unwrap()).await;
    assert_eq!(page.text("p.notice[role=status]"), "电子邮箱已保存。");
    assert_eq!(
        page.value("input[name=email]").as_deref(),
        Some("Op.Own@platform.example.cn")
    );
    assert_eq!(app.audit_count("user.email").await, 1);

    // The operator sees the address (read-only) on their own settings page.
    let mut operator = app.signed_in("op-own").await;
    let settings_page = operator.get("/notices/settings").await;
    assert_eq!(settings_page.status, StatusCode::OK);
    assert_eq!(
        settings_page.text("#mail-address dd"),
        "Op.Own@platform.example.cn"
    );
    assert!(settings_page.value("input[name=email]").is_none());

    // The operator files; staff return the filing.
    let form = filing_form("2090", "submit", "0");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let resp = operator
        .post(&format!("/platforms/{own}/annual/filing"), &pairs)
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let (fid, lock): (i64, i32) =
        sqlx::query_as("SELECT id, lock_version FROM filings WHERE platform_id = $1")
            .bind(own)
            .fetch_one(app.pool())
            .await
            .unwrap();
    let mut staff = app.signed_in("county-staff").await;
    let review = format!("/platforms/{own}/annual/filing/{fid}/review");
    // A refused return (no comment) writes nothing, so queues nothing.
    let resp = staff
        .post(
            &review,
            &[("decision", "return"), ("lock_version", &lock.to_string())],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(outbox_of(&app, op).await.is_empty());
    let resp = staff
        .post(
            &review,
            &[
                ("decision", "return"),
                ("lock_version", &lock.to_string()),
                ("comment", "研发投入目标偏低，请调整"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(
        outbox_of(&app, op).await,
        vec![(
            "event.filing_returned".to_owned(),
            "pending".to_owned(),
            0,
            None
        )]
    );

    let port = free_port();
    let sink = Sink::start(port);
    let mailer = Mailer::new(&settings(port)).unwrap();
    let round = send_all(&app, &mailer).await;
    assert_eq!((round.claimed, round.sent), (1, 1));
    // Nothing is due any more: sending again sends nothing.
    assert_eq!(send_all(&app, &mailer).await, Round::default());

    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["Op.Own@platform.example.cn"])
    );
    assert_eq!(m["mail_from"], "noreply@kc.test");
    assert_eq!(m["subject"], "【科创平台】年初备案被退回");
    let body = m["body"].as_str().unwrap();
    assert!(body.starts_with("op-own，您好："), "{body}");
    assert!(
        body.contains(
            "测试平台OWN-001：2090年度年初备案（第 1 版）被退回修改，请按审核意见修改后重新提交。"
        ),
        "{body}"
    );
    assert!(
        body.contains(&format!("{BASE}/platforms/{own}/annual?year=2090")),
        "{body}"
    );
    // A decision: no word about turning e-mails off.
    assert!(!body.contains("通知设置"), "{body}");
    let rows = outbox_of(&app, op).await;
    assert_eq!(rows[0].1, "sent");
    assert_eq!(rows[0].2, 1);
    let delivered: bool = app
        .scalar(
            "SELECT delivered_at IS NOT NULL FROM mail_outbox WHERE user_id = $1",
            op,
        )
        .await;
    assert!(delivered);
}

#[tokio::test]
async fn the_opt_out_suppresses_reminders_but_not_decisions() {
    if !sink_available("opt-out") {
        return;
    }
    let app = TestApp::new().await;
    let own = app.platform("OWN-001", "320613").await;
    let quiet = app
        .user("op-quiet", Some(Role::Operator), Some(own), None)
        .await;
    let keen = app
        .user("op-keen", Some(Role::Operator), Some(own), None)
        .await;
    set_email(&app, quiet, "quiet@example.cn").await;
    set_email(&app, keen, "keen@example.cn").await;

    // op-quiet turns reminder e-mails off (the checkbox left empty); audited.
    let mut c = app.signed_in("op-quiet").await;
    let page = c.get("/notices/settings").await;
    assert!(page.value("#f-mail_reminders").is_some());
    assert_eq!(
        page.texts("#f-mail_reminders[checked]").len(),
        1,
        "on by default"
    );
    let resp = c.post("/notices/settings", &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = c.get(resp.location().unwrap()).await;
    assert_eq!(page.text("p.notice[role=status]"), "通知设置已保存。");
    assert!(page.texts("#f-mail_reminders[checked]").is_empty());
    assert_eq!(app.audit_count("user.mail_reminders").await, 1);

    // Reminders: a deadline 14 days ahead, and a checklist item overdue.
    checklist_item(&app, own, "补充运营管理制度", "2020-06-30").await;
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    let (config, _) = kechuang::db::annual_config::get(&mut tx, 2090)
        .await
        .unwrap();
    let deadline = config.deadline(2090, Step::Filing);
    let created = notices::generate_on(
        &mut tx,
        deadline - chrono::Duration::days(14),
        &kechuang::web::links::NOTICES,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(created, 4, "two reminders for each operator");
    // Both still get the in-app notices.
    let in_app: i64 = app
        .scalar("SELECT count(*) FROM notices WHERE user_id = $1", quiet)
        .await;
    assert_eq!(in_app, 2);
    // A decision.
    decision(&app, own).await;

    let kinds = |rows: Vec<(String, String, i32, Option<String>)>| {
        rows.into_iter().map(|r| r.0).collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(outbox_of(&app, quiet).await),
        vec!["event.filing_approved"]
    );
    assert_eq!(
        kinds(outbox_of(&app, keen).await),
        vec![
            "deadline.filing",
            "overdue.checklist",
            "event.filing_approved"
        ]
    );

    let port = free_port();
    let sink = Sink::start(port);
    let mailer = Mailer::new(&settings(port)).unwrap();
    assert_eq!(send_all(&app, &mailer).await.sent, 4);
    let mut got: Vec<(String, String)> = sink
        .messages()
        .iter()
        .map(|m| {
            (
                m["rcpt_tos"][0].as_str().unwrap().to_owned(),
                m["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "keen@example.cn".to_owned(),
                "【科创平台】年初备案已审核通过".to_owned()
            ),
            (
                "keen@example.cn".to_owned(),
                format!("【科创平台】年初备案截止提醒（截止日期 {deadline}）")
            ),
            (
                "keen@example.cn".to_owned(),
                "【科创平台】清单事项已逾期".to_owned()
            ),
            (
                "quiet@example.cn".to_owned(),
                "【科创平台】年初备案已审核通过".to_owned()
            ),
        ]
    );
    // A reminder says where to turn its e-mails off, and links to the item.
    let overdue = sink
        .messages()
        .into_iter()
        .find(|m| m["subject"] == "【科创平台】清单事项已逾期")
        .unwrap();
    let body = overdue["body"].as_str().unwrap();
    assert!(body.contains(&format!("{BASE}/notices/settings")), "{body}");
    assert!(
        body.contains("清单事项「补充运营管理制度」的完成期限为 2020-06-30，已逾期"),
        "{body}"
    );
    assert!(
        body.contains(&format!("{BASE}/platforms/{own}/checklist/")),
        "{body}"
    );

    // Running the generator again queues nothing new (one notice, one e-mail).
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    notices::generate_on(
        &mut tx,
        deadline - chrono::Duration::days(14),
        &kechuang::web::links::NOTICES,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(send_all(&app, &mailer).await, Round::default());
    assert_eq!(sink.messages().len(), 4);
}

#[tokio::test]
async fn with_the_server_down_rows_wait_with_their_error_and_are_delivered_later_once() {
    if !sink_available("server down") {
        return;
    }
    let mut app = TestApp::new().await;
    let own = app.platform("OWN-001", "320613").await;
    let op = app
        .user("op-own", Some(Role::Operator), Some(own), None)
        .await;
    app.user("sysadmin", Some(Role::Sysadmin), None, None).await;
    set_email(&app, op, "op@example.cn").await;
    let port = free_port();
    app.router = kechuang::router(AppState::new(
        app.pool().clone(),
        WebConfig {
            mail: Some(settings(port)),
            ..WebConfig::default()
        },
    ));
    decision(&app, own).await;

    // Nobody listens on the port.
    let mailer = Mailer::new(&settings(port)).unwrap();
    let round = send_due(app.pool(), &mailer).await.unwrap();
    assert_eq!((round.claimed, round.retrying), (1, 1));
    let rows = outbox_of(&app, op).await;
    assert_eq!((rows[0].1.as_str(), rows[0].2), ("pending", 1));
    let error = rows[0].3.clone().unwrap();
    assert!(error.starts_with("无法连接邮件服务器\n"), "{error}");
    // Backoff: not due again for a minute.
    let wait: f64 = app
        .scalar(
            "SELECT extract(epoch FROM next_attempt_at - now())::float8 FROM mail_outbox WHERE user_id = $1",
            op,
        )
        .await;
    assert!((50.0..=61.0).contains(&wait), "{wait}");
    assert_eq!(
        send_due(app.pool(), &mailer).await.unwrap(),
        Round::default()
    );

    // The system admin sees it: the server, the counts, the failure with its reason.
    let mut admin = app.signed_in("sysadmin").await;
    let page = admin.get("/admin/mail").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("#mail-off").is_empty());
    assert!(
        page.text("#mail-server")
            .contains(&format!("127.0.0.1:{port}"))
    );
    assert_eq!(page.text("#count-pending"), "1");
    let failure = page.text("#mail-failures tbody tr");
    assert!(failure.contains("op-own"), "{failure}");
    assert!(failure.contains("无法连接邮件服务器"), "{failure}");
    assert!(failure.contains("等待重试"), "{failure}");
    assert!(failure.contains("1 次"), "{failure}");
    // No business data on an administrator's page: the notice's text is not shown.
    assert!(!page.body.contains("审核通过。"), "notice text leaked");

    // The server comes up; time passes (the row falls due); it is delivered, once.
    let sink = Sink::start(port);
    sqlx::query("UPDATE mail_outbox SET next_attempt_at = now()")
        .execute(app.pool())
        .await
        .unwrap();
    let round = send_all(&app, &mailer).await;
    assert_eq!((round.claimed, round.sent), (1, 1));
    assert_eq!(send_all(&app, &mailer).await, Round::default());
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(
        outbox_of(&app, op).await,
        vec![(
            "event.filing_approved".to_owned(),
            "sent".to_owned(),
            2,
            None
        )]
    );

    // A sender that died between claiming and recording: the row is given up, never re-sent.
    decision(&app, own).await;
    sqlx::query(
        "UPDATE mail_outbox SET status = 'sending', attempts = 1, claimed_at = now() - interval '1 hour'
          WHERE status = 'pending'",
    )
    .execute(app.pool())
    .await
    .unwrap();
    assert_eq!(send_all(&app, &mailer).await, Round::default());
    assert_eq!(sink.messages().len(), 1);
    let rows = outbox_of(&app, op).await;
    assert_eq!(rows[1].1, "failed");
    assert_eq!(rows[1].3.as_deref(), Some(kechuang::db::mail::STALE_ERROR));

    // Out of tries while the server is down: given up as failed, shown as 已放弃.
    drop(sink);
    decision(&app, own).await;
    app.exec(
        "UPDATE mail_outbox SET attempts = $1 WHERE status = 'pending'",
        kechuang::domain::mail::MAX_ATTEMPTS - 1,
    )
    .await;
    let round = send_due(app.pool(), &mailer).await.unwrap();
    assert_eq!((round.claimed, round.failed), (1, 1));
    let page = admin.get("/admin/mail").await;
    assert_eq!(page.text("#count-failed"), "2");
    assert_eq!(page.text("#count-sent"), "1");
    assert!(page.text("#mail-failures").contains("已放弃"));
}

#[tokio::test]
async fn without_a_mail_server_the_outbox_is_kept_and_the_admin_page_says_so() {
    let app = TestApp::new().await;
    let own = app.platform("OWN-001", "320613").await;
    let op = app
        .user("op-own", Some(Role::Operator), Some(own), None)
        .await;
    let other = app
        .user("op-no-mail", Some(Role::Operator), Some(own), None)
        .await;
    app.user("sysadmin", Some(Role::Sysadmin), None, None).await;
    set_email(&app, op, "op@example.cn").await;
    decision(&app, own).await;
    // Only the account with an address has an e-mail queued; both have the notice.
    assert_eq!(outbox_of(&app, op).await.len(), 1);
    assert!(outbox_of(&app, other).await.is_empty());

    let mut admin = app.signed_in("sysadmin").await;
    let page = admin.get("/admin/mail").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text("#mail-off")
            .starts_with("尚未配置邮件服务器：邮件不会发送"),
        "{}",
        page.body
    );
    assert_eq!(page.text("#count-pending"), "1");
    assert_eq!(page.text("#count-sent"), "0");
    assert_eq!(page.text("#failures-empty"), "暂无发送失败的邮件。");
    // The menu leads there.
    assert!(
        admin
            .get("/admin/users")
            .await
            .body
            .contains("href=\"/admin/mail\"")
    );

    // Users are told too, and see their own address or that there is none.
    let mut c = app.signed_in("op-no-mail").await;
    let page = c.get("/notices/settings").await;
    assert_eq!(page.text("#mail-address dd"), "未填写");
    assert!(page.text("#mail-off").contains("尚未开通邮件发送"));
    // Only the system admin sees the outbox.
    assert_eq!(c.get("/admin/mail").await.status, StatusCode::FORBIDDEN);

    // Still there, untouched.
    assert_eq!(
        outbox_of(&app, op).await,
        vec![(
            "event.filing_approved".to_owned(),
            "pending".to_owned(),
            0,
            None
        )]
    );
}
