-- A platform's revenue by channel and its expenditure per year, as every page, dashboard and the
-- compliance snapshot read them: revenue is the ledger's items when the ledger has any revenue item
-- for that year, else the self-reported totals (`annual_figures`); expenditure likewise, on its own.
-- One row per platform and year that has either. Money in whole yuan.
--
-- Written as one aggregate over a UNION ALL so that a condition on `platform_id` or `year` reaches
-- the indexes of all three tables (the planner pushes it below the GROUP BY into every branch).
CREATE VIEW platform_year_revenue AS
SELECT platform_id, year, revenue_from_ledger, expenditure_from_ledger,
       service_orders, tech_contracts, achievement_transfer, gov_research_projects, incubation_returns,
       service_orders + tech_contracts + achievement_transfer + gov_research_projects + incubation_returns
           AS self_generated,
       fiscal_subsidy, expenditure
FROM (
    SELECT platform_id, year, has_ledger_revenue AS revenue_from_ledger,
           has_ledger_expenditure AS expenditure_from_ledger,
           CASE WHEN has_ledger_revenue THEN l_so ELSE r_so END AS service_orders,
           CASE WHEN has_ledger_revenue THEN l_tc ELSE r_tc END AS tech_contracts,
           CASE WHEN has_ledger_revenue THEN l_at ELSE r_at END AS achievement_transfer,
           CASE WHEN has_ledger_revenue THEN l_gr ELSE r_gr END AS gov_research_projects,
           CASE WHEN has_ledger_revenue THEN l_ir ELSE r_ir END AS incubation_returns,
           CASE WHEN has_ledger_revenue THEN l_fs ELSE r_fs END AS fiscal_subsidy,
           CASE WHEN has_ledger_expenditure THEN l_exp ELSE r_exp END AS expenditure
    FROM (
        SELECT platform_id, year,
               bool_or(src = 'ledger' AND channel <> 'expenditure') AS has_ledger_revenue,
               bool_or(src = 'ledger' AND channel = 'expenditure') AS has_ledger_expenditure,
               coalesce(sum(amount) FILTER (WHERE src = 'ledger' AND channel = 'service_orders'), 0)::bigint AS l_so,
               coalesce(sum(amount) FILTER (WHERE src = 'ledger' AND channel = 'tech_contracts'), 0)::bigint AS l_tc,
               coalesce(sum(amount) FILTER (WHERE src = 'ledger' AND channel = 'achievement_transfer'), 0)::bigint AS l_at,
               coalesce(sum(amount) FILTER (WHERE src = 'ledger' AND channel = 'gov_research_projects'), 0)::bigint AS l_gr,
               coalesce(sum(amount) FILTER (WHERE src = 'ledger' AND channel = 'incubation_returns'), 0)::bigint AS l_ir,
               coalesce(sum(amount) FILTER (WHERE src = 'ledger' AND channel = 'fiscal_subsidy'), 0)::bigint AS l_fs,
               coalesce(sum(amount) FILTER (WHERE src = 'ledger' AND channel = 'expenditure'), 0)::bigint AS l_exp,
               coalesce(sum(amount) FILTER (WHERE src = 'reported' AND channel = 'service_orders'), 0)::bigint AS r_so,
               coalesce(sum(amount) FILTER (WHERE src = 'reported' AND channel = 'tech_contracts'), 0)::bigint AS r_tc,
               coalesce(sum(amount) FILTER (WHERE src = 'reported' AND channel = 'achievement_transfer'), 0)::bigint AS r_at,
               coalesce(sum(amount) FILTER (WHERE src = 'reported' AND channel = 'gov_research_projects'), 0)::bigint AS r_gr,
               coalesce(sum(amount) FILTER (WHERE src = 'reported' AND channel = 'incubation_returns'), 0)::bigint AS r_ir,
               coalesce(sum(amount) FILTER (WHERE src = 'reported' AND channel = 'fiscal_subsidy'), 0)::bigint AS r_fs,
               coalesce(sum(amount) FILTER (WHERE src = 'reported' AND channel = 'expenditure'), 0)::bigint AS r_exp
        FROM (
            SELECT af.platform_id, af.year, 'reported' AS src, c.channel, c.amount
            FROM annual_figures af
            CROSS JOIN LATERAL (VALUES ('service_orders', af.service_orders),
                                       ('tech_contracts', af.tech_contracts),
                                       ('achievement_transfer', af.achievement_transfer),
                                       ('gov_research_projects', af.gov_research_projects),
                                       ('incubation_returns', af.incubation_returns),
                                       ('fiscal_subsidy', af.fiscal_subsidy),
                                       ('expenditure', af.expenditure)) AS c (channel, amount)
            UNION ALL
            SELECT platform_id, year, 'ledger', channel, amount FROM ledger_revenue
            UNION ALL
            SELECT platform_id, year, 'ledger', 'expenditure', amount FROM ledger_expenditures
        ) AS items
        GROUP BY platform_id, year
    ) AS sums
) AS chosen;
