//! The bare page of `scripts/bench.sh` (QUALITY.md, Performance): the yardstick every page is
//! measured against. An axum + sqlx + askama handler with no middleware and no authentication
//! that runs the registry list's three statements — a one-row lookup, one page of 20 platforms
//! joined with their jurisdiction, the count — over the same database, with the same pool size
//! and connection settings as the app, and renders them as a table.
//!
//! cargo run --release --example bare -- --socket var-bench/postgres/run --bind 127.0.0.1:8098
//! (`GET /list?page=N` is the three-statement page, `GET /one` a one-statement page.)

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    code: String,
    name: String,
    jurisdiction_name: String,
    stage: String,
    created_at: DateTime<Utc>,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>平台</title></head>
<body><p>{{ version }}</p><table><thead><tr><th>编号</th><th>名称</th><th>地区</th><th>阶段</th><th>登记时间</th></tr></thead>
<tbody>{% for r in rows %}<tr><td><a href="/platforms/{{ r.id }}">{{ r.code }}</a></td><td>{{ r.name }}</td>
<td>{{ r.jurisdiction_name }}</td><td>{{ r.stage }}</td><td>{{ r.created_at.format("%Y-%m-%d") }}</td></tr>{% endfor %}</tbody></table>
<p>共 {{ total }} 个</p></body></html>"#
)]
struct ListPage {
    version: i64,
    rows: Vec<Row>,
    total: i64,
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

async fn list(State(pool): State<PgPool>, Query(q): Query<PageQuery>) -> Html<String> {
    let offset = (q.page.unwrap_or(1).max(1) - 1) * 20;
    let version: i64 = sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(&pool)
        .await
        .expect("data_version");
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.code, p.name, j.name AS jurisdiction_name, p.stage, p.created_at
         FROM platforms p JOIN jurisdictions j ON j.id = p.jurisdiction_id
         ORDER BY p.code, p.id LIMIT 20 OFFSET $1",
    )
    .bind(offset)
    .fetch_all(&pool)
    .await
    .expect("rows");
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM platforms")
        .fetch_one(&pool)
        .await
        .expect("count");
    Html(
        ListPage {
            version,
            rows,
            total,
        }
        .render()
        .expect("render"),
    )
}

async fn one(State(pool): State<PgPool>) -> Html<String> {
    let version: i64 = sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(&pool)
        .await
        .expect("data_version");
    Html(format!("<!doctype html><p>{version}</p>"))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let socket = std::fs::canonicalize(arg(&args, "--socket", "var-bench/postgres/run"))
        .expect("the embedded cluster's socket directory");
    let bind = arg(&args, "--bind", "127.0.0.1:8098");
    let connections: u32 = arg(&args, "--connections", "16")
        .parse()
        .expect("--connections N");
    let options = kechuang::database::session_settings(
        PgConnectOptions::new_without_pgpass()
            .host(socket.to_str().expect("a UTF-8 path"))
            .port(5432)
            .username("postgres")
            .database(kechuang::database::EMBEDDED_DB),
    );
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await
        .expect("connect");
    let app = axum::Router::new()
        .route("/list", get(list))
        .route("/one", get(one))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&bind).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
