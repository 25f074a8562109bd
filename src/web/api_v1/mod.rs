//! The versioned JSON API for other systems (`/api/v1`, issue 14 part 3): read-only endpoints
//! for platforms, their yearly figures, compliance findings and published evaluation results,
//! behind API tokens the security admin issues (`guard`, `web::api_tokens`). Each endpoint runs
//! the same scoped query as the page that shows the same data, so a county's token sees exactly
//! what that county's staff see. The OpenAPI 3 document is generated from these handlers and
//! types (`utoipa`) and served at `/api/v1/openapi.json`; `/api-docs` is the page for people.
//!
//! Support claims are not here yet: they do not exist in the product (another issue builds them).

pub mod docs;
pub mod guard;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use self::guard::ApiClient;
use crate::db::jurisdictions::{self, Jurisdiction};
use crate::db::platforms::{self, ListFilter};
use crate::db::{compliance, dashboards, support};
use crate::domain::compliance::citation::clause_zh;
use crate::domain::compliance::{Status, rules};
use crate::domain::platform::{Category, Cluster, Level, Stage};
use crate::domain::support::programme;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::widgets::MAX_PAGE;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/api-docs",                             Public,             docs::page),
        get( "/api/v1/openapi.json",                  Public,             openapi_json),
        get( "/api/v1/platforms",                     ApiToken(Global),   list_platforms),
        get( "/api/v1/platforms/{id}",                ApiToken(Platform), get_platform),
        get( "/api/v1/platforms/{id}/figures",        ApiToken(Platform), platform_figures),
        get( "/api/v1/platforms/{id}/findings",       ApiToken(Platform), platform_findings),
        get( "/api/v1/platforms/{id}/evaluations",    ApiToken(Platform), platform_evaluations),
        get( "/api/v1/platforms/{id}/support-claims", ApiToken(Platform), platform_support_claims),
    ]
}

/// Page size when the caller names none.
pub const DEFAULT_PER_PAGE: i64 = 20;
/// The largest page a caller may ask for (a larger `per_page` is cut to this).
pub const MAX_PER_PAGE: i64 = 100;

// ---- errors ----------------------------------------------------------------------------------

/// Every error of the API, as JSON with a Chinese message.
#[derive(Debug)]
pub enum ApiError {
    /// No usable token: the message, and the reason recorded with the refusal.
    Unauthorized(&'static str, &'static str),
    NotFound,
    BadRequest(String),
    /// Seconds until the token may call again.
    TooManyRequests(u64),
    /// Anything the pages would answer with an error page (database trouble, …).
    App(AppError),
}

