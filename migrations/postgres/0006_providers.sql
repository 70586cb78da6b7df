-- Model providers (issue 13; see ../0006_providers.sql): what every
-- analysis cost and how far its answers were trusted, and the cache of
-- model answers per request.
ALTER TABLE analyses ADD COLUMN model text;
ALTER TABLE analyses ADD COLUMN prompt_version text;
ALTER TABLE analyses ADD COLUMN input_tokens bigint CHECK (input_tokens IS NULL OR input_tokens >= 0);
ALTER TABLE analyses ADD COLUMN output_tokens bigint CHECK (output_tokens IS NULL OR output_tokens >= 0);
ALTER TABLE analyses ADD COLUMN cost double precision CHECK (cost IS NULL OR cost >= 0);
ALTER TABLE analyses ADD COLUMN latency_ms bigint CHECK (latency_ms IS NULL OR latency_ms >= 0);
ALTER TABLE analyses ADD COLUMN unverified_answers bigint CHECK (unverified_answers IS NULL OR unverified_answers >= 0);
ALTER TABLE analyses ADD COLUMN provider_metadata jsonb;

CREATE TABLE provider_cache (
    request_sha256 text NOT NULL CHECK (length(request_sha256) = 64),
    provider       text NOT NULL,
    model          text NOT NULL,
    prompt_version text NOT NULL,
    answer         text NOT NULL,
    input_tokens   bigint NOT NULL DEFAULT 0,
    output_tokens  bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (request_sha256, provider, model, prompt_version)
);
