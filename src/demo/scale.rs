//! The `scale` demo dataset (QUALITY.md "Performance"): on top of the demo city, 2,000 synthetic
//! platforms with ten years of figures, published evaluations, timelines, checklists and advisor
//! visits — generated set-based in SQL so it loads in seconds. Idempotent.

use sqlx::PgPool;

use crate::db::audit::{self, Actor};

/// Number of scale platforms and years.
pub const PLATFORMS: i32 = 2000;
pub const FIRST_YEAR: i32 = 2016;
pub const LAST_YEAR: i32 = 2025;

/// Loads the scale platforms (after the demo city). Returns `false` if they were already there.
pub async fn load(pool: &PgPool) -> anyhow::Result<bool> {
    load_n(pool, PLATFORMS).await
}

/// Loads `platforms` scale platforms (the tests use a few dozen).
pub async fn load_n(pool: &PgPool, platforms: i32) -> anyhow::Result<bool> {
    super::load(pool).await?;
    let actor = Actor::system("demo-scale");
    let mut tx = audit::begin(pool, &actor).await?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM platforms WHERE code = 'SC-00001') AS "exists!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if exists {
        return Ok(false);
    }
    sqlx::query!("SELECT setseed(0.2025)")
        .execute(&mut *tx)
        .await?;
    let statements = [
        // Platforms: every category, stage, jurisdiction and cluster; construction ends spread over the decade.
        "INSERT INTO platforms (code, name, jurisdiction_id, level, category, stage, industry_cluster, legal_form,
                                co_builders, construction_start, construction_end, operating_since, first_support_end,
                                created_at)
         SELECT 'SC-' || lpad(i::text, 5, '0'),
                '示例规模平台' || i,
                j.id,
                CASE WHEN j.kind = 'city' THEN 'city' WHEN i % 3 = 0 THEN 'city_county' ELSE 'county' END,
                (ARRAY['strategic_task', 'industrial_transformation', 'technical_service', 'other'])[1 + i % 4],
                CASE WHEN i % 50 = 0 THEN 'registration' WHEN i % 23 = 0 THEN 'rectifying'
                     WHEN i % 97 = 0 THEN 'exited' WHEN i % 89 = 0 THEN 'converted' ELSE 'operating' END,
                (ARRAY['marine_engineering', 'high_end_textiles', 'high_end_equipment', 'next_gen_it',
                       'new_materials', 'new_energy'])[1 + i % 6],
                'public_institution', '示例大学（虚构）',
                make_date(2012 + i % 12, 1 + i % 12, 1),
                make_date(2015 + i % 12, 1 + i % 12, 1) - 1,
                CASE WHEN i % 50 = 0 THEN NULL ELSE make_date(2012 + i % 12, 1 + i % 12, 15) END,
                CASE WHEN j.kind = 'city' THEN NULL ELSE make_date(2017 + i % 12, 1 + i % 12, 1) END,
                -- Registered (登记时间) a month before construction starts.
                ((make_date(2012 + i % 12, 1 + i % 12, 1) - 30) + time '09:30') AT TIME ZONE 'Asia/Shanghai'
         FROM generate_series(1, $1) i
         JOIN LATERAL (SELECT id, kind FROM jurisdictions ORDER BY sort_order, id OFFSET i % 9 LIMIT 1) j ON true",
        // Ten years of reported figures.
        "INSERT INTO annual_figures (platform_id, year, service_orders, tech_contracts, achievement_transfer,
                                     gov_research_projects, incubation_returns, fiscal_subsidy, expenditure,
                                     rnd_staff, major_tasks)
         SELECT p.id, y,
                (random() * 3000000)::bigint, (random() * 2000000)::bigint, (random() * 1000000)::bigint,
                (random() * 1500000)::bigint, (random() * 400000)::bigint, (1000000 + random() * 4000000)::bigint,
                (2000000 + random() * 7000000)::bigint, (10 + random() * 70)::int, (random() * 3)::int
         FROM platforms p CROSS JOIN generate_series($2, $3) y
         WHERE p.code LIKE 'SC-%' AND p.operating_since IS NOT NULL AND y >= extract(year FROM p.operating_since)",
        // Itemised ledgers equal to the reported figures: each channel in two receipts, expenditure in
        // three categories (so every page and dashboard reads ledger-derived totals, as for real data).
        "INSERT INTO ledger_revenue (platform_id, year, channel, amount, counterparty, description, received_on)
         SELECT f.platform_id, f.year, c.channel, part.amount, '示例客户（虚构）', '规模数据', make_date(f.year, part.month, 15)
         FROM annual_figures f
         JOIN platforms p ON p.id = f.platform_id AND p.code LIKE 'SC-%'
         CROSS JOIN LATERAL (VALUES ('service_orders', f.service_orders), ('tech_contracts', f.tech_contracts),
                                    ('achievement_transfer', f.achievement_transfer),
                                    ('gov_research_projects', f.gov_research_projects),
                                    ('incubation_returns', f.incubation_returns),
                                    ('fiscal_subsidy', f.fiscal_subsidy)) AS c (channel, total)
         CROSS JOIN LATERAL (VALUES (c.total * 2 / 5, 5), (c.total - c.total * 2 / 5, 11)) AS part (amount, month)
         WHERE part.amount > 0",
        "INSERT INTO ledger_expenditures (platform_id, year, category, amount, description)
         SELECT f.platform_id, f.year, part.category, part.amount, '规模数据'
         FROM annual_figures f
         JOIN platforms p ON p.id = f.platform_id AND p.code LIKE 'SC-%'
         CROSS JOIN LATERAL (VALUES ('personnel', f.expenditure * 55 / 100), ('research', f.expenditure * 30 / 100),
                                    ('operations', f.expenditure - f.expenditure * 55 / 100 - f.expenditure * 30 / 100))
              AS part (category, amount)
         WHERE part.amount > 0",
        // Published evaluations for every year with figures.
        "INSERT INTO evaluation_rounds (year, status, config_version, published_at)
         SELECT y, 'published', 0, make_date(y + 1, 3, 1) FROM generate_series($2, $3) y
         ON CONFLICT (year) DO NOTHING",
        "INSERT INTO evaluations (platform_id, year, status, submitted_at, total_score, rank, grade, reward_yuan,
                                  funding_coefficient, config_version, score_detail)
         SELECT f.platform_id, f.year, 'scored', make_date(f.year + 1, 1, 10), s.score, NULL,
                CASE WHEN s.score >= 90 THEN 'good' WHEN s.score >= 75 THEN 'good' WHEN s.score >= 60 THEN 'pass' ELSE 'fail' END,
                CASE WHEN s.score >= 75 THEN 200000 ELSE 0 END,
                CASE WHEN s.score >= 75 THEN 1.0 WHEN s.score >= 60 THEN 0.8 ELSE 0 END,
                0,
                jsonb_build_object('rnd', round((s.score + random() * 10 - 5)::numeric, 2),
                                   'talent', round((s.score + random() * 10 - 5)::numeric, 2),
                                   'transfer', round((s.score + random() * 10 - 5)::numeric, 2),
                                   'market', round((s.score + random() * 10 - 5)::numeric, 2),
                                   'governance', round((s.score + random() * 10 - 5)::numeric, 2))
         FROM annual_figures f
         JOIN platforms p ON p.id = f.platform_id AND p.code LIKE 'SC-%'
         CROSS JOIN LATERAL (SELECT 50 + random() * 48 AS score) s
         ON CONFLICT (platform_id, year) DO NOTHING",
        // Ranks and the top 15% excellent per year (ties share a rank).
        "WITH ranked AS (
             SELECT id, rank() OVER (PARTITION BY year ORDER BY total_score DESC) AS r,
                    count(*) OVER (PARTITION BY year) AS n, total_score
             FROM evaluations WHERE total_score IS NOT NULL)
         UPDATE evaluations e SET rank = ranked.r,
                grade = CASE WHEN ranked.total_score >= 90 AND ranked.r <= greatest(1, floor(ranked.n * 0.15)) THEN 'excellent' ELSE e.grade END,
                reward_yuan = CASE WHEN ranked.total_score >= 90 AND ranked.r <= greatest(1, floor(ranked.n * 0.15)) THEN 500000 ELSE e.reward_yuan END,
                funding_coefficient = CASE WHEN ranked.total_score >= 90 AND ranked.r <= greatest(1, floor(ranked.n * 0.15)) THEN 1.2 ELSE e.funding_coefficient END
         FROM ranked WHERE ranked.id = e.id",
        // Timelines, checklists and advisor visits.
        "INSERT INTO lifecycle_events (platform_id, at, actor_name, kind, from_stage, to_stage, summary)
         SELECT id, operating_since::timestamptz, 'demo-scale', 'registration.approved', 'registration', 'operating',
                '设立登记审批通过，进入运行管理阶段'
         FROM platforms WHERE code LIKE 'SC-%' AND operating_since IS NOT NULL",
        "INSERT INTO checklist_items (platform_id, source, title, owner, due_date, status)
         SELECT p.id, 'manual', '示例整改事项 ' || k, '平台负责人', make_date(2026, 1 + (p.id + k)::int % 12, 15),
                CASE WHEN (p.id + k) % 3 = 0 THEN 'done' ELSE 'open' END
         FROM platforms p CROSS JOIN generate_series(1, 3) k WHERE p.code LIKE 'SC-%'",
        "INSERT INTO advisor_visits (platform_id, advisor_id, visit_date, form, topics, advice)
         SELECT p.id, a.id, make_date(2026, 1 + (p.id + k)::int % 10, 1 + (p.id * k)::int % 27), 'on_site', '经营情况走访', '建议拓展服务订单'
         FROM platforms p CROSS JOIN generate_series(1, 2) k
         JOIN users a ON a.username = 'demo-advisor'
         WHERE p.code LIKE 'SC-%'",
    ];
    for sql in statements {
        // Runtime SQL: the text is built here (the three constants, ours, not input, are inlined).
        let sql = sql
            .replace("$1", &platforms.to_string())
            .replace("$2", &FIRST_YEAR.to_string())
            .replace("$3", &LAST_YEAR.to_string());
        sqlx::query(&sql).execute(&mut *tx).await.map_err(|e| {
            anyhow::anyhow!(
                "scale dataset: {e} in: {}",
                sql.lines().next().unwrap_or_default()
            )
        })?;
    }
    audit::record(
        &mut tx,
        &actor,
        "demo.load_scale",
        "demo",
        None,
        None,
        Some(serde_json::json!({"platforms": platforms, "years": [FIRST_YEAR, LAST_YEAR]})),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
