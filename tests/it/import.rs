//! Excel import with templates (issue 14, part 1): staff import 50 platforms (every mistake
//! listed by row and column before anything is written, the fixed file written in one step and
//! audited once, a re-upload refused), an operator imports a year's ledger, the system admin
//! imports accounts, scope refusals, and every kind of bad file gets a Chinese 4xx.

use std::io::Write;

use crate::common::{Client, Resp, TestApp, xlsx};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kechuang::domain::role::Role;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

const BOUNDARY: &str = "----kechuangImportBoundary5QzK";

/// A cell of a sheet the tests write: text, a number, or a real date.
#[derive(Clone)]
enum C {
    T(String),
    N(f64),
    D(u16, u8, u8),
    F(&'static str),
}

fn t(s: &str) -> C {
    C::T(s.to_string())
}

/// A sheet the tests write: its name, header and rows.
type SheetDef<'a> = (&'a str, Vec<&'a str>, Vec<Vec<C>>);

/// A workbook with the given sheets.
fn workbook(sheets: &[SheetDef]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (name, header, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    C::T(s) if s.is_empty() => {}
                    C::T(s) => {
                        ws.write_string(r, c, s).unwrap();
                    }
                    C::N(v) => {
                        ws.write_number(r, c, *v).unwrap();
                    }
                    C::D(y, m, d) => {
                        let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        ws.write_datetime_with_format(r, c, dt, &date).unwrap();
                    }
                    C::F(f) => {
                        ws.write_formula(r, c, Formula::new(*f)).unwrap();
                    }
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// A valid registry row for platform `i` in `place`.
fn platform_row(i: usize, place: &str) -> Vec<C> {
    let start = match i % 3 {
        0 => C::D(2024, 5, 1),
        1 => t("2024/5/1"),
        _ => t("2024年5月1日"),
    };
    let code = if i.is_multiple_of(7) {
        // Full-width digits and letters, as a Chinese input method types them.
        format!("ＮＴ－２０２４－{:03}", i + 100)
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
                c => c,
            })
            .collect()
    } else {
        format!("NT-2024-{:03}", i + 100)
    };
    let (company, company_uscc) = if i.is_multiple_of(10) {
        ("示例运营管理有限公司", "91320600MA1M9QX7K8")
    } else {
        ("", "")
    };
    vec![
        C::T(code),
        C::T(format!("示例导入平台{i:02}")),
        t(place),
        t("县级"),
        t("技术服务类"),
        t("新材料"),
        t("事业单位"),
        t("示例大学"),
        start,
        C::D(2026, 12, 31),
        t(""),
        t(""),
        t(company),
        t(company_uscc),
    ]
}

fn registry_file(rows: Vec<Vec<C>>) -> Vec<u8> {
    workbook(&[("平台名录", xlsx::PLATFORM_HEADER.to_vec(), rows)])
}

/// One part of a multipart body.
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

async fn post_multipart(client: &mut Client, path: &str, parts: &[Part<'_>]) -> Resp {
    let token = client.csrf().await;
    let mut body = Vec::new();
    let mut add = |head: String, data: &[u8]| {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n{head}\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    };
    add(
        "Content-Disposition: form-data; name=\"csrf_token\"".into(),
        token.as_bytes(),
    );
    for part in parts {
        match part {
            Part::Text(name, value) => add(
                format!("Content-Disposition: form-data; name=\"{name}\""),
                value.as_bytes(),
            ),
            Part::File(file_name, data) => add(
                format!(
                    "Content-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                ),
                data,
            ),
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let cookies = client.cookie_header();
    let req = Request::post(path)
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header(header::COOKIE, cookies)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap();
    client.send(req).await
}

async fn upload(client: &mut Client, path: &str, file_name: &str, data: &[u8]) -> Resp {
    post_multipart(client, path, &[Part::File(file_name, data)]).await
}

/// The problems a preview lists: `(row, column, message)` (the sheet column, if any, dropped).
fn problems(resp: &Resp) -> Vec<(String, String, String)> {
    resp.cells("#import-problems tbody tr")
        .into_iter()
        .map(|cells| {
            let n = cells.len();
            (
                cells[n - 3].clone(),
                cells[n - 2].clone(),
                cells[n - 1].clone(),
            )
        })
        .collect()
}

/// Confirms the previewed upload (the form on the preview page).
async fn confirm(client: &mut Client, preview: &Resp) -> Resp {
    let doc = preview.doc();
    let form = scraper::Selector::parse("form#import-confirm").unwrap();
    let form = doc
        .select(&form)
        .next()
        .unwrap_or_else(|| panic!("no confirm form: {}", preview.body));
    let action = form.value().attr("action").unwrap().to_string();
    let token = preview
        .value("form#import-confirm input[name=form_token]")
        .unwrap();
    client.post(&action, &[("form_token", &token)]).await
}

#[tokio::test]
async fn staff_import_fifty_platforms_see_every_mistake_first_then_import_once() {
    let app = TestApp::new().await;
    let mut staff = app.staff_signed_in("staff1", "320600").await;

    // The list offers the import; the page offers the template.
    let list = staff.get("/platforms").await;
    assert!(list.body.contains("href=\"/platforms/import\""));
    let page = staff.get("/platforms/import").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("还没有导入记录"));
    let template = staff.get("/platforms/import/template.xlsx").await;
    assert_eq!(template.status, StatusCode::OK);
    let sheets = xlsx::read(&template.bytes);
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["说明", "平台名录", "可选值"]);
    assert_eq!(sheets[1].texts(0), xlsx::PLATFORM_HEADER);
    let guide: Vec<String> = sheets[0]
        .rows
        .iter()
        .flat_map(|r| r.iter().map(|c| c.text.clone()))
        .collect();
    for header in xlsx::PLATFORM_HEADER {
        assert!(guide.iter().any(|t| t == header), "说明 lacks {header}");
    }
    assert!(guide.iter().any(|t| t == "NT-2024-101"), "no example row");
    assert!(
        sheets[2]
            .column("所属地区")
            .iter()
            .any(|c| c.text == "崇川区")
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&template.bytes[..])).unwrap();
    let mut sheet_xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(),
        &mut sheet_xml,
    )
    .unwrap();
    assert!(
        sheet_xml.contains("<dataValidation") && sheet_xml.contains("可选值"),
        "drop-downs read the 可选值 sheet"
    );
    // The template as downloaded is read as the template: its headers match, it has no rows yet.
    let blank = upload(
        &mut staff,
        "/platforms/import",
        "模板.xlsx",
        &template.bytes,
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blank.body.contains("表头下方没有任何一行"),
        "{}",
        blank.body
    );

    // 50 platforms with six mistakes.
    let mut rows: Vec<Vec<C>> = (0..50).map(|i| platform_row(i, "崇川区")).collect();
    let good = rows.clone();
    rows[3][0] = t("3号平台");
    rows[10][8] = t("明年五月");
    rows[17][3] = t("城市级");
    rows[25][0] = t("NT-2024-100");
    rows[33][11] = t("91320600MA1M9QX7K9");
    rows[41][9] = C::D(2023, 1, 1);
    let before = app.value::<i64>("SELECT count(*) FROM platforms").await;
    let resp = upload(
        &mut staff,
        "/platforms/import",
        "平台名录.xlsx",
        &registry_file(rows),
    )
    .await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        resp.body
    );
    let found = problems(&resp);
    let expect = [
        ("第 5 行", "平台编号", "平台编号须为3–32位"),
        ("第 12 行", "建设期开始", "无法识别的日期「明年五月」"),
        ("第 19 行", "平台层级", "「城市级」不是可选的取值"),
        ("第 27 行", "平台编号", "与第 2 行的平台编号重复"),
        ("第 35 行", "统一社会信用代码", ""),
        ("第 43 行", "建设期结束", "建设期结束日期不能早于开始日期"),
    ];
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    for ((row, column, message), (er, ec, em)) in found.iter().zip(expect) {
        assert_eq!((row.as_str(), column.as_str()), (er, ec), "{found:#?}");
        assert!(message.contains(em) && !message.is_empty(), "{message}");
    }
    assert!(resp.body.contains("没有写入任何数据"));
    assert!(!resp.body.contains("import-confirm"));
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM platforms").await,
        before
    );
    assert_eq!(app.value::<i64>("SELECT count(*) FROM imports").await, 0);

    // The fixed file: previewed, nothing written until confirmed, then all 50 in one step.
    let file = registry_file(good);
    let preview = upload(&mut staff, "/platforms/import", "平台名录.xlsx", &file).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("全部 50 行检查通过"));
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM platforms").await,
        before
    );
    let done = confirm(&mut staff, &preview).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), Some("/platforms/import?notice=imported"));
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM platforms").await,
        before + 50
    );
    // Full-width codes normalised, text dates read, the operating companies on file.
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM platforms WHERE code IN ('NT-2024-100', 'NT-2024-107')
               AND construction_start = '2024-05-01' AND stage = 'registration'"
        )
        .await,
        2
    );
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM platforms WHERE code LIKE 'NT-2024-%' AND construction_start = '2024-05-01'",
        )
        .await,
        50
    );
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM platform_companies c JOIN registrations r USING (platform_id)
              WHERE 'operating_company' = ANY(r.operating_modes)"
        )
        .await,
        5
    );
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM lifecycle_events WHERE kind = 'registration.created'"
        )
        .await,
        50
    );
    assert_eq!(app.audit_count("import.platforms").await, 1);
    assert_eq!(app.audit_count("platform.create").await, 0);
    let (rows, sha): (i64, String) = sqlx::query_as(
        "SELECT (after->>'row_count')::bigint, after->>'sha256' FROM audit_log WHERE action = 'import.platforms'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(rows, 50);
    assert_eq!(sha, kechuang::domain::documents::sha256_hex(&file));
    let page = staff.get("/platforms/import?notice=imported").await;
    assert!(page.body.contains("导入完成"));
    assert_eq!(page.texts("#import-history tbody tr").len(), 1);
    assert!(page.text("#import-history tbody tr").contains("50"));

    // The same file again: refused, nothing written.
    let again = upload(&mut staff, "/platforms/import", "副本.xlsx", &file).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("本次未重复导入"), "{}", again.body);
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM platforms").await,
        before + 50
    );
    assert_eq!(app.audit_count("import.platforms").await, 1);
    // A replay of the confirmation writes nothing either.
    let replay = confirm(&mut staff, &preview).await;
    assert!(replay.status.is_client_error() || replay.status.is_redirection());
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM platforms").await,
        before + 50
    );
}

