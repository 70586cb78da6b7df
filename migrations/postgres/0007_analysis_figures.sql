-- The dashboard's figures about analyses, kept by triggers (see
-- ../0007_analysis_figures.sql for what each column means and why the sums
-- are integers).

CREATE TABLE analysis_figures (
    provider        text NOT NULL,
    band            integer NOT NULL CHECK (band BETWEEN -1 AND 9),
    analyses        bigint NOT NULL DEFAULT 0,
    completed       bigint NOT NULL DEFAULT 0,
    overall_n       bigint NOT NULL DEFAULT 0,
    overall_micros  bigint NOT NULL DEFAULT 0,
    consort_n       bigint NOT NULL DEFAULT 0,
    consort_micros  bigint NOT NULL DEFAULT 0,
    spirit_n        bigint NOT NULL DEFAULT 0,
    spirit_micros   bigint NOT NULL DEFAULT 0,
    input_tokens    bigint NOT NULL DEFAULT 0,
    output_tokens   bigint NOT NULL DEFAULT 0,
    cost_nanos      bigint NOT NULL DEFAULT 0,
    latencies       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, band)
);

-- What one analysis adds to its row of analysis_figures (times sign: 1 to
-- add it, -1 to take it out): written once, used by the trigger and by
-- `db check` and the recount below.
CREATE FUNCTION analysis_contribution(a analyses, sign integer)
RETURNS analysis_figures
LANGUAGE sql IMMUTABLE AS $$
    SELECT a.provider,
           CASE WHEN a.status = 'completed' AND a.overall_score IS NOT NULL
                THEN least(greatest(trunc(a.overall_score / 10), 0), 9)::integer ELSE -1 END,
           sign::bigint,
           sign * (a.status = 'completed')::integer::bigint,
           sign * (a.status = 'completed' AND a.overall_score IS NOT NULL)::integer::bigint,
           CASE WHEN a.status = 'completed'
                THEN sign * coalesce(round(a.overall_score * 1e6)::bigint, 0) ELSE 0 END,
           sign * (a.status = 'completed' AND a.consort_score IS NOT NULL)::integer::bigint,
           CASE WHEN a.status = 'completed'
                THEN sign * coalesce(round(a.consort_score * 1e6)::bigint, 0) ELSE 0 END,
           sign * (a.status = 'completed' AND a.spirit_score IS NOT NULL)::integer::bigint,
           CASE WHEN a.status = 'completed'
                THEN sign * coalesce(round(a.spirit_score * 1e6)::bigint, 0) ELSE 0 END,
           sign * coalesce(a.input_tokens, 0),
           sign * coalesce(a.output_tokens, 0),
           sign * coalesce(round(a.cost * 1e9)::bigint, 0),
           sign * (a.latency_ms IS NOT NULL)::integer::bigint
$$;

-- The median latency is read from this index: the middle entry of a
-- provider's latencies, found by its position, not by sorting them all.
CREATE INDEX idx_analyses_provider_latency ON analyses(provider, latency_ms)
WHERE latency_ms IS NOT NULL;

CREATE FUNCTION analysis_figures_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    change analysis_figures;
BEGIN
    IF tg_op IN ('DELETE', 'UPDATE') THEN
        change := analysis_contribution(old, -1);
        UPDATE analysis_figures AS f SET
            analyses = f.analyses + change.analyses,
            completed = f.completed + change.completed,
            overall_n = f.overall_n + change.overall_n,
            overall_micros = f.overall_micros + change.overall_micros,
            consort_n = f.consort_n + change.consort_n,
            consort_micros = f.consort_micros + change.consort_micros,
            spirit_n = f.spirit_n + change.spirit_n,
            spirit_micros = f.spirit_micros + change.spirit_micros,
            input_tokens = f.input_tokens + change.input_tokens,
            output_tokens = f.output_tokens + change.output_tokens,
            cost_nanos = f.cost_nanos + change.cost_nanos,
            latencies = f.latencies + change.latencies
        WHERE f.provider = change.provider AND f.band = change.band;
    END IF;
    IF tg_op IN ('INSERT', 'UPDATE') THEN
        INSERT INTO analysis_figures AS f
        SELECT (analysis_contribution(new, 1)).*
        ON CONFLICT (provider, band) DO UPDATE SET
            analyses = f.analyses + excluded.analyses,
            completed = f.completed + excluded.completed,
            overall_n = f.overall_n + excluded.overall_n,
            overall_micros = f.overall_micros + excluded.overall_micros,
            consort_n = f.consort_n + excluded.consort_n,
            consort_micros = f.consort_micros + excluded.consort_micros,
            spirit_n = f.spirit_n + excluded.spirit_n,
            spirit_micros = f.spirit_micros + excluded.spirit_micros,
            input_tokens = f.input_tokens + excluded.input_tokens,
            output_tokens = f.output_tokens + excluded.output_tokens,
            cost_nanos = f.cost_nanos + excluded.cost_nanos,
            latencies = f.latencies + excluded.latencies;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER analysis_figures_after_insert AFTER INSERT ON analyses
FOR EACH ROW EXECUTE FUNCTION analysis_figures_count();

CREATE TRIGGER analysis_figures_after_delete AFTER DELETE ON analyses
FOR EACH ROW EXECUTE FUNCTION analysis_figures_count();

CREATE TRIGGER analysis_figures_after_update
AFTER UPDATE OF provider, status, overall_score, consort_score, spirit_score,
                input_tokens, output_tokens, cost, latency_ms ON analyses
FOR EACH ROW EXECUTE FUNCTION analysis_figures_count();

INSERT INTO analysis_figures
SELECT c.provider, c.band, sum(c.analyses), sum(c.completed), sum(c.overall_n),
       sum(c.overall_micros), sum(c.consort_n), sum(c.consort_micros), sum(c.spirit_n),
       sum(c.spirit_micros), sum(c.input_tokens), sum(c.output_tokens), sum(c.cost_nanos),
       sum(c.latencies)
FROM analyses a, analysis_contribution(a, 1) c
GROUP BY c.provider, c.band;
