//! The integration-test harness: a fresh PostgreSQL database per test, the real router
//! driven without a socket, and a small cookie-keeping client.
//!
//! The server is `DATABASE_URL` when set; otherwise a private cluster (fsync off) under
//! `$TMPDIR/kechuang-test-pg` (or `KECHUANG_TEST_PG_DIR`), started once and shared by all test
//! processes and runs. Each test database is a copy of a migrated template, so a test starts in milliseconds.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kechuang::config::WebConfig;
use kechuang::db::audit::{self, Actor};
use kechuang::db::users::{self, NewUser};
use kechuang::domain::role::Role;
use kechuang::embedded_pg::{EmbeddedOptions, EmbeddedPg};
use kechuang::{AppState, password_hash};
use scraper::{Html, Selector};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Connection, PgConnection, PgPool, Postgres};
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub mod fixture;
pub mod xlsx;

pub use fixture::{
    CHONGCHUAN, CITY, Figures, HAIMEN, RECTIFICATION_FORM, TwoPlatforms, approved_filing, cast,
    checklist_item, document, filing_form, platform, submitted_filing, submitted_midyear,
    two_platforms,
};

pub const PASSWORD: &str = "Test#Pass2025";

/// Connection options for the server (any database name is set later).
async fn server() -> &'static PgConnectOptions {
    static SERVER: OnceCell<PgConnectOptions> = OnceCell::const_new();
    SERVER
        .get_or_init(|| async {
            match std::env::var("DATABASE_URL") {
                Ok(url) => {
                    PgConnectOptions::from_str(&url).expect("DATABASE_URL is not a valid URL")
                }
                Err(_) => {
                    // Under the temp dir: short (socket path limit) and reachable by the
                    // `postgres` OS user when the tests run as root.
                    let dir = std::env::var_os("KECHUANG_TEST_PG_DIR")
                        .map(std::path::PathBuf::from)
                        .unwrap_or_else(|| std::env::temp_dir().join("kechuang-test-pg"));
                    let pg = EmbeddedPg::start(EmbeddedOptions {
                        data_dir: dir,
                        fsync: false,
                    })
                    .await
                    .expect("could not start a PostgreSQL cluster for the tests");
                    // The cluster outlives this process and is reused by the next run.
                    pg.connect_options("postgres")
                }
            }
        })
        .await
}

/// FNV-1a, 64 bits: a stable key for template names (not for security).
fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

const FNV_SEED: u64 = 0xcbf29ce484222325;

/// The migrated template database's name: it changes whenever a migration does.
fn template_name() -> String {
    let mut h = FNV_SEED;
    for m in kechuang::database::MIGRATOR.iter() {
        h = fnv(h, &m.checksum);
    }
    format!("kc_tpl_{:012x}", h & 0xffff_ffff_ffff)
}

/// The demo-city template's name for `today` (Beijing): the migrated template's name, a hash of the app's
/// sources (`src/`, `migrations/`: the demo loader and everything it calls) and the date (the demo city is
/// built around today). A change to the code or a new day gives a new template.
fn demo_template_name(today: chrono::NaiveDate) -> String {
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, files);
            } else {
                files.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    walk(&root.join("migrations"), &mut files);
    files.sort();
    let mut h = fnv(FNV_SEED, template_name().as_bytes());
    for f in &files {
        h = fnv(
            h,
            f.strip_prefix(root)
                .unwrap_or(f)
                .to_string_lossy()
                .as_bytes(),
        );
        h = fnv(h, &std::fs::read(f).unwrap_or_default());
    }
    format!(
        "kc_demo_{:012x}_{}",
        h & 0xffff_ffff_ffff,
        today.format("%Y%m%d")
    )
}

