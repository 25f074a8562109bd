//! Double submission over every create route of the route registry (issue 11, item 2): the
//! same form (same CSRF token, same one-time `form_token`) posted twice in parallel, then
//! replayed, leaves one record and advances the data version (the write, and the findings
//! refresh after it when the findings change; a replay advances nothing); a new token is a new
//! submission. And every form of the pages carries its one-time token.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{Client, RECTIFICATION_FORM, Resp, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kechuang::db::audit::{self, Actor};
use kechuang::web::routes::CREATE_ROUTES;
use sqlx::PgPool;

const BOUNDARY: &str = "----kechuangWritePathBoundary9QzX";

/// One part of a multipart body: a text field or a file.
struct Part {
    name: &'static str,
    file_name: Option<&'static str>,
    data: Vec<u8>,
}

impl Part {
    fn text(name: &'static str, value: &str) -> Part {
        Part {
            name,
            file_name: None,
            data: value.as_bytes().to_vec(),
        }
    }
}

/// What a submission sends besides the CSRF and form tokens.
enum Payload {
    Form(Vec<(&'static str, String)>),
    Multipart(Vec<Part>),
}

impl Payload {
    fn form(fields: &[(&'static str, &str)]) -> Payload {
        Payload::Form(fields.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }

    /// Replaces a form field's value (the `version` the page would show now).
    fn set(&mut self, name: &str, value: String) {
        if let Payload::Form(fields) = self {
            for (k, v) in fields.iter_mut() {
                if *k == name {
                    *v = value.clone();
                }
            }
        }
    }
}

/// May a second submission of the same body, with a new token, create a second record?
enum Again {
    /// Yes; before it, `version` is set to the value the SQL returns (as text), if given.
    Allowed { version_sql: Option<String> },
    /// No, by design (the reason is the comment at the entry).
    Refused,
}

/// One create route's submission, found in the demo city.
struct Entry {
    account: &'static str,
    path: String,
    payload: Payload,
    /// `SELECT count(*) …` of the records the route creates.
    count_sql: String,
    again: Again,
}

fn allowed() -> Again {
    Again::Allowed { version_sql: None }
}

fn count_of(table: &str) -> String {
    format!("SELECT count(*) FROM {table}")
}

/// A tiny PDF the upload check accepts.
fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n% write path\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

async fn scalar_i64(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn pair(pool: &PgPool, sql: &str) -> (i64, i64) {
    sqlx::query_as(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn text(pool: &PgPool, sql: &str) -> String {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Today in Beijing, `days` away, as `YYYY-MM-DD`.
async fn day(pool: &PgPool, days: i32) -> String {
    sqlx::query_scalar("SELECT ((now() AT TIME ZONE 'Asia/Shanghai')::date + $1)::text")
        .bind(days)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The demo's first operating platform (the demo operator's own, assigned to the advisor).
const OPERATOR_PLATFORM: &str = "SELECT platform_id FROM users WHERE username = 'demo-operator'";

/// The submission for `route`, built from the demo data as it is now (so a record an earlier
/// entry created can be used).
async fn entry(pool: &PgPool, route: &str) -> Entry {
    let own = scalar_i64(pool, OPERATOR_PLATFORM).await;
    let today = day(pool, 0).await;
    let in_a_month = day(pool, 30).await;
    match route {
        // A second identical platform is refused by design: its code is unique.
        "/platforms" => {
            let chongchuan = scalar_i64(
                pool,
                "SELECT id::bigint FROM jurisdictions WHERE code = '320613'",
            )
            .await;
            Entry {
                account: "demo-staff",
                path: "/platforms".into(),
                payload: Payload::form(&[
                    ("code", "NT-2026-901"),
                    ("name", "示例重复提交检验平台"),
                    ("jurisdiction_id", &chongchuan.to_string()),
                    ("level", "county"),
                    ("category", "technical_service"),
                    ("industry_cluster", "new_materials"),
                    ("legal_form", "enterprise"),
                    ("co_builders", "示例大学"),
                    ("construction_start", "2026-01-01"),
                    ("construction_end", "2028-12-31"),
                    ("first_support_end", "2029-12-31"),
                ]),
                count_sql: count_of("platforms"),
                again: Again::Refused,
            }
        }
        // A second case is refused by design: a platform has at most one open case.
        "/platforms/{id}/rectification" => {
            let p = scalar_i64(
                pool,
                "SELECT p.id FROM platforms p WHERE p.stage = 'operating'
                   AND NOT EXISTS (SELECT 1 FROM rectification_cases c
                                   WHERE c.platform_id = p.id AND c.status IN ('draft', 'open'))
                 ORDER BY p.id DESC LIMIT 1",
            )
            .await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/rectification"),
                payload: Payload::form(RECTIFICATION_FORM),
                count_sql: count_of("rectification_cases"),
                again: Again::Refused,
            }
        }
        "/platforms/{id}/rectification/{cid}/measures"
        | "/platforms/{id}/rectification/{cid}/notes" => {
            let (cid, p) = pair(
                pool,
                "SELECT id, platform_id FROM rectification_cases WHERE status = 'open' ORDER BY id LIMIT 1",
            )
            .await;
            let version_sql =
                format!("SELECT version::text FROM rectification_cases WHERE id = {cid}");
            let version = text(pool, &version_sql).await;
            let (tail, payload, table) = if route.ends_with("/measures") {
                let due = text(
                    pool,
                    &format!(
                        "SELECT COALESCE(deadline, date '2030-12-31')::text FROM rectification_cases WHERE id = {cid}"
                    ),
                )
                .await;
                (
                    "measures",
                    Payload::form(&[
                        ("version", &version),
                        ("description", "补充技术服务合同登记材料"),
                        ("owner", "运营公司"),
                        ("due_date", &due),
                    ]),
                    "rectification_measures",
                )
            } else {
                (
                    "notes",
                    Payload::form(&[
                        ("version", &version),
                        ("note", "已召开整改推进会，研发团队调整到位。"),
                    ]),
                    "rectification_notes",
                )
            };
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/rectification/{cid}/{tail}"),
                payload,
                count_sql: count_of(table),
                // The case's version moved with the first record: the page shows the new one.
                again: Again::Allowed {
                    version_sql: Some(version_sql),
                },
            }
        }
        "/platforms/{id}/registration/bodies" => {
            let p = scalar_i64(
                pool,
                "SELECT id FROM platforms WHERE stage = 'registration' ORDER BY id LIMIT 1",
            )
            .await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/registration/bodies"),
                payload: Payload::form(&[("kind", "management_committee"), ("name", "管理委员会")]),
                count_sql: count_of("decision_bodies"),
                again: allowed(),
            }
        }
        "/platforms/{id}/registration/bodies/{body_id}/members" => {
            let (body, p) = pair(
                pool,
                "SELECT b.id, b.platform_id FROM decision_bodies b JOIN platforms p ON p.id = b.platform_id
                 WHERE p.stage = 'registration' ORDER BY b.id LIMIT 1",
            )
            .await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/registration/bodies/{body}/members"),
                payload: Payload::form(&[
                    ("name", "王示例"),
                    ("position", "委员"),
                    ("affiliation", "示例大学"),
                ]),
                count_sql: count_of("decision_body_members"),
                again: allowed(),
            }
        }
        // A second company of the same mode is refused by design (one per platform and mode).
        "/platforms/{id}/registration/companies" => {
            // A dossier that has chosen the 平台+运营管理公司 mode but has no such company yet
            // (the demo's dossiers have all their companies: one chooses the mode, as its plan
            // form would).
            let p = scalar_i64(
                pool,
                "SELECT p.id FROM platforms p WHERE p.stage = 'registration'
                   AND NOT EXISTS (SELECT 1 FROM platform_companies c
                                   WHERE c.platform_id = p.id AND c.mode = 'operating_company')
                 ORDER BY p.id LIMIT 1",
            )
            .await;
            let mut tx = audit::begin(pool, &Actor::system("test")).await.unwrap();
            sqlx::query(
                "INSERT INTO registrations (platform_id, operating_modes) VALUES ($1, '{operating_company}')
                 ON CONFLICT (platform_id) DO UPDATE
                 SET operating_modes = array_append(array_remove(registrations.operating_modes, 'operating_company'),
                                                    'operating_company')",
            )
            .bind(p)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let mode = "operating_company";
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/registration/companies"),
                payload: Payload::form(&[
                    ("mode", mode),
                    ("name", "示例运营管理有限公司"),
                    ("uscc", "91320600MA1M9QX7K8"),
                ]),
                count_sql: count_of("platform_companies"),
                again: Again::Refused,
            }
        }
        "/platforms/{id}/registration/companies/{company_id}/shareholders" => {
            let (company, p) = company_with_room(pool).await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/registration/companies/{company}/shareholders"),
                payload: Payload::form(&[
                    ("name", "示例天使投资合伙企业"),
                    ("share_pct", "1"),
                    ("contribution", "cash"),
                ]),
                count_sql: count_of("company_shareholders"),
                again: allowed(),
            }
        }
        "/platforms/{id}/documents" => Entry {
            account: "demo-staff",
            path: format!("/platforms/{own}/documents"),
            payload: Payload::Multipart(vec![
                Part::text("kind", "other"),
                Part::text("title", "重复提交检验材料"),
                Part::text("note", "初稿"),
                Part {
                    name: "file",
                    file_name: Some("材料.pdf"),
                    data: pdf(),
                },
            ]),
            count_sql: count_of("documents"),
            again: allowed(),
        },
        "/platforms/{id}/documents/{did}/versions" => {
            let (did, p) = pair(
                pool,
                "SELECT id, platform_id FROM documents ORDER BY kind = 'other' DESC, id LIMIT 1",
            )
            .await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/documents/{did}/versions"),
                payload: Payload::Multipart(vec![
                    Part::text("note", "修订稿"),
                    Part {
                        name: "file",
                        file_name: Some("材料-修订.pdf"),
                        data: pdf(),
                    },
                ]),
                count_sql: count_of("document_versions"),
                again: allowed(),
            }
        }
        "/platforms/{id}/visits" => Entry {
            account: "demo-advisor",
            path: format!("/platforms/{own}/visits"),
            payload: Payload::form(&[
                ("visit_date", &today),
                ("form", "on_site"),
                ("topics", "中试线建设进度"),
                ("advice", "尽快完成设备联调，准备技术合同登记"),
                ("follow_up", "两周后电话回访"),
            ]),
            count_sql: count_of("advisor_visits"),
            again: allowed(),
        },
        "/platforms/{id}/integrity" => Entry {
            account: "demo-staff",
            path: format!("/platforms/{own}/integrity"),
            payload: Payload::form(&[
                ("occurred_on", &today),
                ("serious", "no"),
                ("description", "项目结题材料引用数据未标注来源，已责令改正"),
                ("funds", "0"),
                ("funds_unit", "wan"),
            ]),
            count_sql: count_of("integrity_records"),
            again: allowed(),
        },
        "/platforms/{id}/ledger/{kind}" => Entry {
            account: "demo-operator",
            path: format!("/platforms/{own}/ledger/revenue"),
            payload: Payload::form(&[
                ("year", &today[..4]),
                ("channel", "service_orders"),
                ("amount", "12.5"),
                ("counterparty", "示例企业"),
                ("description", "检测服务"),
            ]),
            count_sql: count_of("ledger_revenue"),
            again: allowed(),
        },
        "/platforms/{id}/support/{kind}" => Entry {
            account: "demo-operator",
            path: format!("/platforms/{own}/support/transaction"),
            payload: Payload::form(&[
                ("year", &today[..4]),
                ("counterparty", "示例企业"),
                ("amount", "88"),
            ]),
            count_sql: count_of("support_tech_transactions"),
            again: allowed(),
        },
        // Claims are not unique: the same form again is a second claim.
        "/platforms/{id}/support-claims" => {
            let doc = scalar_i64(
                pool,
                &format!("SELECT min(id) FROM documents WHERE platform_id = ({OPERATOR_PLATFORM})"),
            )
            .await;
            Entry {
                account: "demo-operator",
                path: format!("/platforms/{own}/support-claims"),
                payload: Payload::Form(vec![
                    ("programme", "JS-TECH-TRANSFER".into()),
                    ("document_id", doc.to_string()),
                    ("note", "技术转移奖补".into()),
                ]),
                count_sql: count_of("support_claims"),
                again: allowed(),
            }
        }
        // One pending proposal per platform: the same proposal again is refused by design.
        "/cobuild/{year}/proposals" => {
            let year = &today[..4];
            let p = scalar_i64(
                pool,
                &format!(
                    "SELECT p.id FROM platforms p
                     JOIN evaluations pe ON pe.platform_id = p.id AND pe.year = {year} - 2
                     JOIN evaluations le ON le.platform_id = p.id AND le.year = {year} - 1
                     WHERE p.level = 'county' AND p.stage = 'operating' AND p.first_support_end <= current_date
                       AND pe.grade IN ('excellent', 'good') AND le.grade IN ('excellent', 'good')
                       AND NOT EXISTS (SELECT 1 FROM cobuild_proposals c WHERE c.platform_id = p.id)
                     ORDER BY p.id LIMIT 1"
                ),
            )
            .await;
            Entry {
                account: "demo-staff",
                path: format!("/cobuild/{year}/proposals"),
                payload: Payload::Form(vec![
                    ("platform_id", p.to_string()),
                    ("reason", "连续两年评估良好，建议纳入市级支持".into()),
                ]),
                count_sql: count_of("cobuild_proposals"),
                again: Again::Refused,
            }
        }
        // A recovery against the demo's exit decision with funds still to recover.
        "/platforms/{id}/rectification/{cid}/recoveries" => {
            let (p, case) = pair(
                pool,
                "SELECT platform_id, id FROM rectification_cases
                 WHERE status = 'decided' AND funds_to_recover > kc_case_committed(id) ORDER BY id LIMIT 1",
            )
            .await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/rectification/{case}/recoveries"),
                payload: Payload::form(&[
                    ("recovered_on", &today),
                    ("amount", "1000"),
                    ("voucher", "缴款书-测试"),
                    ("note", ""),
                ]),
                count_sql: count_of("fund_recoveries"),
                again: allowed(),
            }
        }
        "/platforms/{id}/midyear/actions" => {
            let (p, year) = pair(
                pool,
                "SELECT platform_id, year::bigint FROM midyear_reviews ORDER BY year DESC, platform_id LIMIT 1",
            )
            .await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/midyear/actions"),
                payload: Payload::form(&[
                    ("year", &year.to_string()),
                    ("title", "补报技术合同登记材料"),
                    ("owner", "成果转化部"),
                    ("due_date", &in_a_month),
                ]),
                count_sql: "SELECT count(*) FROM checklist_items WHERE source LIKE 'midyear:%'"
                    .into(),
                again: allowed(),
            }
        }
        "/platforms/{id}/checklist" => Entry {
            account: "demo-staff",
            path: format!("/platforms/{own}/checklist"),
            payload: Payload::form(&[
                ("title", "完善信息公开栏目"),
                ("owner", "平台办公室"),
                ("due_date", &in_a_month),
            ]),
            // Only items added by hand: a findings refresh may add rule items meanwhile.
            count_sql: "SELECT count(*) FROM checklist_items WHERE source = 'manual'".into(),
            again: allowed(),
        },
        "/platforms/{id}/checklist/{cid}/comments" => {
            let (cid, p) = pair(
                pool,
                "SELECT id, platform_id FROM checklist_items WHERE status = 'open' ORDER BY id LIMIT 1",
            )
            .await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/{p}/checklist/{cid}/comments"),
                payload: Payload::form(&[("comment", "建议结合技术服务订单拓展一并考虑。")]),
                count_sql: count_of("checklist_comments"),
                again: allowed(),
            }
        }
        "/evaluations/{year}/objections" => {
            let (year, eid) = notice_round(pool).await;
            Entry {
                account: "demo-staff",
                path: format!("/evaluations/{year}/objections"),
                payload: Payload::form(&[
                    ("evaluation_id", &eid.to_string()),
                    ("raised_by", "示例同行企业（虚构）"),
                    ("raised_on", &today),
                    ("content", "认为该平台技术合同成交额统计口径偏宽。"),
                ]),
                count_sql: count_of("objections"),
                again: allowed(),
            }
        }
        // A second identical region is refused by design: code and name are unique.
        "/jurisdictions" => Entry {
            account: "demo-staff",
            path: "/jurisdictions".into(),
            payload: Payload::form(&[("code", "T901"), ("name", "示例检验新区")]),
            count_sql: count_of("jurisdictions"),
            again: Again::Refused,
        },
        // A second identical account is refused by design: the username is unique.
        "/admin/users" => Entry {
            account: "demo-sysadmin",
            path: "/admin/users".into(),
            payload: Payload::form(&[("username", "dup.check"), ("display_name", "重复提交")]),
            count_sql: count_of("users"),
            again: Again::Refused,
        },
        // An upload is imported once: confirming it again is refused by design.
        "/platforms/import/{iid}" => {
            let chongchuan = scalar_i64(
                pool,
                "SELECT id::bigint FROM jurisdictions WHERE code = '320613'",
            )
            .await;
            let fields = serde_json::json!({
                "code": "WP-IMPORT-1", "name": "示例导入检验平台",
                "jurisdiction_id": chongchuan.to_string(), "level": "county",
                "legal_form": "public_institution",
            });
            let iid = staged_import(pool, "demo-staff", "platforms", "platforms", fields).await;
            Entry {
                account: "demo-staff",
                path: format!("/platforms/import/{iid}"),
                payload: Payload::form(&[]),
                count_sql: count_of("imports WHERE imported_at IS NOT NULL"),
                again: Again::Refused,
            }
        }
        "/platforms/{id}/ledger/import/{iid}" => {
            let fields = serde_json::json!({"channel": "service_orders", "amount": "1.5"});
            let target = format!("ledger:{own}:2025");
            let iid = staged_import(pool, "demo-operator", "ledger", &target, fields).await;
            Entry {
                account: "demo-operator",
                path: format!("/platforms/{own}/ledger/import/{iid}?year=2025"),
                payload: Payload::form(&[]),
                count_sql: count_of("imports WHERE imported_at IS NOT NULL"),
                again: Again::Refused,
            }
        }
        "/admin/users/import/{iid}" => {
            let fields = serde_json::json!({"username": "wp.import", "display_name": "导入检验"});
            let iid = staged_import(pool, "demo-sysadmin", "accounts", "accounts", fields).await;
            Entry {
                account: "demo-sysadmin",
                path: format!("/admin/users/import/{iid}"),
                payload: Payload::form(&[]),
                count_sql: count_of("imports WHERE imported_at IS NOT NULL"),
                again: Again::Refused,
            }
        }
        // A second token for the same system is allowed (e.g. while the first is being replaced).
        "/security/api-tokens" => {
            let county = scalar_i64(
                pool,
                "SELECT id::bigint FROM jurisdictions WHERE code = '320613'",
            )
            .await;
            Entry {
                account: "demo-secadmin",
                path: "/security/api-tokens".into(),
                payload: Payload::Form(vec![
                    ("name", "重复提交检验系统".into()),
                    ("jurisdiction_id", county.to_string()),
                    ("expires_on", in_a_month.clone()),
                ]),
                count_sql: count_of("api_tokens"),
                again: allowed(),
            }
        }
        other => panic!("no submission for the create route {other}"),
    }
}

