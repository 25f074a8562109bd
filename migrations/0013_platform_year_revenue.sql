-- A platform's revenue by channel and its expenditure per year, as every page, dashboard and the
-- compliance snapshot read them: revenue is the ledger's items when the ledger has any revenue item
-- for that year, else the self-reported totals (`annual_figures`); expenditure likewise, on its own.
-- One row per platform and year that has either. Money in whole yuan.

-- The computation, always current. A condition on `platform_id` or `year` reaches the indexes of all
-- three tables (the planner pushes it below both GROUP BYs into every branch).
CREATE VIEW platform_year_revenue_live AS
SELECT platform_id, year, revenue_from_ledger, expenditure_from_ledger,
       service_orders, tech_contracts, achievement_transfer, gov_research_projects, incubation_returns,
       service_orders + tech_contracts + achievement_transfer + gov_research_projects + incubation_returns AS self_generated,
       fiscal_subsidy, expenditure
FROM (
    SELECT platform_id, year,
           bool_or(src = 'ledger_revenue') AS revenue_from_ledger,
           bool_or(src = 'ledger_expenditure') AS expenditure_from_ledger,
           CASE WHEN bool_or(src = 'ledger_revenue') THEN max(so) FILTER (WHERE src = 'ledger_revenue') ELSE coalesce(max(so) FILTER (WHERE src = 'reported'), 0) END AS service_orders,
           CASE WHEN bool_or(src = 'ledger_revenue') THEN max(tc) FILTER (WHERE src = 'ledger_revenue') ELSE coalesce(max(tc) FILTER (WHERE src = 'reported'), 0) END AS tech_contracts,
           CASE WHEN bool_or(src = 'ledger_revenue') THEN max(at) FILTER (WHERE src = 'ledger_revenue') ELSE coalesce(max(at) FILTER (WHERE src = 'reported'), 0) END AS achievement_transfer,
           CASE WHEN bool_or(src = 'ledger_revenue') THEN max(gr) FILTER (WHERE src = 'ledger_revenue') ELSE coalesce(max(gr) FILTER (WHERE src = 'reported'), 0) END AS gov_research_projects,
           CASE WHEN bool_or(src = 'ledger_revenue') THEN max(ir) FILTER (WHERE src = 'ledger_revenue') ELSE coalesce(max(ir) FILTER (WHERE src = 'reported'), 0) END AS incubation_returns,
           CASE WHEN bool_or(src = 'ledger_revenue') THEN max(fs) FILTER (WHERE src = 'ledger_revenue') ELSE coalesce(max(fs) FILTER (WHERE src = 'reported'), 0) END AS fiscal_subsidy,
           CASE WHEN bool_or(src = 'ledger_expenditure') THEN max(ex) FILTER (WHERE src = 'ledger_expenditure') ELSE coalesce(max(ex) FILTER (WHERE src = 'reported'), 0) END AS expenditure
    FROM (
        SELECT platform_id, year, 'reported' AS src, service_orders AS so, tech_contracts AS tc, achievement_transfer AS at,
               gov_research_projects AS gr, incubation_returns AS ir, fiscal_subsidy AS fs, expenditure AS ex
        FROM annual_figures
        UNION ALL
        SELECT platform_id, year, 'ledger_revenue',
               coalesce(sum(amount) FILTER (WHERE channel = 'service_orders'), 0)::bigint,
               coalesce(sum(amount) FILTER (WHERE channel = 'tech_contracts'), 0)::bigint,
               coalesce(sum(amount) FILTER (WHERE channel = 'achievement_transfer'), 0)::bigint,
               coalesce(sum(amount) FILTER (WHERE channel = 'gov_research_projects'), 0)::bigint,
               coalesce(sum(amount) FILTER (WHERE channel = 'incubation_returns'), 0)::bigint,
               coalesce(sum(amount) FILTER (WHERE channel = 'fiscal_subsidy'), 0)::bigint,
               NULL::bigint
        FROM ledger_revenue GROUP BY platform_id, year
        UNION ALL
        SELECT platform_id, year, 'ledger_expenditure', NULL, NULL, NULL, NULL, NULL, NULL, sum(amount)::bigint
        FROM ledger_expenditures GROUP BY platform_id, year
    ) AS items
    GROUP BY platform_id, year
) AS chosen;

-- The same rows kept as a table, so that dashboards over thousands of platforms read one row per
-- platform and year instead of aggregating every ledger item on every page view. Kept in step, in
-- the writing transaction, by statement-level triggers on the three source tables below; tests
-- compare it with the view.
CREATE TABLE platform_year_revenue (
    platform_id             bigint  NOT NULL REFERENCES platforms (id),
    year                    int     NOT NULL,
    revenue_from_ledger     boolean NOT NULL,
    expenditure_from_ledger boolean NOT NULL,
    service_orders          bigint  NOT NULL,
    tech_contracts          bigint  NOT NULL,
    achievement_transfer    bigint  NOT NULL,
    gov_research_projects   bigint  NOT NULL,
    incubation_returns      bigint  NOT NULL,
    self_generated          bigint  NOT NULL,
    fiscal_subsidy          bigint  NOT NULL,
    expenditure             bigint  NOT NULL,
    PRIMARY KEY (platform_id, year)
);
CREATE INDEX platform_year_revenue_year_idx ON platform_year_revenue (year);
INSERT INTO platform_year_revenue SELECT * FROM platform_year_revenue_live;

-- Recomputes the rows of these platforms in these years (a superset of the keys written is fine).
-- Refreshes of the same platform run one after the other, and each reads what is committed once it
-- holds the lock (READ COMMITTED: every statement takes a new snapshot), so concurrent writers never
-- leave a stale row. Large batches (bulk loads) lock the whole table instead of one lock per platform.
CREATE FUNCTION kc_platform_year_revenue_refresh(pids bigint[], years int[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p bigint;
BEGIN
    IF cardinality(pids) > 100 THEN
        LOCK TABLE platform_year_revenue IN SHARE ROW EXCLUSIVE MODE;
    ELSE
        FOR p IN SELECT DISTINCT x FROM unnest(pids) AS x ORDER BY x LOOP
            PERFORM pg_advisory_xact_lock(730013, (p % 2147483647)::int);
        END LOOP;
    END IF;
    DELETE FROM platform_year_revenue WHERE platform_id = ANY (pids) AND year = ANY (years);
    INSERT INTO platform_year_revenue
        SELECT * FROM platform_year_revenue_live WHERE platform_id = ANY (pids) AND year = ANY (years);
END $$;

CREATE FUNCTION kc_platform_year_revenue_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pids bigint[] := '{}';
    years int[] := '{}';
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT coalesce(array_agg(DISTINCT platform_id), '{}'), coalesce(array_agg(DISTINCT year), '{}')
          INTO pids, years FROM new_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT pids || coalesce(array_agg(DISTINCT platform_id), '{}'), years || coalesce(array_agg(DISTINCT year), '{}')
          INTO pids, years FROM old_rows;
    END IF;
    IF cardinality(pids) > 0 THEN
        PERFORM kc_platform_year_revenue_refresh(pids, years);
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['annual_figures', 'ledger_revenue', 'ledger_expenditures'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION kc_platform_year_revenue_sync()', t || '_pyr_insert', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION kc_platform_year_revenue_sync()', t || '_pyr_update', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION kc_platform_year_revenue_sync()', t || '_pyr_delete', t);
    END LOOP;
END $$;
