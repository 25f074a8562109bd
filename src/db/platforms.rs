//! The platform registry.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use crate::domain::platform::{Category, Cluster, LegalForm, Level, PlatformDraft, Stage};
use crate::domain::scope::{PlatformRef, PlatformScope};

/// Restricts a query on `platforms p` to what the scope may see.
pub(crate) fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: PlatformScope) {
    match scope {
        PlatformScope::All => qb.push(" AND true"),
        PlatformScope::Jurisdiction(j) => qb.push(" AND p.jurisdiction_id = ").push_bind(j),
        PlatformScope::Platform(id) => qb.push(" AND p.id = ").push_bind(id),
        PlatformScope::Advisor(uid) => qb.push(" AND p.advisor_id = ").push_bind(uid),
        PlatformScope::Nothing => qb.push(" AND false"),
    };
}

/// The registry list's filters, search and sort, as parsed from the query string.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub q: String,
    pub category: Option<Category>,
    pub stage: Option<Stage>,
    pub jurisdiction_id: Option<i32>,
    pub level: Option<Level>,
    pub cluster: Option<Cluster>,
    pub sort: SortKey,
    pub descending: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Code,
    Name,
    Jurisdiction,
    Stage,
    Created,
}

impl SortKey {
    pub const ALL: [(SortKey, &'static str); 5] = [
        (SortKey::Code, "code"),
        (SortKey::Name, "name"),
        (SortKey::Jurisdiction, "jurisdiction"),
        (SortKey::Stage, "stage"),
        (SortKey::Created, "created"),
    ];

    pub fn parse(s: &str) -> SortKey {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == s)
            .map(|(key, _)| *key)
            .unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(key, _)| *key == self)
            .map(|(_, k)| *k)
            .unwrap_or("code")
    }

    fn column(self) -> &'static str {
        match self {
            SortKey::Code => "p.code",
            SortKey::Name => "p.name COLLATE \"zh-Hans-x-icu\"",
            SortKey::Jurisdiction => "j.sort_order",
            SortKey::Stage => "p.stage",
            SortKey::Created => "p.created_at",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_name: String,
    pub level: Level,
    pub category: Option<Category>,
    pub stage: Stage,
    pub industry_cluster: Option<Cluster>,
    pub created_at: DateTime<Utc>,
}

fn push_list_filter<'a>(
    qb: &mut QueryBuilder<'a, Postgres>,
    scope: PlatformScope,
    f: &'a ListFilter,
) {
    qb.push(" WHERE true");
    push_scope(qb, scope);
    let q = f.q.trim();
    if !q.is_empty() {
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        // A term of one or two characters has no trigram: the grams index finds its candidates
        // (migration 0029) and ILIKE checks them. Longer terms keep to the trigram indexes, whose
        // estimates let a sorted page read the sort's index (its own statement text, its own plan).
        if q.chars().count() <= 2 {
            qb.push(" AND p.search_grams @> kc_term_grams(")
                .push_bind(q)
                .push(")");
        }
        qb.push(" AND (p.name ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR p.code ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(c) = f.category {
        qb.push(" AND p.category = ").push_bind(c.as_str());
    }
    if let Some(s) = f.stage {
        qb.push(" AND p.stage = ").push_bind(s.as_str());
    }
    if let Some(j) = f.jurisdiction_id {
        qb.push(" AND p.jurisdiction_id = ").push_bind(j);
    }
    if let Some(l) = f.level {
        qb.push(" AND p.level = ").push_bind(l.as_str());
    }
    if let Some(c) = f.cluster {
        qb.push(" AND p.industry_cluster = ").push_bind(c.as_str());
    }
}

/// One page of the registry.
pub async fn list(
    pool: &PgPool,
    scope: PlatformScope,
    f: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ListRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT p.id, p.code, p.name, j.name AS jurisdiction_name, p.level, p.category, p.stage, p.industry_cluster,
                p.created_at
         FROM platforms p JOIN jurisdictions j ON j.id = p.jurisdiction_id",
    );
    push_list_filter(&mut qb, scope, f);
    qb.push(" ORDER BY ")
        .push(f.sort.column())
        .push(if f.descending { " DESC" } else { " ASC" });
    // The tie-breaker runs the same way, so that the name index serves both directions.
    qb.push(if f.descending {
        ", p.id DESC"
    } else {
        ", p.id"
    })
    .push(" LIMIT ")
    .push_bind(limit)
    .push(" OFFSET ")
    .push_bind(offset);
    qb.build_query_as().fetch_all(pool).await
}