#[tokio::test]
async fn county_staff_import_only_into_their_county() {
    let app = TestApp::new().await;
    app.user("county1", Some(Role::Staff), None, Some("320613"))
        .await;
    let mut county = app.signed_in("county1").await;
    let rows = vec![platform_row(0, "崇川区"), platform_row(1, "通州区")];
    let resp = upload(
        &mut county,
        "/platforms/import",
        "a.xlsx",
        &registry_file(rows),
    )
    .await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        resp.body
    );
    let found = problems(&resp);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "第 3 行");
    assert_eq!(found[0].1, "所属地区");
    assert!(found[0].2.contains("您无权在该地区登记平台"), "{found:?}");
    assert_eq!(app.value::<i64>("SELECT count(*) FROM platforms").await, 0);

    // Their own county only: imported, and their history shows it.
    let rows = vec![platform_row(0, "崇川区")];
    let preview = upload(
        &mut county,
        "/platforms/import",
        "b.xlsx",
        &registry_file(rows),
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(
        confirm(&mut county, &preview).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.value::<i64>("SELECT count(*) FROM platforms").await, 1);

    // Not for operators or the system admin.
    let p = app.platform("NT-2026-001", "320613").await;
    app.user("op1", Some(Role::Operator), Some(p), None).await;
    let mut op = app.signed_in("op1").await;
    assert_eq!(
        op.get("/platforms/import").await.status,
        StatusCode::FORBIDDEN
    );
    let refused = upload(
        &mut op,
        "/platforms/import",
        "c.xlsx",
        &registry_file(vec![]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

const REVENUE: [&str; 5] = ["收入渠道", "金额（万元）", "付款方", "说明", "到账日期"];
const EXPENDITURE: [&str; 3] = ["支出类别", "金额（万元）", "说明"];
const CONTRACTS: [&str; 5] = [
    "合同类型",
    "合同相对方",
    "成交金额（万元）",
    "登记号",
    "签订日期",
];
const LICENCES: [&str; 7] = [
    "被许可方",
    "成果名称",
    "付费方式",
    "先使用后付费",
    "付款安排",
    "约定金额（万元）",
    "已到账金额（万元）",
];

fn ledger_file(revenue: Vec<Vec<C>>) -> Vec<u8> {
    workbook(&[
        ("收入", REVENUE.to_vec(), revenue),
        (
            "支出",
            EXPENDITURE.to_vec(),
            vec![
                vec![t("人员支出"), C::N(80.0), t("工资")],
                vec![t("研发支出"), t("２０"), t("")],
            ],
        ),
        (
            "技术合同",
            CONTRACTS.to_vec(),
            vec![vec![
                t("技术开发"),
                t("示例海工装备有限公司"),
                C::N(50.0),
                t("2025320600000123"),
                t("2025年6月30日"),
            ]],
        ),
        (
            "成果许可",
            LICENCES.to_vec(),
            vec![vec![
                t("示例新能源科技有限公司"),
                t("一种复合材料"),
                t("分期支付"),
                t("是"),
                t("分三年"),
                C::N(30.0),
                C::N(10.0),
            ]],
        ),
    ])
}

#[tokio::test]
async fn an_operator_imports_a_years_ledger_into_its_own_platform_only() {
    let app = TestApp::new().await;
    let own = app.platform("NT-2026-001", "320613").await;
    let other = app.platform("NT-2026-002", "320613").await;
    app.user("op1", Some(Role::Operator), Some(own), None).await;
    let mut op = app.signed_in("op1").await;

    let ledger = op.get(&format!("/platforms/{own}/ledger?year=2025")).await;
    assert!(
        ledger
            .body
            .contains(&format!("/platforms/{own}/ledger/import?year=2025"))
    );
    let page = op
        .get(&format!("/platforms/{own}/ledger/import?year=2025"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let template = op
        .get(&format!(
            "/platforms/{own}/ledger/import/template.xlsx?year=2025"
        ))
        .await;
    let names: Vec<String> = xlsx::read(&template.bytes)
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(
        names,
        ["说明", "收入", "支出", "技术合同", "成果许可", "可选值"]
    );

    let path = format!("/platforms/{own}/ledger/import");
    let blank = post_multipart(
        &mut op,
        &path,
        &[
            Part::Text("year", "2025"),
            Part::File("模板.xlsx", &template.bytes),
        ],
    )
    .await;
    assert!(
        blank.body.contains("表头下方没有任何一行"),
        "{}",
        blank.body
    );
    // A unit in a money cell and a date outside the year: listed, nothing written.
    let bad = ledger_file(vec![
        vec![
            t("服务订单"),
            t("12万元"),
            t("甲公司"),
            t(""),
            t("2025-03-01"),
        ],
        vec![
            t("技术合同"),
            C::N(5.0),
            t("乙公司"),
            t(""),
            t("2024-12-31"),
        ],
    ]);
    let resp = post_multipart(
        &mut op,
        &path,
        &[Part::Text("year", "2025"), Part::File("台账.xlsx", &bad)],
    )
    .await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        resp.body
    );
    let found = problems(&resp);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("第 2 行", "金额（万元）")
    );
    assert!(found[0].2.contains("本列单位为万元"), "{found:?}");
    assert_eq!(
        (found[1].0.as_str(), found[1].1.as_str()),
        ("第 3 行", "到账日期")
    );
    assert!(found[1].2.contains("日期应在 2025 年内"), "{found:?}");
    assert!(
        resp.texts("#import-problems tbody tr td")
            .contains(&"收入".to_string())
    );

    let good = ledger_file(vec![
        vec![
            t("服务订单"),
            t("1,200.5"),
            t("甲公司"),
            t("检测"),
            t("2025/3/1"),
        ],
        vec![
            t("技术合同"),
            C::N(12.5),
            t("乙公司"),
            t(""),
            C::D(2025, 7, 1),
        ],
        vec![t("财政补助"), t("１００"), t("市财政局"), t(""), t("")],
    ]);
    let preview = post_multipart(
        &mut op,
        &path,
        &[Part::Text("year", "2025"), Part::File("台账.xlsx", &good)],
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM ledger_revenue",)
            .await,
        0,
        "nothing before the confirmation"
    );
    let done = confirm(&mut op, &preview).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let sum: i64 = app
        .scalar(
            "SELECT sum(amount)::bigint FROM ledger_revenue WHERE platform_id = $1 AND year = 2025",
            own,
        )
        .await;
    assert_eq!(sum, 12_005_000 + 125_000 + 1_000_000);
    for (table, n) in [
        ("ledger_revenue", 3),
        ("ledger_expenditures", 2),
        ("tech_contracts", 1),
        ("licences", 1),
    ] {
        let got: i64 = app
            .scalar(
                &format!("SELECT count(*) FROM {table} WHERE platform_id = $1 AND year = 2025"),
                own,
            )
            .await;
        assert_eq!(got, n, "{table}");
    }
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM licences WHERE use_first_pay_later",)
            .await,
        1
    );
    assert_eq!(app.audit_count("import.ledger").await, 1);
    assert_eq!(app.audit_count("ledger.add").await, 0);

    // The same file into another year is another target; into the same year it is refused.
    let again = post_multipart(
        &mut op,
        &path,
        &[Part::Text("year", "2025"), Part::File("台账.xlsx", &good)],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Another platform's ledger: not found for this operator, nothing written.
    let other_path = format!("/platforms/{other}/ledger/import");
    assert_eq!(op.get(&other_path).await.status, StatusCode::NOT_FOUND);
    let refused = post_multipart(
        &mut op,
        &other_path,
        &[Part::Text("year", "2024"), Part::File("台账.xlsx", &good)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.value::<i64>(&format!(
            "SELECT count(*) FROM ledger_revenue WHERE platform_id = {other}"
        ),)
            .await,
        0
    );
}

#[tokio::test]
async fn the_system_admin_imports_accounts_with_one_time_passwords() {
    let app = TestApp::new().await;
    app.user("sys1", Some(Role::Sysadmin), None, None).await;
    app.user("taken.name", None, None, None).await;
    let mut sys = app.signed_in("sys1").await;
    assert!(
        sys.get("/admin/users")
            .await
            .body
            .contains("/admin/users/import")
    );
    let template = sys.get("/admin/users/import/template.xlsx").await;
    assert_eq!(xlsx::read(&template.bytes)[1].texts(0), ["用户名", "姓名"]);

    let header = vec!["用户名", "姓名"];
    let bad = workbook(&[(
        "账户",
        header.clone(),
        vec![
            vec![t("taken.name"), t("重名")],
            vec![t("_x"), t("")],
            vec![t("li.si"), t("李四")],
            vec![t("LI.SI"), t("李四二")],
        ],
    )]);
    let resp = upload(&mut sys, "/admin/users/import", "a.xlsx", &bad).await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        resp.body
    );
    let found: Vec<(String, String)> = problems(&resp)
        .into_iter()
        .map(|(r, c, _)| (r, c))
        .collect();
    let expect: Vec<(String, String)> = [
        ("第 2 行", "用户名"),
        ("第 3 行", "用户名"),
        ("第 3 行", "姓名"),
        ("第 5 行", "用户名"),
    ]
    .iter()
    .map(|(r, c)| (r.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, expect);

    let good = workbook(&[(
        "账户",
        header,
        vec![vec![t("Zhang.San"), t("张三")], vec![t("li.si"), t("李四")]],
    )]);
    let preview = upload(&mut sys, "/admin/users/import", "b.xlsx", &good).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let done = confirm(&mut sys, &preview).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let issued = done.texts("#issued-accounts tbody tr td code");
    assert_eq!(issued.len(), 2);
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM users WHERE username IN ('zhang.san', 'li.si')
               AND must_change_password AND role IS NULL"
        )
        .await,
        2
    );
    assert_eq!(app.audit_count("import.accounts").await, 1);
    // The one-time password signs in, and must be changed first.
    let mut zhang = app.client();
    let login = zhang.login("zhang.san", &issued[0]).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    assert_eq!(zhang.get("/").await.location(), Some("/password"));

    // Staff may not import accounts.
    let mut staff = app.staff_signed_in("staff1", "320600").await;
    assert_eq!(
        staff.get("/admin/users/import").await.status,
        StatusCode::FORBIDDEN
    );
}

/// A zip whose one entry inflates to `size` zero bytes, beside a workbook's entries.
fn zip_bomb(size: usize) -> Vec<u8> {
    let base = registry_file(vec![platform_row(0, "崇川区")]);
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(&base[..])).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let entry = src.by_index(i).unwrap();
        out.raw_copy_file(entry).unwrap();
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    out.start_file("xl/media/padding.bin", options).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..size / zeros.len() {
        out.write_all(&zeros).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn bad_files_get_a_chinese_4xx_and_write_nothing() {
    let app = TestApp::new().await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let p = app.platform("NT-2026-001", "320613").await;
    let mut staff = app.signed_in("staff1").await;
    let ledger = format!("/platforms/{p}/ledger/import");

    let merged = {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("平台名录").unwrap();
        for (c, h) in xlsx::PLATFORM_HEADER.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.merge_range(1, 0, 2, 0, "NT-2024-001", &Format::new())
            .unwrap();
        ws.write_string(1, 1, "示例平台").unwrap();
        wb.save_to_buffer().unwrap()
    };
    let mut formula_row = platform_row(0, "崇川区");
    formula_row[1] = C::F("=\"示例\"&\"平台\"");
    let mut too_many: Vec<Vec<C>> = Vec::new();
    for i in 0..5_001 {
        too_many.push(vec![t("NT-X"), C::T(format!("平台{i}"))]);
    }
    let mut big = b"PK\x03\x04".to_vec();
    big.resize(20 * 1024 * 1024 + 1, 0);

    let cases: Vec<(&str, String, Vec<u8>, StatusCode, &str)> = vec![
        (
            "not a workbook",
            "/platforms/import".into(),
            b"%PDF-1.4 not a spreadsheet".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "这不是 Excel 工作簿（.xlsx）文件",
        ),
        (
            "an old .xls",
            "/platforms/import".into(),
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "旧版 Excel（.xls）",
        ),
        (
            "the accounts template uploaded as the registry",
            "/platforms/import".into(),
            workbook(&[(
                "账户",
                vec!["用户名", "姓名"],
                vec![vec![t("a.b"), t("甲")]],
            )]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有工作表「平台名录」",
        ),
        (
            "wrong headers",
            "/platforms/import".into(),
            workbook(&[(
                "平台名录",
                vec!["编号", "名称"],
                vec![vec![t("NT-1"), t("甲")]],
            )]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "缺少列「平台编号」",
        ),
        (
            "merged cells",
            "/platforms/import".into(),
            merged,
            StatusCode::UNPROCESSABLE_ENTITY,
            "含有合并单元格（如 A2:A3）",
        ),
        (
            "a formula",
            "/platforms/import".into(),
            registry_file(vec![formula_row]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "导入不计算公式",
        ),
        (
            "a date that is no date",
            "/platforms/import".into(),
            registry_file(vec![{
                let mut r = platform_row(0, "崇川区");
                r[9] = t("2024-02-30");
                r
            }]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "无法识别的日期「2024-02-30」",
        ),
        (
            "money with 万元",
            ledger.clone(),
            ledger_file(vec![vec![t("服务订单"), t("3.5万元"), t(""), t(""), t("")]]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "本列单位为万元",
        ),
        (
            "headers only",
            "/platforms/import".into(),
            registry_file(vec![]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "表头下方没有任何一行",
        ),
        (
            "an empty sheet",
            "/platforms/import".into(),
            workbook(&[("平台名录", vec![], vec![])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "文件是空的",
        ),
        (
            "no file at all",
            "/platforms/import".into(),
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "请选择要上传的 Excel 文件",
        ),
        (
            "too many rows",
            "/platforms/import".into(),
            workbook(&[("平台名录", xlsx::PLATFORM_HEADER.to_vec(), too_many)]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "超过 5000 行",
        ),
        (
            "a 20 MB file",
            "/platforms/import".into(),
            big,
            StatusCode::PAYLOAD_TOO_LARGE,
            "文件超过 20 MB 的上限",
        ),
        (
            "a zip bomb",
            "/platforms/import".into(),
            zip_bomb(80 << 20),
            StatusCode::PAYLOAD_TOO_LARGE,
            "文件解压后超过 64 MB",
        ),
    ];
    for (what, path, data, status, message) in cases {
        let resp = post_multipart(
            &mut staff,
            &path,
            &[Part::Text("year", "2025"), Part::File("文件.xlsx", &data)],
        )
        .await;
        assert_eq!(resp.status, status, "{what}: {}", resp.body);
        assert!(
            resp.body.contains(message),
            "{what}: expected {message:?} in {}",
            resp.body
        );
    }
    assert_eq!(app.value::<i64>("SELECT count(*) FROM platforms").await, 1);
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM ledger_revenue",)
            .await,
        0
    );
    assert_eq!(app.value::<i64>("SELECT count(*) FROM imports").await, 0);
}