/// An upload of one row (`fields`) waiting for `account`'s confirmation, as the preview keeps it.
async fn staged_import(
    pool: &PgPool,
    account: &str,
    kind: &str,
    target: &str,
    fields: serde_json::Value,
) -> i64 {
    let ledger = target.strip_prefix("ledger:").map(|rest| {
        let (p, y) = rest.split_once(':').unwrap();
        (p.parse::<i64>().unwrap(), y.parse::<i32>().unwrap())
    });
    sqlx::query_scalar(
        "INSERT INTO imports (kind, target, platform_id, year, file_name, sha256, row_count, rows, created_by)
         SELECT $1, $2, $3, $4, 'write-path.xlsx', md5($2) || md5($1), 1, $5, id FROM users WHERE username = $6
         RETURNING id",
    )
    .bind(kind)
    .bind(target)
    .bind(ledger.map(|l| l.0))
    .bind(ledger.map(|l| l.1))
    .bind(serde_json::json!([{"sheet": 0, "row": 2, "fields": fields}]))
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A company of a dossier in progress with room for two more 1% shareholders. The demo's
/// companies are fully subscribed: unless an earlier entry registered one, one is registered
/// here on a dossier that has no company of that mode.
async fn company_with_room(pool: &PgPool) -> (i64, i64) {
    let room = "SELECT c.id, c.platform_id FROM platform_companies c JOIN platforms p ON p.id = c.platform_id
                WHERE p.stage NOT IN ('exited', 'converted', 'merged')
                  AND (SELECT COALESCE(sum(share_pct), 0) FROM company_shareholders s
                       WHERE s.company_id = c.id) <= 95
                ORDER BY c.id LIMIT 1";
    if let Some(found) = sqlx::query_as(room).fetch_optional(pool).await.unwrap() {
        return found;
    }
    let mut tx = audit::begin(pool, &Actor::system("test")).await.unwrap();
    let found = sqlx::query_as(
        "INSERT INTO platform_companies (platform_id, mode, name, uscc)
         SELECT p.id, 'industrialization_company', '示例产业化有限公司', '91320600MA1M9QX7K8'
         FROM platforms p WHERE p.stage = 'registration'
           AND NOT EXISTS (SELECT 1 FROM platform_companies c
                           WHERE c.platform_id = p.id AND c.mode = 'industrialization_company')
         ORDER BY p.id LIMIT 1
         RETURNING id, platform_id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    found
}

/// A year whose evaluation round is in its public-notice period, and one of its scored
/// evaluations. The demo's rounds are all published: the latest is put back into its notice
/// period (as if the results had not been published yet).
async fn notice_round(pool: &PgPool) -> (i64, i64) {
    let mut tx = audit::begin(pool, &Actor::system("test")).await.unwrap();
    let year: i32 = sqlx::query_scalar(
        "UPDATE evaluation_rounds
            SET status = 'notice', published_at = NULL, published_by = NULL,
                notice_starts = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1,
                notice_ends = (now() AT TIME ZONE 'Asia/Shanghai')::date + 5
          WHERE year = (SELECT max(year) FROM evaluation_rounds)
          RETURNING year",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let eid: i64 = sqlx::query_scalar(
        "SELECT id FROM evaluations WHERE year = $1 AND status = 'scored' ORDER BY id LIMIT 1",
    )
    .bind(year)
    .fetch_one(pool)
    .await
    .unwrap();
    (i64::from(year), eid)
}

/// A fresh one-time token, as the pages issue them (32 hex digits).
fn token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The request a browser sends for the form.
fn request(
    client: &Client,
    path: &str,
    csrf: &str,
    form_token: &str,
    payload: &Payload,
) -> Request<Body> {
    let cookies = client.cookie_header();
    let req = Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::COOKIE, cookies);
    match payload {
        Payload::Form(fields) => {
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("csrf_token", csrf)
                .append_pair("form_token", form_token)
                .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())))
                .finish();
            req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap()
        }
        Payload::Multipart(parts) => {
            let mut body = Vec::new();
            let tokens = [
                Part::text("csrf_token", csrf),
                Part::text("form_token", form_token),
            ];
            for part in tokens.iter().chain(parts) {
                body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
                let disposition = match part.file_name {
                    Some(file) => format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                        part.name
                    ),
                    None => format!(
                        "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                        part.name
                    ),
                };
                body.extend_from_slice(disposition.as_bytes());
                body.extend_from_slice(&part.data);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
            req.header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(body))
            .unwrap()
        }
    }
}

