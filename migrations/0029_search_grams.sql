-- The registry's search for terms of one or two characters (most Chinese words have two: 船舶, 纺织):
-- pg_trgm (0022) has no trigram for them, so each such search scanned every platform with ILIKE,
-- which case-folds every name on every view. Each platform now keeps the set of its one- and
-- two-character grams, lower-cased and indexed by GIN (pg_bigm's idea, in plain SQL): a term's
-- grams must all be in the set (`@>`, served by the index), then ILIKE checks the match itself.
-- Never edit this file once it has landed: add a new migration instead.

-- Every one- and two-character gram of `t`, lower-cased.
CREATE FUNCTION kc_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT substr(lower(t), i, 1) AS g FROM generate_series(1, char_length(t)) AS i
          UNION ALL
          SELECT substr(lower(t), i, 2) FROM generate_series(1, char_length(t) - 1) AS i) AS grams
$$;

-- The grams a text must have to contain the search term `t`: the term itself when it is one
-- character, else its two-character grams.
CREATE FUNCTION kc_term_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN char_length(t) <= 1 THEN ARRAY[lower(t)]
                ELSE (SELECT array_agg(DISTINCT substr(lower(t), i, 2))
                      FROM generate_series(1, char_length(t) - 1) AS i) END
$$;

-- Name and code are matched separately (`name ILIKE … OR code ILIKE …`); the grams of both in one
-- set is a superset of what either needs, so the index never loses a match.
ALTER TABLE platforms
    ADD COLUMN search_grams text[] GENERATED ALWAYS AS (kc_grams(name || ' ' || code)) STORED;
CREATE INDEX platforms_search_grams ON platforms USING gin (search_grams);