/// A template database: built once (across processes, under advisory lock `lock`) as a copy of `from`
/// (`None`: an empty database) filled by `fill`, then renamed to `name`. Templates of other keys stay
/// (other checkouts may share this server), except demo templates two or more days old.
async fn build_template<F>(name: &str, from: Option<&str>, lock: i64, fill: F)
where
    F: AsyncFnOnce(&PgPool),
{
    let opts = server().await.clone().database("postgres");
    let mut conn = PgConnection::connect_with(&opts)
        .await
        .expect("connect to the test server");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(lock)
        .execute(&mut conn)
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    if !exists {
        let building = format!("{name}_build");
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        let create = match from {
            Some(from) => format!("CREATE DATABASE \"{building}\" TEMPLATE \"{from}\""),
            None => format!("CREATE DATABASE \"{building}\""),
        };
        sqlx::query(&create).execute(&mut conn).await.unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone().database(&building))
            .await
            .unwrap();
        fill(&pool).await;
        pool.close().await;
        // The closed pool's backend may still be on its way out.
        sqlx::query(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1",
        )
        .bind(&building)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(&format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        // Yesterday's demo city may still serve a run that crossed midnight; older ones go (one
        // being copied right now refuses to be dropped, and stays).
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT datname FROM pg_database WHERE datname LIKE 'kc\\_demo\\_%'
               AND right(datname, 8) < to_char(now() AT TIME ZONE 'Asia/Shanghai' - interval '1 day', 'YYYYMMDD')",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for old in stale {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{old}\""))
                .execute(&mut conn)
                .await;
        }
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(lock)
        .execute(&mut conn)
        .await
        .unwrap();
}

/// The migrated template, created once (across processes).
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            build_template(&name, None, 72210, async |pool: &PgPool| {
                kechuang::database::migrate(pool)
                    .await
                    .expect("migrations apply");
            })
            .await;
            name
        })
        .await
}

/// The demo-city template of today (Beijing): the migrated template with `kechuang::demo::load` run
/// on it, created once per code version and day (across processes).
async fn demo_template() -> String {
    static DEMO: tokio::sync::Mutex<Option<(chrono::NaiveDate, String)>> =
        tokio::sync::Mutex::const_new(None);
    let today = kechuang::clock::today();
    let mut demo = DEMO.lock().await;
    if let Some((day, name)) = demo.as_ref()
        && *day == today
    {
        return name.clone();
    }
    let migrated = template().await;
    let name = demo_template_name(today);
    build_template(&name, Some(migrated), 72211, async |pool: &PgPool| {
        kechuang::demo::load(pool)
            .await
            .expect("the demo city loads");
    })
    .await;
    *demo = Some((today, name.clone()));
    name
}

/// A fresh database for one test, dropped when the test ends.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
}

impl TestDb {
    /// A copy of the migrated template.
    pub async fn new() -> TestDb {
        TestDb::copy_of(template().await).await
    }

    /// A copy of the demo-city template (`kechuang::demo::load` already run).
    pub async fn with_demo() -> TestDb {
        TestDb::copy_of(&demo_template().await).await
    }