/// How many platforms the registry's filters match.
pub async fn count(
    pool: &PgPool,
    scope: PlatformScope,
    f: &ListFilter,
) -> Result<i64, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT count(*) FROM platforms p JOIN jurisdictions j ON j.id = p.jurisdiction_id",
    );
    push_list_filter(&mut qb, scope, f);
    qb.build_query_scalar().fetch_one(pool).await
}

/// A registry row as exported: the list's columns, the periods, and `year`'s revenue and expenditure.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub code: String,
    pub name: String,
    pub jurisdiction_name: String,
    pub level: Level,
    pub category: Option<Category>,
    pub stage: Stage,
    pub industry_cluster: Option<Cluster>,
    pub co_builders: String,
    pub construction_start: Option<NaiveDate>,
    pub construction_end: Option<NaiveDate>,
    pub operating_since: Option<NaiveDate>,
    pub self_generated: Option<i64>,
    pub fiscal_subsidy: Option<i64>,
    pub expenditure: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Every platform the list's filters match (no page), in the list's order, with `year`'s figures.
pub async fn export(
    pool: &PgPool,
    scope: PlatformScope,
    f: &ListFilter,
    year: i32,
) -> Result<Vec<ExportRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT p.code, p.name, j.name AS jurisdiction_name, p.level, p.category, p.stage, p.industry_cluster,
                p.co_builders, p.construction_start, p.construction_end, p.operating_since,
                v.self_generated, v.fiscal_subsidy, v.expenditure, p.created_at
         FROM platforms p JOIN jurisdictions j ON j.id = p.jurisdiction_id
         LEFT JOIN platform_year_revenue v ON v.platform_id = p.id AND v.year = ",
    );
    qb.push_bind(year);
    push_list_filter(&mut qb, scope, f);
    qb.push(" ORDER BY ")
        .push(f.sort.column())
        .push(if f.descending { " DESC" } else { " ASC" })
        .push(", p.id");
    qb.build_query_as().fetch_all(pool).await
}

/// A platform as stored, with names resolved for display.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Platform {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_id: i32,
    pub jurisdiction_name: String,
    pub level: Level,
    pub category: Option<Category>,
    pub stage: Stage,
    pub industry_cluster: Option<Cluster>,
    pub legal_form: LegalForm,
    pub co_builders: String,
    pub construction_start: Option<NaiveDate>,
    pub construction_end: Option<NaiveDate>,
    pub first_support_end: Option<NaiveDate>,
    pub operating_since: Option<NaiveDate>,
    pub merged_into_id: Option<i64>,
    pub merged_into_name: Option<String>,
    pub advisor_name: Option<String>,
    pub responsible_staff_name: Option<String>,
    /// The platform's own unified social credit code, if it has one.
    pub uscc: Option<String>,
    pub version: i32,
    /// When the platform was registered (登记时间).
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Platform {
    pub fn stage_label(&self) -> &'static str {
        self.stage.label_zh()
    }
    pub fn level_label(&self) -> &'static str {
        self.level.label_zh()
    }
    pub fn category_label(&self) -> &'static str {
        self.category.map_or("未设置", Category::label_zh)
    }
    pub fn cluster_label(&self) -> &'static str {
        self.industry_cluster.map_or("—", Cluster::label_zh)
    }
    pub fn legal_form_label(&self) -> &'static str {
        self.legal_form.label_zh()
    }

    /// The registry fields as the edit form shows them.
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code, "name": self.name, "jurisdiction_id": self.jurisdiction_id,
            "level": self.level, "category": self.category, "industry_cluster": self.industry_cluster,
            "legal_form": self.legal_form, "co_builders": self.co_builders,
            "construction_start": self.construction_start, "construction_end": self.construction_end,
            "first_support_end": self.first_support_end, "uscc": self.uscc, "stage": self.stage,
            "version": self.version,
        })
    }
}