/// The page that tells a repeated submission without a result page of its own that it was
/// already processed.
const RESUBMITTED_H1: &str = "200 · 表单已提交";

/// What the submission led to: a redirect, or a page (a create that shows its result, e.g. a
/// new account's temporary password).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Result_ {
    Redirect(String),
    Page,
}

/// A successful first answer, or why it is not one.
fn accepted(r: &Resp) -> Option<Result_> {
    match r.status {
        StatusCode::SEE_OTHER => r.location().map(|l| Result_::Redirect(l.to_string())),
        StatusCode::OK if r.text("h1") != RESUBMITTED_H1 => Some(Result_::Page),
        _ => None,
    }
}

/// Is `r` the answer to a repeat of a submission that led to `first`?
fn repeats(first: &Result_, r: &Resp) -> bool {
    match first {
        Result_::Redirect(location) => {
            r.status == StatusCode::SEE_OTHER && r.location() == Some(location.as_str())
        }
        Result_::Page => r.status == StatusCode::OK && r.text("h1") == RESUBMITTED_H1,
    }
}

/// Status, location and the messages of a page, for a failure report.
fn describe(r: &Resp) -> String {
    let mut messages: Vec<String> = r
        .texts("h1, [id$='-error'], .errors li, .refusal, .refusals li, .alert")
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    messages.dedup();
    let mut s = format!("{}", r.status.as_u16());
    if let Some(l) = r.location() {
        s.push_str(&format!(" → {l}"));
    }
    if r.status != StatusCode::SEE_OTHER && !messages.is_empty() {
        let joined = messages.join(" | ");
        s.push_str(&format!(
            " [{}]",
            joined.chars().take(300).collect::<String>()
        ));
    }
    s
}