/// The body of every error answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// 中文错误说明
    #[schema(example = "接口令牌无效。请核对令牌，或联系安全管理员重新签发。")]
    pub error: String,
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::App(e.into())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(_: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::BadRequest(
            "查询参数无效：page、per_page 须为正整数，年份须为四位数字，其余参数见接口文档。"
                .into(),
        )
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(_: axum::extract::rejection::PathRejection) -> Self {
        ApiError::NotFound
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let app_error = matches!(self, ApiError::App(_));
        let (status, message, refusal, retry_after) = match self {
            ApiError::Unauthorized(message, reason) => (
                StatusCode::UNAUTHORIZED,
                message.to_owned(),
                Some(reason),
                None,
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "平台不存在，或不在本接口令牌的数据范围内。".to_owned(),
                None,
                None,
            ),
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, message, None, None),
            ApiError::TooManyRequests(seconds) => (
                StatusCode::TOO_MANY_REQUESTS,
                format!("调用过于频繁，请 {seconds} 秒后再试。"),
                Some("rate_limited"),
                Some(seconds),
            ),
            ApiError::App(e) => {
                match &e {
                    AppError::Internal(err) => tracing::error!(error = ?err, "internal error"),
                    AppError::Unavailable(err) => {
                        tracing::warn!(error = %err, "service unavailable")
                    }
                    other => tracing::info!(error = %other, "request refused"),
                }
                let retry = matches!(e, AppError::Unavailable(_)).then_some(5);
                let (status, _, message) = e.parts();
                (status, message, None, retry)
            }
        };
        if !app_error {
            tracing::info!(status = status.as_u16(), "api request refused");
        }
        let mut resp = (status, Json(ErrorBody { error: message })).into_response();
        if let Some(reason) = refusal {
            resp.extensions_mut()
                .insert(crate::web::auth::Refusal(reason));
        }
        if let Some(seconds) = retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        guard::www_authenticate(&mut resp);
        resp
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// `axum::extract::Query` with a JSON error in Chinese when the query does not parse.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path` with a JSON 404 when the id does not parse.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// A code filter: empty means none; anything else must be one of the enum's codes.
fn code_filter<T: Copy>(
    name: &str,
    value: &Option<String>,
    all: &[T],
    code: fn(T) -> &'static str,
) -> Result<Option<T>, ApiError> {
    let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    all.iter()
        .copied()
        .find(|c| code(*c) == v)
        .map(Some)
        .ok_or_else(|| {
            let allowed: Vec<&str> = all.iter().map(|c| code(*c)).collect();
            ApiError::BadRequest(format!("{name} 的取值无效，可选：{}。", allowed.join("、")))
        })
}

// ---- platforms -------------------------------------------------------------------------------

/// 平台列表的查询条件
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlatformQuery {
    /// 页码，从 1 开始，默认 1
    #[param(minimum = 1, example = 1)]
    pub page: Option<i64>,
    /// 每页条数，1–100，默认 20；超过 100 按 100 返回
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub per_page: Option<i64>,
    /// 所属地区代码（行政区划代码），如 320613 为崇川区；令牌数据范围以外的地区返回空列表
    #[param(example = "320613")]
    pub jurisdiction: Option<String>,
    /// 功能定位：strategic_task 战略任务类、industrial_transformation 产业转化类、technical_service 技术服务类、other 其他平台类
    pub category: Option<String>,
    /// 共建层级：city 市级、county 县级、city_county 市县共建
    pub level: Option<String>,
    /// 生命周期阶段：registration 设立登记、operating 运行中、rectifying 退出整改、exited 已退出、converted 已转型、merged 已合并
    pub stage: Option<String>,
    /// 按平台名称或平台编号模糊搜索
    pub q: Option<String>,
}

impl PlatformQuery {
    fn filter(&self, all: &[Jurisdiction]) -> Result<ListFilter, ApiError> {
        let jurisdiction_id = match self.jurisdiction.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => Some(
                all.iter()
                    .find(|j| j.code == code)
                    .map(|j| j.id)
                    .ok_or_else(|| ApiError::BadRequest(format!("地区代码 {code} 不存在。")))?,
            ),
        };
        Ok(ListFilter {
            q: self.q.clone().unwrap_or_default(),
            category: code_filter("category", &self.category, Category::ALL, Category::as_str)?,
            stage: code_filter("stage", &self.stage, Stage::ALL, Stage::as_str)?,
            level: code_filter("level", &self.level, Level::ALL, Level::as_str)?,
            jurisdiction_id,
            ..ListFilter::default()
        })
    }
}

/// 平台（列表中的一行）
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlatformSummary {
    /// 平台内部编号，用于 /api/v1/platforms/{id} 等接口
    pub id: i64,
    /// 平台编号
    #[schema(example = "NT-2018-001")]
    pub code: String,
    /// 平台名称
    pub name: String,
    /// 所属地区代码
    #[schema(example = "320613")]
    pub jurisdiction_code: String,
    /// 所属地区名称
    #[schema(example = "崇川区")]
    pub jurisdiction_name: String,
    /// 共建层级代码（取值见列表接口的 level 参数）
    pub level: String,
    /// 共建层级
    pub level_label: String,
    /// 功能定位代码（取值见列表接口的 category 参数）；未设置时为 null
    pub category: Option<String>,
    /// 功能定位
    pub category_label: String,
    /// 生命周期阶段代码（取值见列表接口的 stage 参数）
    pub stage: String,
    /// 生命周期阶段
    pub stage_label: String,
    /// 所属产业集群代码；未设置时为 null
    pub industry_cluster: Option<String>,
    /// 登记时间
    pub created_at: DateTime<Utc>,
}

/// 平台列表的一页
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlatformPage {
    /// 当前页码
    pub page: i64,
    /// 每页条数
    pub per_page: i64,
    /// 符合条件的平台总数
    pub total: i64,
    /// 本页的平台，按平台编号排序
    pub items: Vec<PlatformSummary>,
}

fn code_of(all: &[Jurisdiction], name: &str) -> String {
    all.iter()
        .find(|j| j.name == name)
        .map(|j| j.code.clone())
        .unwrap_or_default()
}