/// The platform with this code (codes are stored upper-case), for the command line.
pub async fn id_by_code(pool: &PgPool, code: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM platforms WHERE code = $1",
        code.trim().to_uppercase()
    )
    .fetch_optional(pool)
    .await
}

/// A platform's stage, the row locked against concurrent changes until the transaction ends.
pub async fn lock_stage(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Option<Stage>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT stage AS "stage: Stage" FROM platforms WHERE id = $1 FOR UPDATE"#,
        platform_id
    )
    .fetch_optional(conn)
    .await
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Option<Platform>, sqlx::Error> {
    sqlx::query_as!(
        Platform,
        r#"SELECT p.id, p.code, p.name, p.jurisdiction_id, j.name AS jurisdiction_name, p.level AS "level: Level",
               p.category AS "category: Category", p.stage AS "stage: Stage",
               p.industry_cluster AS "industry_cluster: Cluster", p.legal_form AS "legal_form: LegalForm",
               p.co_builders, p.construction_start, p.construction_end, p.first_support_end, p.operating_since,
               p.merged_into_id, m.name AS "merged_into_name?", a.display_name AS "advisor_name?",
               s.display_name AS "responsible_staff_name?", p.uscc, p.version, p.created_at, p.updated_at
        FROM platforms p
        JOIN jurisdictions j ON j.id = p.jurisdiction_id
        LEFT JOIN platforms m ON m.id = p.merged_into_id
        LEFT JOIN users a ON a.id = p.advisor_id
        LEFT JOIN users s ON s.id = p.responsible_staff_id
        WHERE p.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// What the scope check needs, or `None` if there is no such platform.
pub async fn scope_ref(pool: &PgPool, id: i64) -> Result<Option<PlatformRef>, sqlx::Error> {
    sqlx::query_as!(
        PlatformRef,
        "SELECT id, jurisdiction_id, advisor_id FROM platforms WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

/// Platforms other platforms can point at (merge targets, operator binding), in scope.
pub async fn options(
    pool: &PgPool,
    scope: PlatformScope,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut qb =
        QueryBuilder::new("SELECT p.id, p.code || ' ' || p.name FROM platforms p WHERE true");
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY p.code");
    qb.build_query_as().fetch_all(pool).await
}

pub async fn insert(conn: &mut PgConnection, d: &PlatformDraft) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO platforms (code, name, jurisdiction_id, level, category, industry_cluster, legal_form,
                                co_builders, construction_start, construction_end, first_support_end, uscc)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        d.code.as_str(),
        &d.name,
        d.jurisdiction_id,
        d.level as Level,
        d.category as Option<Category>,
        d.industry_cluster as Option<Cluster>,
        d.legal_form as LegalForm,
        &d.co_builders,
        d.construction_start,
        d.construction_end,
        d.first_support_end,
        d.uscc.as_ref().map(|u| u.as_str())
    )
    .fetch_one(conn)
    .await
}

/// Another platform already registered under `uscc` (the first by code), as `(id, code, name)`;
/// `except` is the platform being edited.
pub async fn same_uscc(
    conn: &mut PgConnection,
    uscc: &str,
    except: Option<i64>,
) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, code, name FROM platforms
         WHERE uscc = $1 AND ($2::bigint IS NULL OR id <> $2) ORDER BY code LIMIT 1",
        uscc,
        except
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.id, r.code, r.name)))
}

