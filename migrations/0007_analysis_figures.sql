-- The dashboard's figures about analyses, kept by triggers like the review
-- counts (0003): per provider and score band, how many analyses, how many
-- completed, the sums behind the average scores, tokens and cost, and how
-- many recorded a latency. The dashboard then reads a few dozen rows
-- instead of scanning every analysis (issue 14: 22 ms at a million
-- suggestions against a 20 ms target).
--
-- band is the completed analysis's overall score band (0-9, as the
-- histogram bands it) or -1 for an analysis with no overall score yet.
-- Sums are integers, scores in millionths and cost in billionths, so that
-- adding and removing an analysis gives back exactly what was there: a
-- floating-point running sum drifts, and `db check` compares exactly.

CREATE TABLE analysis_figures (
    provider        TEXT NOT NULL,
    band            INTEGER NOT NULL CHECK (band BETWEEN -1 AND 9),
    analyses        INTEGER NOT NULL DEFAULT 0,
    completed       INTEGER NOT NULL DEFAULT 0,
    overall_n       INTEGER NOT NULL DEFAULT 0,
    overall_micros  INTEGER NOT NULL DEFAULT 0,
    consort_n       INTEGER NOT NULL DEFAULT 0,
    consort_micros  INTEGER NOT NULL DEFAULT 0,
    spirit_n        INTEGER NOT NULL DEFAULT 0,
    spirit_micros   INTEGER NOT NULL DEFAULT 0,
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0,
    cost_nanos      INTEGER NOT NULL DEFAULT 0,
    latencies       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, band)
) WITHOUT ROWID;

-- What one analysis adds to its row of analysis_figures: written once,
-- read by the triggers (one analysis, by id) and by `db check` and the
-- recount below (all of them).
CREATE VIEW analysis_contributions AS
SELECT id,
       provider,
       CASE WHEN status = 'completed' AND overall_score IS NOT NULL
            THEN min(max(CAST(overall_score / 10 AS INTEGER), 0), 9) ELSE -1 END AS band,
       status = 'completed' AS completed,
       status = 'completed' AND overall_score IS NOT NULL AS overall_n,
       CASE WHEN status = 'completed'
            THEN coalesce(CAST(round(overall_score * 1e6) AS INTEGER), 0) ELSE 0 END AS overall_micros,
       status = 'completed' AND consort_score IS NOT NULL AS consort_n,
       CASE WHEN status = 'completed'
            THEN coalesce(CAST(round(consort_score * 1e6) AS INTEGER), 0) ELSE 0 END AS consort_micros,
       status = 'completed' AND spirit_score IS NOT NULL AS spirit_n,
       CASE WHEN status = 'completed'
            THEN coalesce(CAST(round(spirit_score * 1e6) AS INTEGER), 0) ELSE 0 END AS spirit_micros,
       coalesce(input_tokens, 0) AS input_tokens,
       coalesce(output_tokens, 0) AS output_tokens,
       coalesce(CAST(round(cost * 1e9) AS INTEGER), 0) AS cost_nanos,
       latency_ms IS NOT NULL AS latencies
FROM analyses;

-- The median latency is read from this index: the middle entry of a
-- provider's latencies, found by its position, not by sorting them all.
CREATE INDEX idx_analyses_provider_latency ON analyses(provider, latency_ms)
WHERE latency_ms IS NOT NULL;

-- An analysis is taken out of its row before it changes or goes (BEFORE:
-- the view still sees it as it was) and added after it is written.
CREATE TRIGGER analysis_figures_after_insert AFTER INSERT ON analyses BEGIN
    INSERT INTO analysis_figures
    SELECT provider, band, 1, completed, overall_n, overall_micros, consort_n, consort_micros,
           spirit_n, spirit_micros, input_tokens, output_tokens, cost_nanos, latencies
    FROM analysis_contributions WHERE id = new.id
    ON CONFLICT (provider, band) DO UPDATE SET
        analyses = analyses + 1,
        completed = completed + excluded.completed,
        overall_n = overall_n + excluded.overall_n,
        overall_micros = overall_micros + excluded.overall_micros,
        consort_n = consort_n + excluded.consort_n,
        consort_micros = consort_micros + excluded.consort_micros,
        spirit_n = spirit_n + excluded.spirit_n,
        spirit_micros = spirit_micros + excluded.spirit_micros,
        input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        cost_nanos = cost_nanos + excluded.cost_nanos,
        latencies = latencies + excluded.latencies;
