//! The ledger (台账): revenue items, expenditures, technology contracts, licences, incubated
//! companies, major tasks, shared instruments and entered indicator values. Every query names the
//! platform: a row is only ever read or deleted together with its platform id.
//!
//! For the other steps of the annual cycle: [`ledger_year`] loads one year's items for
//! [`crate::domain::ledger::derive`], and [`actuals`] gives the year's actual values by indicator key
//! (ledger-derived values on top of the entered ones).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::ledger::{
    self, Channel, CompanyItem, ContractItem, ContractType, ExpenditureCategory, ExpenditureItem,
    InvestmentForm, LedgerKind, LedgerYear, LicenceItem, NewRow, PaymentModel, Reported,
    RevenueItem, TaskItem, TaskLevel,
};
use crate::domain::scoring::Values;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevenueRow {
    pub id: i64,
    pub channel: Channel,
    pub amount: i64,
    pub counterparty: String,
    pub description: String,
    pub received_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExpenditureRow {
    pub id: i64,
    pub category: ExpenditureCategory,
    pub amount: i64,
    pub description: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContractRow {
    pub id: i64,
    pub contract_type: ContractType,
    pub counterparty: String,
    pub amount: i64,
    pub registration_no: String,
    pub signed_on: NaiveDate,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LicenceRow {
    pub id: i64,
    pub licensee: String,
    pub achievement: String,
    pub payment_model: PaymentModel,
    pub use_first_pay_later: bool,
    pub schedule: String,
    pub amount_agreed: i64,
    pub amount_received: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyRow {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    /// As text, exactly as stored (numeric(5,2)).
    pub equity_pct: String,
    pub investment_form: InvestmentForm,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: i64,
    pub name: String,
    pub level: TaskLevel,
    pub funding: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstrumentRow {
    pub id: i64,
    pub name: String,
    pub value_yuan: i64,
    pub acquired_on: Option<NaiveDate>,
    pub open_shared: bool,
    pub on_provincial_platform: bool,
}

/// One year's rows of a platform's ledger, oldest first.
#[derive(Debug, Clone, Default)]
pub struct LedgerRows {
    pub revenue: Vec<RevenueRow>,
    pub expenditures: Vec<ExpenditureRow>,
    pub contracts: Vec<ContractRow>,
    pub licences: Vec<LicenceRow>,
    pub companies: Vec<CompanyRow>,
    pub tasks: Vec<TaskRow>,
}

impl LedgerRows {
    /// What derivation needs of the rows.
    pub fn items(&self, year: i32) -> LedgerYear {
        LedgerYear {
            year,
            revenue: self
                .revenue
                .iter()
                .map(|r| RevenueItem {
                    channel: r.channel,
                    amount: r.amount,
                })
                .collect(),
            expenditures: self
                .expenditures
                .iter()
                .map(|e| ExpenditureItem {
                    category: e.category,
                    amount: e.amount,
                })
                .collect(),
            contracts: self
                .contracts
                .iter()
                .map(|c| ContractItem {
                    contract_type: c.contract_type,
                    amount: c.amount,
                    registration_no: c.registration_no.clone(),
                })
                .collect(),
            licences: self
                .licences
                .iter()
                .map(|l| LicenceItem {
                    payment_model: l.payment_model,
                    use_first_pay_later: l.use_first_pay_later,
                    amount_agreed: l.amount_agreed,
                    amount_received: l.amount_received,
                })
                .collect(),
            companies: self
                .companies
                .iter()
                .map(|c| CompanyItem {
                    investment_form: c.investment_form,
                })
                .collect(),
            tasks: self
                .tasks
                .iter()
                .map(|t| TaskItem {
                    level: t.level,
                    funding: t.funding,
                })
                .collect(),
        }
    }
}

/// Every ledger row of one platform and year.
pub async fn rows(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<LedgerRows, sqlx::Error> {
    Ok(LedgerRows {
        revenue: sqlx::query_as!(
            RevenueRow,
            r#"SELECT id, channel AS "channel: Channel", amount, counterparty, description, received_on
               FROM ledger_revenue WHERE platform_id = $1 AND year = $2 ORDER BY id"#,
            platform_id,
            year
        )
        .fetch_all(&mut *conn)
        .await?,
        expenditures: sqlx::query_as!(
            ExpenditureRow,
            r#"SELECT id, category AS "category: ExpenditureCategory", amount, description
               FROM ledger_expenditures WHERE platform_id = $1 AND year = $2 ORDER BY id"#,
            platform_id,
            year
        )
        .fetch_all(&mut *conn)
        .await?,
        contracts: sqlx::query_as!(
            ContractRow,
            r#"SELECT id, contract_type AS "contract_type: ContractType", counterparty, amount, registration_no,
                      signed_on
               FROM tech_contracts WHERE platform_id = $1 AND year = $2 ORDER BY signed_on, id"#,
            platform_id,
            year
        )
        .fetch_all(&mut *conn)
        .await?,
        licences: sqlx::query_as!(
            LicenceRow,
            r#"SELECT id, licensee, achievement, payment_model AS "payment_model: PaymentModel",
                      use_first_pay_later, schedule, amount_agreed, amount_received
               FROM licences WHERE platform_id = $1 AND year = $2 ORDER BY id"#,
            platform_id,
            year
        )
        .fetch_all(&mut *conn)
        .await?,
        companies: sqlx::query_as!(
            CompanyRow,
            r#"SELECT id, name, uscc, equity_pct::text AS "equity_pct!",
                      investment_form AS "investment_form: InvestmentForm"
               FROM incubated_companies WHERE platform_id = $1 AND year = $2 ORDER BY id"#,
            platform_id,
            year
        )
        .fetch_all(&mut *conn)
        .await?,
        tasks: sqlx::query_as!(
            TaskRow,
            r#"SELECT id, name, level AS "level: TaskLevel", funding FROM major_tasks
               WHERE platform_id = $1 AND year = $2 ORDER BY id"#,
            platform_id,
            year
        )
        .fetch_all(&mut *conn)
        .await?,
    })
}

/// One year's ledger items, ready for [`ledger::derive`].
pub async fn ledger_year(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<LedgerYear, sqlx::Error> {
    Ok(rows(conn, platform_id, year).await?.items(year))
}

/// The platform's shared instruments (not per year).
pub async fn instruments(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<InstrumentRow>, sqlx::Error> {
    sqlx::query_as!(
        InstrumentRow,
        "SELECT id, name, value_yuan, acquired_on, open_shared, on_provincial_platform FROM instruments
         WHERE platform_id = $1 ORDER BY id",
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// The entered indicator values of one year (talent, R&D and other figures not derived from items).
pub async fn entered_values(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Values, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT indicator_key, value::float8 AS "value!" FROM indicator_values
           WHERE platform_id = $1 AND year = $2"#,
        platform_id,
        year
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.indicator_key, r.value))
        .collect())
}

/// Saves entered values: `Some` upserts, `None` removes.
pub async fn set_values(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    values: &BTreeMap<String, Option<f64>>,
) -> Result<(), sqlx::Error> {
    for (key, value) in values {
        match value {
            Some(v) => {
                sqlx::query!(
                    "INSERT INTO indicator_values (platform_id, year, indicator_key, value)
                     VALUES ($1, $2, $3, $4::float8::numeric)
                     ON CONFLICT (platform_id, year, indicator_key) DO UPDATE SET value = EXCLUDED.value",
                    platform_id,
                    year,
                    key,
                    v
                )
                .execute(&mut *conn)
                .await?;
            }
            None => {
                sqlx::query!(
                    "DELETE FROM indicator_values WHERE platform_id = $1 AND year = $2 AND indicator_key = $3",
                    platform_id,
                    year,
                    key
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

/// A year's actual values by indicator key: the ledger-derived ones on top of the entered ones.
pub async fn actuals(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Values, sqlx::Error> {
    let items = ledger_year(conn, platform_id, year).await?;
    let entered = entered_values(conn, platform_id, year).await?;
    Ok(ledger::actuals(&ledger::derive(&items), &entered))
}

/// The platform's self-reported totals of a year (`annual_figures`), if any.
pub async fn reported(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Reported>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT service_orders, tech_contracts, achievement_transfer, gov_research_projects, incubation_returns,
                fiscal_subsidy, expenditure, rnd_staff, major_tasks
         FROM annual_figures WHERE platform_id = $1 AND year = $2",
        platform_id,
        year
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let channels = [
            (Channel::ServiceOrders, r.service_orders),
            (Channel::TechContracts, r.tech_contracts),
            (Channel::AchievementTransfer, r.achievement_transfer),
            (Channel::GovResearchProjects, r.gov_research_projects),
            (Channel::IncubationReturns, r.incubation_returns),
            (Channel::FiscalSubsidy, r.fiscal_subsidy),
        ]
        .into_iter()
        .collect();
        Reported {
            channels,
            expenditure: r.expenditure,
            rnd_staff: i64::from(r.rnd_staff),
            major_tasks: i64::from(r.major_tasks),
        }
    }))
}

/// The years that have ledger items or reported figures for the platform.
pub async fn years(conn: &mut PgConnection, platform_id: i64) -> Result<Vec<i32>, sqlx::Error> {
    // A UNION's column carries no nullability: every branch's `year` is NOT NULL.
    sqlx::query_scalar!(
        r#"SELECT year AS "year!" FROM (
               SELECT year FROM annual_figures WHERE platform_id = $1
               UNION SELECT year FROM ledger_revenue WHERE platform_id = $1
               UNION SELECT year FROM ledger_expenditures WHERE platform_id = $1
               UNION SELECT year FROM indicator_values WHERE platform_id = $1
           ) y ORDER BY year"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// Adds a row to the platform's ledger of `year` (instruments are not per year); returns its id.
pub async fn insert(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    row: &NewRow,
) -> Result<i64, sqlx::Error> {
    match row {
        NewRow::Revenue(r) => {
            sqlx::query_scalar!(
                "INSERT INTO ledger_revenue (platform_id, year, channel, amount, counterparty, description, received_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                platform_id,
                year,
                r.channel as Channel,
                r.amount,
                r.counterparty,
                r.description,
                r.received_on
            )
            .fetch_one(conn)
            .await
        }
        NewRow::Expenditure(e) => {
            sqlx::query_scalar!(
                "INSERT INTO ledger_expenditures (platform_id, year, category, amount, description)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                platform_id,
                year,
                e.category as ExpenditureCategory,
                e.amount,
                e.description
            )
            .fetch_one(conn)
            .await
        }
        NewRow::Contract(c) => {
            sqlx::query_scalar!(
                "INSERT INTO tech_contracts (platform_id, year, contract_type, counterparty, amount, registration_no,
                                             signed_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                platform_id,
                year,
                c.contract_type as ContractType,
                c.counterparty,
                c.amount,
                c.registration_no,
                c.signed_on
            )
            .fetch_one(conn)
            .await
        }
        NewRow::Licence(l) => {
            sqlx::query_scalar!(
                "INSERT INTO licences (platform_id, year, licensee, achievement, payment_model, use_first_pay_later,
                                       schedule, amount_agreed, amount_received)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                platform_id,
                year,
                l.licensee,
                l.achievement,
                l.payment_model as PaymentModel,
                l.use_first_pay_later,
                l.schedule,
                l.amount_agreed,
                l.amount_received
            )
            .fetch_one(conn)
            .await
        }
        NewRow::Company(c) => {
            sqlx::query_scalar!(
                "INSERT INTO incubated_companies (platform_id, year, name, uscc, equity_pct, investment_form)
                 VALUES ($1, $2, $3, $4, ($5::bigint / 100.0)::numeric(5, 2), $6) RETURNING id",
                platform_id,
                year,
                c.name,
                c.uscc.as_str(),
                c.equity_bp,
                c.investment_form as InvestmentForm
            )
            .fetch_one(conn)
            .await
        }
        NewRow::Task(t) => {
            sqlx::query_scalar!(
                "INSERT INTO major_tasks (platform_id, year, name, level, funding)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                platform_id,
                year,
                t.name,
                t.level as TaskLevel,
                t.funding
            )
            .fetch_one(conn)
            .await
        }
        NewRow::Instrument(i) => {
            sqlx::query_scalar!(
                "INSERT INTO instruments (platform_id, name, value_yuan, acquired_on, open_shared, on_provincial_platform)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                platform_id,
                i.name,
                i.value_yuan,
                i.acquired_on,
                i.open_shared,
                i.on_provincial_platform
            )
            .fetch_one(conn)
            .await
        }
    }
}

/// A row as JSON (for the audit trail), only if it belongs to the platform.
pub async fn row_json(
    conn: &mut PgConnection,
    kind: LedgerKind,
    platform_id: i64,
    id: i64,
) -> Result<Option<Value>, sqlx::Error> {
    let Some(table) = kind.table() else {
        return Ok(None);
    };
    // Runtime SQL: the table is the kind's, named at run time.
    sqlx::query_scalar(&format!(
        "SELECT to_jsonb(t) - 'created_at' FROM {table} t WHERE id = $1 AND platform_id = $2"
    ))
    .bind(id)
    .bind(platform_id)
    .fetch_optional(conn)
    .await
}

/// Deletes a row of the platform's ledger; its JSON (for the audit trail), or `None` if the platform
/// has no such row.
pub async fn delete(
    conn: &mut PgConnection,
    kind: LedgerKind,
    platform_id: i64,
    id: i64,
) -> Result<Option<Value>, sqlx::Error> {
    let Some(table) = kind.table() else {
        return Ok(None);
    };
    // Runtime SQL: the table is the kind's, named at run time.
    sqlx::query_scalar(&format!(
        "DELETE FROM {table} t WHERE id = $1 AND platform_id = $2 RETURNING to_jsonb(t) - 'created_at'"
    ))
    .bind(id)
    .bind(platform_id)
    .fetch_optional(conn)
    .await
}

/// The year a row belongs to (to send the user back to it); `None` for instruments.
pub fn year_of(row: &Value) -> Option<i32> {
    row.get("year")
        .and_then(Value::as_i64)
        .and_then(|y| i32::try_from(y).ok())
}