/// 平台列表
///
/// 令牌数据范围内的平台，可按地区、功能定位、共建层级、阶段筛选，按名称或编号搜索，分页返回。
#[utoipa::path(
    get,
    path = "/api/v1/platforms",
    tag = "平台",
    params(PlatformQuery),
    responses(
        (status = 200, description = "一页平台", body = PlatformPage),
        (status = 400, description = "查询参数无效", body = ErrorBody),
        (status = 401, description = "缺少令牌，或令牌无效、已过期、已吊销", body = ErrorBody),
        (status = 429, description = "调用过于频繁（响应头 Retry-After 为需等待的秒数）", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_platforms(
    State(state): State<AppState>,
    client: ApiClient,
    ApiQuery(q): ApiQuery<PlatformQuery>,
) -> ApiResult<PlatformPage> {
    let all = jurisdictions::list(&state.db).await?;
    let filter = q.filter(&all)?;
    let per_page = q
        .per_page
        .unwrap_or(DEFAULT_PER_PAGE)
        .clamp(1, MAX_PER_PAGE);
    let page = q.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let offset = (page - 1).saturating_mul(per_page);
    let rows = platforms::list(&state.db, client.scope, &filter, per_page, offset).await?;
    let total = platforms::count(&state.db, client.scope, &filter).await?;
    let items = rows
        .into_iter()
        .map(|r| PlatformSummary {
            jurisdiction_code: code_of(&all, &r.jurisdiction_name),
            level_label: r.level.label_zh().into(),
            category_label: r.category.map_or("未设置", Category::label_zh).into(),
            stage_label: r.stage.label_zh().into(),
            id: r.id,
            code: r.code,
            name: r.name,
            jurisdiction_name: r.jurisdiction_name,
            level: r.level.as_str().into(),
            category: r.category.map(|c| c.as_str().into()),
            stage: r.stage.as_str().into(),
            industry_cluster: r.industry_cluster.map(|c| c.as_str().into()),
            created_at: r.created_at,
        })
        .collect();
    Ok(Json(PlatformPage {
        page,
        per_page,
        total,
        items,
    }))
}

/// 一个平台的登记信息
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlatformDetail {
    #[serde(flatten)]
    pub summary: PlatformSummary,
    /// 所属产业集群
    pub industry_cluster_label: String,
    /// 法人形式代码：public_institution、private_non_enterprise、enterprise、internal_unit
    pub legal_form: String,
    /// 法人形式
    pub legal_form_label: String,
    /// 共建单位
    pub co_builders: String,
    /// 统一社会信用代码（平台本身有独立法人资格时）
    pub uscc: Option<String>,
    /// 建设期开始日期
    pub construction_start: Option<NaiveDate>,
    /// 建设期结束日期
    pub construction_end: Option<NaiveDate>,
    /// 首轮支持期结束日期
    pub first_support_end: Option<NaiveDate>,
    /// 进入运行期的日期
    pub operating_since: Option<NaiveDate>,
    /// 已合并时，并入的平台的内部编号
    pub merged_into_id: Option<i64>,
    /// 最后修改时间
    pub updated_at: DateTime<Utc>,
}

/// 一个平台
///
/// 平台的登记信息。平台不存在或不在令牌数据范围内时返回 404。
#[utoipa::path(
    get,
    path = "/api/v1/platforms/{id}",
    tag = "平台",
    params(("id" = i64, Path, description = "平台内部编号")),
    responses(
        (status = 200, description = "平台的登记信息", body = PlatformDetail),
        (status = 401, description = "缺少令牌，或令牌无效、已过期、已吊销", body = ErrorBody),
        (status = 404, description = "平台不存在或不在令牌数据范围内", body = ErrorBody),
        (status = 429, description = "调用过于频繁", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_platform(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<PlatformDetail> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    let all = jurisdictions::list(&state.db).await?;
    Ok(Json(PlatformDetail {
        industry_cluster_label: p
            .industry_cluster
            .map(Cluster::label_zh)
            .unwrap_or_default()
            .into(),
        legal_form_label: p.legal_form.label_zh().into(),
        summary: PlatformSummary {
            id: p.id,
            jurisdiction_code: all
                .iter()
                .find(|j| j.id == p.jurisdiction_id)
                .map(|j| j.code.clone())
                .unwrap_or_default(),
            level_label: p.level_label().to_owned(),
            category_label: p.category_label().to_owned(),
            stage_label: p.stage_label().to_owned(),
            code: p.code,
            name: p.name,
            jurisdiction_name: p.jurisdiction_name,
            level: p.level.as_str().into(),
            category: p.category.map(|c| c.as_str().into()),
            stage: p.stage.as_str().into(),
            industry_cluster: p.industry_cluster.map(|c| c.as_str().into()),
            created_at: p.created_at,
        },
        legal_form: p.legal_form.as_str().into(),
        co_builders: p.co_builders,
        uscc: p.uscc,
        construction_start: p.construction_start,
        construction_end: p.construction_end,
        first_support_end: p.first_support_end,
        operating_since: p.operating_since,
        merged_into_id: p.merged_into_id,
        updated_at: p.updated_at,
    }))
}

// ---- yearly figures --------------------------------------------------------------------------

/// 年度数据的查询条件
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearRange {
    /// 起始年度（含），如 2023
    #[param(example = 2023)]
    pub from_year: Option<i32>,
    /// 截止年度（含），如 2025
    #[param(example = 2025)]
    pub to_year: Option<i32>,
}

impl YearRange {
    fn contains(&self, year: i32) -> bool {
        self.from_year.is_none_or(|y| year >= y) && self.to_year.is_none_or(|y| year <= y)
    }
}

/// 一个年度的收入与支出（单位：元）
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct YearFigures {
    /// 年度
    pub year: i32,
    /// 服务订单收入
    pub service_orders: i64,
    /// 技术合同收入
    pub tech_contracts: i64,
    /// 成果转化收入
    pub achievement_transfer: i64,
    /// 政府科研项目收入
    pub gov_research_projects: i64,
    /// 孵化收益
    pub incubation_returns: i64,
    /// 自我造血收入（以上五项之和）
    pub self_generated: i64,
    /// 财政补助
    pub fiscal_subsidy: i64,
    /// 总支出
    pub expenditure: i64,
    /// 自我造血收入 ÷ 总支出；无支出时为 null
    pub self_generated_ratio: Option<f64>,
    /// true：取自台账明细合计；false：取自年报填报的合计
    pub from_ledger: bool,
}

/// 一个平台的年度数据
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FiguresResponse {
    /// 平台内部编号
    pub platform_id: i64,
    /// 金额单位
    #[schema(example = "元")]
    pub unit: String,
    /// 各年度数据，按年度升序
    pub years: Vec<YearFigures>,
}

/// 平台年度收支
///
/// 与平台驾驶舱相同的数据：各年度按渠道的收入、财政补助、支出和自我造血率。
#[utoipa::path(
    get,
    path = "/api/v1/platforms/{id}/figures",
    tag = "平台",
    params(("id" = i64, Path, description = "平台内部编号"), YearRange),
    responses(
        (status = 200, description = "各年度收支", body = FiguresResponse),
        (status = 400, description = "查询参数无效", body = ErrorBody),
        (status = 401, description = "缺少令牌，或令牌无效、已过期、已吊销", body = ErrorBody),
        (status = 404, description = "平台不存在或不在令牌数据范围内", body = ErrorBody),
        (status = 429, description = "调用过于频繁", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn platform_figures(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(range): ApiQuery<YearRange>,
) -> ApiResult<FiguresResponse> {
    let years = dashboards::platform_years(&state.db, id)
        .await?
        .into_iter()
        .filter(|y| range.contains(y.year))
        .map(|y| YearFigures {
            self_generated_ratio: y.ratio(),
            year: y.year,
            service_orders: y.service_orders,
            tech_contracts: y.tech_contracts,
            achievement_transfer: y.achievement_transfer,
            gov_research_projects: y.gov_research_projects,
            incubation_returns: y.incubation_returns,
            self_generated: y.self_generated,
            fiscal_subsidy: y.fiscal_subsidy,
            expenditure: y.expenditure,
            from_ledger: y.revenue_from_ledger,
        })
        .collect();
    Ok(Json(FiguresResponse {
        platform_id: id,
        unit: "元".into(),
        years,
    }))
}

// ---- findings --------------------------------------------------------------------------------

/// 合规检查结果的查询条件
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    /// 只看某一结论：pass 通过、fail 不通过、warn 预警、info 提示、not_applicable 不适用、insufficient_data 数据不足
    pub status: Option<String>,
}

/// 一条规则的检查结论
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FindingItem {
    /// 规则编号
    #[schema(example = "MKT-BREAK-EVEN")]
    pub rule_id: String,
    /// 规则名称
    #[schema(example = "收支平衡")]
    pub rule_name: String,
    /// 结论代码（取值见 status 参数）
    pub status: String,
    /// 结论
    pub status_label: String,
    /// 依据的政策条款
    pub clause: String,
    /// 检查说明
    pub message: String,
    /// 检查所依据的事实（键为事实名称）
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    /// 检查日期
    pub as_of: NaiveDate,
}

/// 一个平台的合规检查结果
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FindingsResponse {
    /// 平台内部编号
    pub platform_id: i64,
    /// 各规则的结论，按规则目录顺序
    pub items: Vec<FindingItem>,
}

/// 平台合规检查结果
///
/// 与平台「合规检查」页相同：每条政策规则对该平台的最新结论、依据条款和事实。
#[utoipa::path(
    get,
    path = "/api/v1/platforms/{id}/findings",
    tag = "平台",
    params(("id" = i64, Path, description = "平台内部编号"), FindingQuery),
    responses(
        (status = 200, description = "各规则的检查结论", body = FindingsResponse),
        (status = 400, description = "查询参数无效", body = ErrorBody),
        (status = 401, description = "缺少令牌，或令牌无效、已过期、已吊销", body = ErrorBody),
        (status = 404, description = "平台不存在或不在令牌数据范围内", body = ErrorBody),
        (status = 429, description = "调用过于频繁", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn platform_findings(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<FindingQuery>,
) -> ApiResult<FindingsResponse> {
    let only = code_filter("status", &q.status, Status::ALL, Status::as_str)?;
    let stored = compliance::findings_of(&state.db, id).await?;
    let items = rules()
        .iter()
        .filter_map(|r| stored.iter().find(|f| f.rule_id == r.id).map(|f| (r, f)))
        .filter(|(_, f)| only.is_none_or(|s| f.status == s))
        .map(|(r, f)| FindingItem {
            rule_id: r.id.to_owned(),
            rule_name: r.name_zh.to_owned(),
            status_label: f.status.label_zh().to_owned(),
            status: f.status.as_str().to_owned(),
            clause: clause_zh(&f.clause),
            message: f.message.clone(),
            facts: f.facts.clone(),
            as_of: f.as_of,
        })
        .collect();
    Ok(Json(FindingsResponse {
        platform_id: id,
        items,
    }))
}

// ---- evaluation results ----------------------------------------------------------------------

/// 一个年度已发布的评估结果
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EvaluationItem {
    /// 评估年度
    pub year: i32,
    /// 总分（0–100）
    pub total_score: Option<f64>,
    /// 排名
    pub rank: Option<i32>,
    /// 等次代码：excellent 优秀、good 良好、pass 合格、fail 不合格
    pub grade: Option<String>,
    /// 各维度得分（0–100），键为维度代码
    pub dimensions: BTreeMap<String, f64>,
}

/// 一个平台的评估结果
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EvaluationsResponse {
    /// 平台内部编号
    pub platform_id: i64,
    /// 已发布年度的结果，按年度升序（未发布的评估不在其中）
    pub items: Vec<EvaluationItem>,
}

/// 平台年度评估结果
///
/// 已发布的年度评估结果（与平台驾驶舱的评估历史相同）；评估进行中和公示中的结果不返回。
#[utoipa::path(
    get,
    path = "/api/v1/platforms/{id}/evaluations",
    tag = "平台",
    params(("id" = i64, Path, description = "平台内部编号")),
    responses(
        (status = 200, description = "已发布的评估结果", body = EvaluationsResponse),
        (status = 401, description = "缺少令牌，或令牌无效、已过期、已吊销", body = ErrorBody),
        (status = 404, description = "平台不存在或不在令牌数据范围内", body = ErrorBody),
        (status = 429, description = "调用过于频繁", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn platform_evaluations(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<EvaluationsResponse> {
    let items = dashboards::platform_evaluations(&state.db, id)
        .await?
        .into_iter()
        .map(|e| EvaluationItem {
            year: e.year,
            total_score: e.total_score,
            rank: e.rank,
            grade: e.grade.map(|g| g.as_str().to_owned()),
            dimensions: e.dimensions.0,
        })
        .collect();
    Ok(Json(EvaluationsResponse {
        platform_id: id,
        items,
    }))
}

// ---- support claims --------------------------------------------------------------------------

/// 一笔支持政策申报及其审核、拨付、追回情况
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SupportClaimItem {
    /// 申报编号
    pub id: i64,
    /// 支持项目代码，如 JS-TECH-TRANSFER
    pub programme: String,
    /// 支持项目名称
    pub programme_name: String,
    /// 申报时测算所依据的日期
    pub as_of: NaiveDate,
    /// 申报时测算的金额（元）；`up_to` 为真时为政策规定的最高额
    pub computed_yuan: i64,
    /// 政策只规定上限（“最高…”）
    pub up_to: bool,
    /// 状态代码：submitted 已申报待审核、approved 审核通过待拨付、rejected 审核未通过、paid 已拨付、recovering 追回中、recovered 已追回
    pub status: String,
    /// 状态（中文）
    pub status_label: String,
    /// 核定金额（元）
    pub granted_yuan: Option<i64>,
    /// 拨付日期
    pub paid_on: Option<NaiveDate>,
    /// 拨付金额（元）
    pub paid_yuan: Option<i64>,
    /// 应追回金额（元）
    pub recover_yuan: Option<i64>,
    /// 追回日期
    pub recovered_on: Option<NaiveDate>,
    /// 已追回金额（元）
    pub recovered_yuan: Option<i64>,
}

/// 一个平台的支持政策申报
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SupportClaimsResponse {
    /// 平台内部编号
    pub platform_id: i64,
    /// 申报记录，最新的在前
    pub items: Vec<SupportClaimItem>,
}

/// 平台支持政策申报
///
/// 平台的支持政策申报（与平台「支持政策」页相同）：申报时测算的金额、审核核定金额、拨付与追回情况。
#[utoipa::path(
    get,
    path = "/api/v1/platforms/{id}/support-claims",
    tag = "平台",
    params(("id" = i64, Path, description = "平台内部编号")),
    responses(
        (status = 200, description = "支持政策申报记录", body = SupportClaimsResponse),
        (status = 401, description = "缺少令牌，或令牌无效、已过期、已吊销", body = ErrorBody),
        (status = 404, description = "平台不存在或不在令牌数据范围内", body = ErrorBody),
        (status = 429, description = "调用过于频繁", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn platform_support_claims(
    State(state): State<AppState>,
    _client: ApiClient,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<SupportClaimsResponse> {
    let mut conn = state.db.acquire().await?;
    let items = support::claims(&mut conn, id)
        .await?
        .into_iter()
        .map(|c| SupportClaimItem {
            programme_name: programme(&c.programme)
                .map(|p| p.name_zh)
                .unwrap_or_default()
                .to_owned(),
            status_label: c.status.label_zh().to_owned(),
            id: c.id,
            programme: c.programme,
            as_of: c.as_of,
            computed_yuan: c.computed_yuan,
            up_to: c.up_to,
            status: c.status.as_str().to_owned(),
            granted_yuan: c.granted_yuan,
            paid_on: c.paid_on,
            paid_yuan: c.paid_yuan,
            recover_yuan: c.recover_yuan,
            recovered_on: c.recovered_on,
            recovered_yuan: c.recovered_yuan,
        })
        .collect();
    Ok(Json(SupportClaimsResponse {
        platform_id: id,
        items,
    }))
}

// ---- the OpenAPI document --------------------------------------------------------------------

/// The bearer scheme every data endpoint names.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("kc_ 开头的接口令牌")
                    .description(Some(
                        "安全管理员签发的接口令牌：Authorization: Bearer <令牌>",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "科创平台全周期管理平台 数据接口",
        version = "1.0.0",
        description = "供省科技厅、市数据局等外部系统只读获取科创平台数据。每次调用须携带安全管理员签发的接口令牌；令牌限定一个地区（或全市）的数据范围，有有效期，可随时吊销，每次调用均记入审计日志；每个令牌的调用频率有上限，超过时返回 429 并在 Retry-After 响应头中给出需等待的秒数。"
    ),
    paths(
        list_platforms,
        get_platform,
        platform_figures,
        platform_findings,
        platform_evaluations,
        platform_support_claims
    ),
    components(schemas(
        ErrorBody,
        PlatformSummary,
        PlatformPage,
        PlatformDetail,
        YearFigures,
        FiguresResponse,
        FindingItem,
        FindingsResponse,
        EvaluationItem,
        EvaluationsResponse,
        SupportClaimItem,
        SupportClaimsResponse
    )),
    modifiers(&BearerAuth),
    tags((name = "平台", description = "平台名录及各平台的年度数据、合规检查、评估结果与支持政策申报"))
)]
pub struct ApiDoc;

/// The document, built once.
pub static OPENAPI: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// `GET /api/v1/openapi.json`: public (it describes the interface, not data).
pub async fn openapi_json() -> Response {
    Json(&*OPENAPI).into_response()
}