END;

CREATE TRIGGER analysis_figures_before_delete BEFORE DELETE ON analyses BEGIN
    UPDATE analysis_figures SET
        analyses = analysis_figures.analyses - 1,
        completed = analysis_figures.completed - c.completed,
        overall_n = analysis_figures.overall_n - c.overall_n,
        overall_micros = analysis_figures.overall_micros - c.overall_micros,
        consort_n = analysis_figures.consort_n - c.consort_n,
        consort_micros = analysis_figures.consort_micros - c.consort_micros,
        spirit_n = analysis_figures.spirit_n - c.spirit_n,
        spirit_micros = analysis_figures.spirit_micros - c.spirit_micros,
        input_tokens = analysis_figures.input_tokens - c.input_tokens,
        output_tokens = analysis_figures.output_tokens - c.output_tokens,
        cost_nanos = analysis_figures.cost_nanos - c.cost_nanos,
        latencies = analysis_figures.latencies - c.latencies
    FROM (SELECT * FROM analysis_contributions WHERE id = old.id) AS c
    WHERE analysis_figures.provider = c.provider AND analysis_figures.band = c.band;
END;

CREATE TRIGGER analysis_figures_before_update
BEFORE UPDATE OF provider, status, overall_score, consort_score, spirit_score,
                 input_tokens, output_tokens, cost, latency_ms ON analyses BEGIN
    UPDATE analysis_figures SET
        analyses = analysis_figures.analyses - 1,
        completed = analysis_figures.completed - c.completed,
        overall_n = analysis_figures.overall_n - c.overall_n,
        overall_micros = analysis_figures.overall_micros - c.overall_micros,
        consort_n = analysis_figures.consort_n - c.consort_n,
        consort_micros = analysis_figures.consort_micros - c.consort_micros,
        spirit_n = analysis_figures.spirit_n - c.spirit_n,
        spirit_micros = analysis_figures.spirit_micros - c.spirit_micros,
        input_tokens = analysis_figures.input_tokens - c.input_tokens,
        output_tokens = analysis_figures.output_tokens - c.output_tokens,
        cost_nanos = analysis_figures.cost_nanos - c.cost_nanos,
        latencies = analysis_figures.latencies - c.latencies
    FROM (SELECT * FROM analysis_contributions WHERE id = old.id) AS c
    WHERE analysis_figures.provider = c.provider AND analysis_figures.band = c.band;
END;

CREATE TRIGGER analysis_figures_after_update
AFTER UPDATE OF provider, status, overall_score, consort_score, spirit_score,
                input_tokens, output_tokens, cost, latency_ms ON analyses BEGIN
    INSERT INTO analysis_figures
    SELECT provider, band, 1, completed, overall_n, overall_micros, consort_n, consort_micros,
           spirit_n, spirit_micros, input_tokens, output_tokens, cost_nanos, latencies
    FROM analysis_contributions WHERE id = new.id
    ON CONFLICT (provider, band) DO UPDATE SET
        analyses = analyses + 1,
        completed = completed + excluded.completed,
        overall_n = overall_n + excluded.overall_n,
        overall_micros = overall_micros + excluded.overall_micros,
        consort_n = consort_n + excluded.consort_n,
        consort_micros = consort_micros + excluded.consort_micros,
        spirit_n = spirit_n + excluded.spirit_n,
        spirit_micros = spirit_micros + excluded.spirit_micros,
        input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        cost_nanos = cost_nanos + excluded.cost_nanos,
        latencies = latencies + excluded.latencies;
END;

INSERT INTO analysis_figures
SELECT provider, band, count(*), sum(completed), sum(overall_n), sum(overall_micros),
       sum(consort_n), sum(consort_micros), sum(spirit_n), sum(spirit_micros),
       sum(input_tokens), sum(output_tokens), sum(cost_nanos), sum(latencies)
FROM analysis_contributions GROUP BY provider, band;
