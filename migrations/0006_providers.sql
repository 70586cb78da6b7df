-- Model providers (issue 13). Every analysis records who read the text and
-- what it cost: the model, the prompt version, tokens in and out, the cost,
-- the wall time, and how many of the model's answers were rejected because
-- their quotes were not in the text; `provider_metadata` keeps the rest
-- (where the text went, batches, cache hits, repairs, fallbacks) as JSON.
-- Builtin analyses record their latency and nothing else.
ALTER TABLE analyses ADD COLUMN model TEXT;
ALTER TABLE analyses ADD COLUMN prompt_version TEXT;
ALTER TABLE analyses ADD COLUMN input_tokens INTEGER CHECK (input_tokens IS NULL OR input_tokens >= 0);
ALTER TABLE analyses ADD COLUMN output_tokens INTEGER CHECK (output_tokens IS NULL OR output_tokens >= 0);
ALTER TABLE analyses ADD COLUMN cost REAL CHECK (cost IS NULL OR cost >= 0);
ALTER TABLE analyses ADD COLUMN latency_ms INTEGER CHECK (latency_ms IS NULL OR latency_ms >= 0);
ALTER TABLE analyses ADD COLUMN unverified_answers INTEGER CHECK (unverified_answers IS NULL OR unverified_answers >= 0);
ALTER TABLE analyses ADD COLUMN provider_metadata TEXT
    CHECK (provider_metadata IS NULL OR json_valid(provider_metadata));

-- A model's answer to one batch, so that the same request to the same
-- provider, model and prompt version costs no second call. The key is the
-- sha256 of the whole request text (instructions, items and passages), so
-- an edit elsewhere in the protocol leaves a section's entry valid.
CREATE TABLE provider_cache (
    request_sha256 TEXT NOT NULL CHECK (length(request_sha256) = 64),
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    answer TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (request_sha256, provider, model, prompt_version)
) WITHOUT ROWID;