/// Saves the registry fields if the row is still at `version`: `false` means somebody else
/// saved first (the caller shows the conflict page).
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    version: i32,
    d: &PlatformDraft,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE platforms SET code = $3, name = $4, jurisdiction_id = $5, level = $6, category = $7,
                industry_cluster = $8, legal_form = $9, co_builders = $10, construction_start = $11,
                construction_end = $12, first_support_end = $13, uscc = $14, version = version + 1,
                updated_at = now()
         WHERE id = $1 AND version = $2",
        id,
        version,
        d.code.as_str(),
        &d.name,
        d.jurisdiction_id,
        d.level as Level,
        d.category as Option<Category>,
        d.industry_cluster as Option<Cluster>,
        d.legal_form as LegalForm,
        &d.co_builders,
        d.construction_start,
        d.construction_end,
        d.first_support_end,
        d.uscc.as_ref().map(|u| u.as_str())
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A platform's year as its overview lists it (whole yuan). The money figures are the ones every
/// page, dashboard and compliance check uses (`platform_year_revenue`: the ledger's items when the
/// ledger has any for that year, else the reported totals); the reported totals are kept beside
/// them so that a page can say which is which and show the difference.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnnualFigures {
    pub year: i32,
    pub service_orders: i64,
    pub tech_contracts: i64,
    pub achievement_transfer: i64,
    pub gov_research_projects: i64,
    pub incubation_returns: i64,
    pub fiscal_subsidy: i64,
    pub expenditure: i64,
    /// The revenue figures are the ledger's sums (台账合计), not the reported totals (年报填报).
    pub revenue_from_ledger: bool,
    pub expenditure_from_ledger: bool,
    /// The reported self-generated income and expenditure (`annual_figures`), if reported.
    pub reported_self_generated: Option<i64>,
    pub reported_expenditure: Option<i64>,
    pub rnd_staff: Option<i32>,
    pub major_tasks: Option<i32>,
}

impl AnnualFigures {
    /// Self-generated income: the five channels, fiscal subsidy excluded (PRODUCT.md).
    pub fn self_generated(&self) -> i64 {
        self.service_orders
            + self.tech_contracts
            + self.achievement_transfer
            + self.gov_research_projects
            + self.incubation_returns
    }

    /// Ledger sum − reported total of self-generated income, when the figure shown is the
    /// ledger's and a reported total exists that differs from it.
    pub fn self_generated_gap(&self) -> Option<i64> {
        let reported = self.reported_self_generated?;
        (self.revenue_from_ledger && reported != self.self_generated())
            .then(|| self.self_generated() - reported)
    }

    /// Ledger sum − reported expenditure, likewise.
    pub fn expenditure_gap(&self) -> Option<i64> {
        let reported = self.reported_expenditure?;
        (self.expenditure_from_ledger && reported != self.expenditure)
            .then(|| self.expenditure - reported)
    }
}

pub async fn annual_figures(
    pool: &PgPool,
    platform_id: i64,
) -> Result<Vec<AnnualFigures>, sqlx::Error> {
    sqlx::query_as!(
        AnnualFigures,
        r#"SELECT v.year, v.service_orders, v.tech_contracts, v.achievement_transfer, v.gov_research_projects,
                v.incubation_returns, v.fiscal_subsidy, v.expenditure, v.revenue_from_ledger,
                v.expenditure_from_ledger,
                a.service_orders + a.tech_contracts + a.achievement_transfer + a.gov_research_projects
                    + a.incubation_returns AS reported_self_generated,
                a.expenditure AS "reported_expenditure?", a.rnd_staff AS "rnd_staff?",
                a.major_tasks AS "major_tasks?"
         FROM platform_year_revenue v
         LEFT JOIN annual_figures a ON a.platform_id = v.platform_id AND a.year = v.year
         WHERE v.platform_id = $1 ORDER BY v.year"#,
        platform_id
    )
    .fetch_all(pool)
    .await
}