/// The counters a submission should move.
async fn counters(pool: &PgPool, count_sql: &str) -> (i64, i64) {
    (
        scalar_i64(pool, "SELECT version FROM data_version").await,
        scalar_i64(pool, count_sql).await,
    )
}

/// What went wrong for one route: `invalid` when the submission itself was not accepted (the
/// test's own data is wrong), otherwise a broken write-path guarantee.
struct Failure {
    route: &'static str,
    invalid: bool,
    what: String,
}

async fn check_route(
    app: &TestApp,
    clients: &mut BTreeMap<&'static str, (Client, String)>,
    route: &'static str,
) -> Vec<Failure> {
    let pool = app.pool();
    // The demo data lacks what the route needs: reported, not a stop for the other routes.
    let found = tokio::spawn({
        let pool = pool.clone();
        async move { entry(&pool, route).await }
    })
    .await;
    let mut e = match found {
        Ok(e) => e,
        Err(err) => {
            let why = err
                .try_into_panic()
                .ok()
                .and_then(|p| p.downcast::<String>().ok().map(|s| *s))
                .unwrap_or_default();
            return vec![Failure {
                route,
                invalid: true,
                what: format!("no submission found in the demo data: {why}"),
            }];
        }
    };
    if !clients.contains_key(e.account) {
        let mut c = app.client();
        let resp = c.login(e.account, kechuang::demo::PASSWORD).await;
        assert_eq!(
            resp.status,
            StatusCode::SEE_OTHER,
            "sign-in of {}",
            e.account
        );
        let csrf = c.csrf().await;
        clients.insert(e.account, (c, csrf));
    }
    let (client, csrf) = &clients[e.account];
    let mut failures = Vec::new();
    let mut fail = |invalid: bool, what: String| {
        failures.push(Failure {
            route,
            invalid,
            what,
        })
    };

    // 1. The same submission twice, in parallel.
    let form_token = token();
    let (v0, n0) = counters(pool, &e.count_sql).await;
    let (mut a, mut b) = (client.clone(), client.clone());
    let (ra, rb) = tokio::join!(
        a.send(request(client, &e.path, csrf, &form_token, &e.payload)),
        b.send(request(client, &e.path, csrf, &form_token, &e.payload)),
    );
    let (v1, n1) = counters(pool, &e.count_sql).await;
    let first = accepted(&ra).or_else(|| accepted(&rb));
    let Some(first) = first else {
        fail(
            true,
            format!(
                "POST {} not accepted: {} / {}",
                e.path,
                describe(&ra),
                describe(&rb)
            ),
        );
        return failures;
    };
    if n1 == n0 {
        fail(
            true,
            format!(
                "POST {} answered {} but created no record",
                e.path,
                describe(&ra)
            ),
        );
        return failures;
    }
    let paired = match &first {
        Result_::Redirect(_) => repeats(&first, &ra) && repeats(&first, &rb),
        Result_::Page => {
            (accepted(&ra) == Some(Result_::Page) && repeats(&first, &rb))
                || (accepted(&rb) == Some(Result_::Page) && repeats(&first, &ra))
        }
    };
    if !paired {
        fail(
            false,
            format!(
                "parallel: answers differ ({} / {}), expected the first one's result twice",
                describe(&ra),
                describe(&rb)
            ),
        );
    }
    if n1 - n0 != 1 {
        fail(
            false,
            format!("parallel: {} records created, expected 1", n1 - n0),
        );
    }
    // The write advances the data version; the findings refresh after it may advance it again
    // (when the findings change): at least once, and the record count above is exact.
    if v1 - v0 < 1 {
        fail(
            false,
            format!("parallel: data version +{}, expected to advance", v1 - v0),
        );
    }

    // 2. A replay of the completed submission.
    let mut c = client.clone();
    let replay = c
        .send(request(client, &e.path, csrf, &form_token, &e.payload))
        .await;
    let (v2, n2) = counters(pool, &e.count_sql).await;
    if !repeats(&first, &replay) {
        fail(
            false,
            format!(
                "replay: answered {}, expected the first one's result ({first:?})",
                describe(&replay)
            ),
        );
    }
    if n2 != n1 || v2 != v1 {
        fail(
            false,
            format!(
                "replay: {} records and data version +{}, expected nothing",
                n2 - n1,
                v2 - v1
            ),
        );
    }

    // 3. The same form filled in again (a new token) is a new submission.
    if let Again::Allowed { version_sql } = &e.again {
        if let Some(sql) = version_sql {
            let version = text(pool, sql).await;
            e.payload.set("version", version);
        }
        let again = c
            .send(request(client, &e.path, csrf, &token(), &e.payload))
            .await;
        let (v3, n3) = counters(pool, &e.count_sql).await;
        if accepted(&again).is_none() || n3 - n2 != 1 {
            fail(
                true,
                format!(
                    "new token: answered {} with {} new records, expected a new record",
                    describe(&again),
                    n3 - n2
                ),
            );
        } else if v3 - v2 < 1 {
            fail(
                false,
                format!("new token: data version +{}, expected to advance", v3 - v2),
            );
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_create_route_answers_a_double_submission_with_the_first_result() {
    // Walks the registry's list: a create route without a submission in `entry` fails the test.
    let app = TestApp::with_demo().await;
    let mut clients = BTreeMap::new();
    let mut failures = Vec::new();
    for route in CREATE_ROUTES {
        failures.extend(check_route(&app, &mut clients, route).await);
    }
    let report: Vec<String> = failures
        .iter()
        .map(|f| {
            format!(
                "{}{}: {}",
                if f.invalid {
                    "[submission not valid] "
                } else {
                    ""
                },
                f.route,
                f.what
            )
        })
        .collect();
    assert!(
        report.is_empty(),
        "{} of {} create routes fail:\n{}",
        failures
            .iter()
            .map(|f| f.route)
            .collect::<BTreeSet<_>>()
            .len(),
        CREATE_ROUTES.len(),
        report.join("\n")
    );
}

/// Every form with a CSRF token on these pages also carries a one-time form token, fresh on
/// every page view.
#[tokio::test]
async fn every_form_carries_a_one_time_token_next_to_its_csrf_token() {
    let app = TestApp::new().await;
    let p = app.platform("NT-2026-001", "320613").await;
    let mut staff = app.staff_signed_in("staff1", "320600").await;
    let form_sel = scraper::Selector::parse("form").unwrap();
    let csrf_sel = scraper::Selector::parse("input[type=hidden][name=csrf_token]").unwrap();
    let token_sel = scraper::Selector::parse("input[type=hidden][name=form_token]").unwrap();
    let tokens_of = |page: &Resp, url: &str| -> Vec<String> {
        let doc = page.doc();
        let mut tokens = Vec::new();
        for form in doc.select(&form_sel) {
            if form.select(&csrf_sel).next().is_none() {
                continue;
            }
            let action = form.value().attr("action").unwrap_or("");
            let token = form
                .select(&token_sel)
                .next()
                .and_then(|t| t.value().attr("value"))
                .unwrap_or_else(|| panic!("{url}: the form to {action} has no form_token"));
            assert!(
                token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
                "{url}: the form to {action} has the token {token:?}"
            );
            tokens.push(token.to_string());
        }
        tokens
    };
    let mut seen = BTreeSet::new();
    for url in [
        format!("/platforms/{p}/ledger"),
        format!("/platforms/{p}/checklist"),
        format!("/platforms/{p}/registration"),
        "/platforms/new".to_string(),
    ] {
        let page = staff.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{url}");
        let tokens = tokens_of(&page, &url);
        assert!(!tokens.is_empty(), "{url} has no form with a CSRF token");
        let again = tokens_of(&staff.get(&url).await, &url);
        for t in tokens.into_iter().chain(again) {
            assert!(seen.insert(t), "{url}: a form token is issued twice");
        }
    }
}