    async fn copy_of(template: &str) -> TestDb {
        let name = format!("kc_test_{}", uuid::Uuid::new_v4().simple());
        let admin = server().await.clone().database("postgres");
        let mut conn = PgConnection::connect_with(&admin).await.unwrap();
        sqlx::query(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(server().await.clone().database(&name))
            .await
            .unwrap();
        TestDb { pool, name }
    }

    /// A superuser connection to this database (for tampering with the audit trail).
    pub async fn superuser(&self) -> PgConnection {
        PgConnection::connect_with(&server().await.clone().database(&self.name))
            .await
            .unwrap()
    }

    /// Runs `statements` in one transaction as the database owner with the triggers off (as a
    /// maintenance session would): to tamper with the append-only audit trail or age a row.
    pub async fn bypassing_triggers(&self, statements: &[&str]) {
        let mut su = self.superuser().await;
        let mut tx = su.begin().await.unwrap();
        sqlx::query("SET LOCAL session_replication_role = replica")
            .execute(&mut *tx)
            .await
            .unwrap();
        for sql in statements {
            sqlx::query(sql)
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        tx.commit().await.unwrap();
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let Some(admin) = SERVER_FOR_DROP.get().cloned() else {
            return;
        };
        // Drop runs outside async: use a short-lived runtime on another thread. The test's
        // own pool cannot be closed from there (its tasks live on the test's runtime):
        // `WITH (FORCE)` ends its connections.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect_with(&admin.database("postgres")).await
                {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}

static SERVER_FOR_DROP: OnceLock<PgConnectOptions> = OnceLock::new();

/// The app on a fresh database, with its router.
pub struct TestApp {
    pub db: TestDb,
    pub router: Router,
}

impl TestApp {
    /// The app on an empty migrated database.
    pub async fn new() -> TestApp {
        TestApp::on(TestDb::new().await).await
    }

    /// The app on the demo city (as `kechuang::demo::load` leaves it), copied from a template: the
    /// loader runs once per code version and day, not once per test.
    pub async fn with_demo() -> TestApp {
        TestApp::on(TestDb::with_demo().await).await
    }

    async fn on(db: TestDb) -> TestApp {
        let _ = SERVER_FOR_DROP.set(server().await.clone());
        let router = kechuang::router(AppState::new(db.pool.clone(), WebConfig::default()));
        TestApp { db, router }
    }

    pub fn pool(&self) -> &PgPool {
        &self.db.pool
    }

    /// The compliance snapshots of `ids` (`None`: every platform) on `as_of` with the parameters in
    /// force then: what `kechuang snapshot` writes and `kechuang check` reads.
    pub async fn snapshots(
        &self,
        ids: Option<&[i64]>,
        as_of: chrono::NaiveDate,
    ) -> Vec<(i64, kechuang::domain::compliance::Snapshot)> {
        let mut conn = self.pool().acquire().await.unwrap();
        let params = kechuang::db::rule_params::in_force(&mut conn, as_of)
            .await
            .unwrap();
        kechuang::db::snapshot::build_on(&mut conn, ids, as_of, &params)
            .await
            .unwrap()
    }

    /// The compliance snapshot of one platform on `as_of` ([`TestApp::snapshots`]).
    pub async fn snapshot(
        &self,
        platform: i64,
        as_of: chrono::NaiveDate,
    ) -> kechuang::domain::compliance::Snapshot {
        let (_, snap) = self
            .snapshots(Some(&[platform]), as_of)
            .await
            .into_iter()
            .next()
            .expect("one snapshot");
        snap
    }

    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookies: BTreeMap::new(),
        }
    }

    /// A client already signed in as `username` (password [`PASSWORD`]).
    pub async fn signed_in(&self, username: &str) -> Client {
        let mut client = self.client();
        let resp = client.login(username, PASSWORD).await;
        assert_eq!(
            resp.status,
            StatusCode::SEE_OTHER,
            "login of {username} failed: {}",
            resp.body
        );
        client
    }

    /// The platform's stage (`registration`, `operating`, `rectifying`, …).
    pub async fn stage(&self, platform: i64) -> String {
        self.scalar("SELECT stage FROM platforms WHERE id = $1", platform)
            .await
    }

    /// The status (`pass`, `fail`, …) of the platform's stored finding for `rule` (`REG-CHARTER`, …).
    pub async fn finding(&self, platform: i64, rule: &str) -> String {
        sqlx::query_scalar("SELECT status FROM findings WHERE platform_id = $1 AND rule_id = $2")
            .bind(platform)
            .bind(rule)
            .fetch_one(self.pool())
            .await
            .unwrap_or_else(|e| panic!("finding {rule} of platform {platform}: {e}"))
    }

    /// The id of the account `username`.
    pub async fn user_id(&self, username: &str) -> i64 {
        self.scalar("SELECT id FROM users WHERE username = $1", username)
            .await
    }

    /// A client holding a brand-new session of account `user` (no password round trip, no sign-in
    /// rate limit: for the demo city's accounts and for many sessions).
    pub async fn session_for(&self, user: i64) -> Client {
        let mut conn = self.pool().acquire().await.unwrap();
        let cookie = kechuang::db::sessions::create(&mut conn, user, None)
            .await
            .unwrap();
        let mut client = self.client();
        client.cookies.insert("kc_session".into(), cookie);
        client
    }

    /// A client holding a brand-new session of `username` ([`TestApp::session_for`]).
    pub async fn session_of(&self, username: &str) -> Client {
        self.session_for(self.user_id(username).await).await
    }

    /// Creates a staff account of the jurisdiction ([`CITY`]: the whole city) and signs it in.
    pub async fn staff_signed_in(&self, username: &str, jurisdiction_code: &str) -> Client {
        self.user(username, Some(Role::Staff), None, Some(jurisdiction_code))
            .await;
        self.signed_in(username).await
    }

    /// Creates an account directly (as the bootstrap CLI would).
    pub async fn user(
        &self,
        username: &str,
        role: Option<Role>,
        platform_id: Option<i64>,
        jurisdiction_code: Option<&str>,
    ) -> i64 {
        let jurisdiction_id: Option<i32> = match jurisdiction_code {
            Some(code) => Some(
                self.scalar("SELECT id FROM jurisdictions WHERE code = $1", code)
                    .await,
            ),
            None => None,
        };
        let actor = Actor::system("test");
        let mut tx = audit::begin(self.pool(), &actor).await.unwrap();
        let user = users::insert(
            &mut tx,
            &NewUser {
                username,
                display_name: username,
                password_hash: password_hash_of_test_password(),
                role,
                platform_id,
                jurisdiction_id,
                must_change_password: false,
                is_demo: false,
            },
        )
        .await
        .unwrap();
        kechuang::db::data_changed(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        user.id
    }

    /// Creates a platform directly (operating, 技术服务类); returns its id. [`platform`] builds others.
    pub async fn platform(&self, code: &str, jurisdiction_code: &str) -> i64 {
        platform(code)
            .in_county(jurisdiction_code)
            .insert(self)
            .await
    }

    /// Issues an API token as the security admin would (the account `token-issuer` is made on
    /// first use); it expires in `days` days (negative: already expired). Returns the token.
    pub async fn api_token(&self, name: &str, jurisdiction_code: &str, days: i64) -> String {
        let issuer: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE username = 'token-issuer'")
                .fetch_optional(self.pool())
                .await
                .unwrap();
        let issuer = match issuer {
            Some(id) => id,
            None => {
                self.user("token-issuer", Some(Role::Secadmin), None, None)
                    .await
            }
        };
        let jurisdiction_id: i32 = self
            .scalar(
                "SELECT id FROM jurisdictions WHERE code = $1",
                jurisdiction_code,
            )
            .await;
        let actor = Actor {
            id: Some(issuer),
            name: "token-issuer".into(),
            role: Some(Role::Secadmin),
            addr: None,
        };
        let token = kechuang::db::api_tokens::new_token();
        let mut tx = audit::begin(self.pool(), &actor).await.unwrap();
        let new = kechuang::db::api_tokens::NewToken {
            name,
            jurisdiction_id,
            expires_at: chrono::Utc::now() + chrono::Duration::days(days),
            created_by: issuer,
        };
        kechuang::db::api_tokens::insert(&mut tx, &new, &token)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        token
    }

    /// Advances the data version after a raw SQL write, as every write of the app does (the page
    /// caches key on it, `web::cache`).
    pub async fn data_changed(&self) {
        let mut conn = self.pool().acquire().await.unwrap();
        kechuang::db::data_changed(&mut conn).await.unwrap();
    }

    pub async fn audit_count(&self, action: &str) -> i64 {
        self.scalar("SELECT count(*) FROM audit_log WHERE action = $1", action)
            .await
    }

    /// The one value `sql` selects with `arg` as its `$1`, e.g.
    /// `let stage: String = app.scalar("SELECT stage FROM platforms WHERE id = $1", p).await;`.
    pub async fn scalar<'q, T>(&self, sql: &'q str, arg: impl Bind<'q>) -> T
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, PgRow>,
    {
        sqlx::query_scalar(sql)
            .bind(arg)
            .fetch_one(self.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one value `sql` (no parameters) selects, e.g. `app.value::<i64>("SELECT count(*) FROM …")`.
    pub async fn value<T>(&self, sql: &str) -> T
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, PgRow>,
    {
        sqlx::query_scalar(sql)
            .fetch_one(self.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The values of the one column `sql` selects with `arg` as its `$1`, in the order it gives.
    pub async fn column<'q, T>(&self, sql: &'q str, arg: impl Bind<'q>) -> Vec<T>
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, PgRow>,
    {
        sqlx::query_scalar(sql)
            .bind(arg)
            .fetch_all(self.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The values of the one column `sql` (no parameters) selects, in the order it gives.
    pub async fn values<T>(&self, sql: &str) -> Vec<T>
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, PgRow>,
    {
        sqlx::query_scalar(sql)
            .fetch_all(self.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs a raw write with `arg` as its `$1` (a set-up the pages do not offer); the caller advances
    /// the data version ([`TestApp::data_changed`]) where a cached page must see it.
    pub async fn exec<'q>(&self, sql: &'q str, arg: impl Bind<'q>) {
        sqlx::query(sql)
            .bind(arg)
            .execute(self.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// A value a query can bind as a parameter (`i64`, `&str`, `String`, `Option<…>`, …).
pub trait Bind<'q>: 'q + Send + sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> {}
impl<'q, A: 'q + Send + sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres>> Bind<'q> for A {}

/// argon2 is slow on purpose: hash the test password once per process.
fn password_hash_of_test_password() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password_hash::hash(PASSWORD).unwrap())
}

/// A response, body read.
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent (downloads).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub fn doc(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// Texts of the elements matching a CSS selector (whitespace collapsed).
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap();
        self.doc()
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// Each row matching `selector` as its cells' (`th`, `td`) texts joined by one space.
    pub fn rows(&self, selector: &str) -> Vec<String> {
        let row_sel = Selector::parse(selector).unwrap();
        let cell_sel = Selector::parse("th, td").unwrap();
        self.doc()
            .select(&row_sel)
            .map(|row| {
                row.select(&cell_sel)
                    .map(|c| {
                        c.text()
                            .collect::<String>()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// Each row matching `selector` as the trimmed texts of its `td` cells.
    pub fn cells(&self, selector: &str) -> Vec<Vec<String>> {
        let row_sel = Selector::parse(selector).unwrap();
        let td = Selector::parse("td").unwrap();
        self.doc()
            .select(&row_sel)
            .map(|row| {
                row.select(&td)
                    .map(|c| c.text().collect::<String>().trim().to_string())
                    .collect()
            })
            .collect()
    }

    pub fn text(&self, selector: &str) -> String {
        self.texts(selector).into_iter().next().unwrap_or_default()
    }

    /// The `value` attribute of the first element matching a selector.
    pub fn value(&self, selector: &str) -> Option<String> {
        let sel = Selector::parse(selector).unwrap();
        self.doc()
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr("value").map(str::to_string))
    }
}

/// Drives the router like a browser: keeps cookies, sends `Host` and `Origin`.
#[derive(Clone)]
pub struct Client {
    router: Router,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub async fn send(&mut self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        for value in resp.headers().get_all(header::SET_COOKIE) {
            let cookie =
                axum_extra::extract::cookie::Cookie::parse(value.to_str().unwrap().to_string())
                    .unwrap();
            let expired =
                cookie.max_age().is_some_and(|a| a.is_zero()) || cookie.value().is_empty();
            if expired {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_string(), cookie.value().to_string());
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    /// The `Cookie` header this client sends (for a request built by hand: uploads, raw bodies).
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// A GET with `Authorization: Bearer <token>` (the JSON API) and no cookies.
    pub async fn get_with_token(&mut self, path: &str, token: &str) -> Resp {
        let req = Request::get(path)
            .header(header::HOST, "localhost")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// Posts a form exactly as given (no token added).
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut req = Request::post(path)
            .header(header::HOST, "localhost")
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            req = req.header(header::ORIGIN, origin);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// The CSRF token of the signed-in session, as the pages embed it.
    pub async fn csrf(&mut self) -> String {
        let page = self.get("/password").await;
        page.value("input[name=csrf_token]")
            .expect("no CSRF token on the page (not signed in?)")
    }

    /// Posts a form from our own origin with the session's CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let token = self.csrf().await;
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some("http://localhost")).await
    }

    pub async fn login(&mut self, username: &str, password: &str) -> Resp {
        let page = self.get("/login").await;
        let token = page.value("input[name=csrf_token]").unwrap();
        self.post_raw(
            "/login",
            &[
                ("csrf_token", &token),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ],
            Some("http://localhost"),
        )
        .await
    }
}
