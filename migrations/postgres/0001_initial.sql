-- ProtoScribe schema for PostgreSQL, version 1: the same tables, columns,
-- id prefixes, vocabularies, cascades and indexes as ../0001_initial.sql,
-- in PostgreSQL's own types: timestamptz for times, jsonb for JSON,
-- bigint for sizes and counts, double precision for scores.

CREATE TABLE protocols (
    id          text PRIMARY KEY CHECK (id LIKE 'proto\_%'),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
    status      text NOT NULL DEFAULT 'processing'
                CHECK (status IN ('processing', 'ready', 'error')),
    file_path   text CHECK (file_path IS NULL OR length(file_path) <= 500),
    file_size   bigint CHECK (file_size IS NULL OR file_size >= 0),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz,
    description text,
    metadata    jsonb,
    content     text NOT NULL
);

CREATE TABLE analyses (
    id            text PRIMARY KEY CHECK (id LIKE 'analysis\_%'),
    protocol_id   text NOT NULL REFERENCES protocols(id) ON DELETE CASCADE,
    provider      text NOT NULL CHECK (length(provider) BETWEEN 1 AND 50),
    analysis_type text NOT NULL DEFAULT 'comprehensive',
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    overall_score double precision,
    consort_score double precision,
    spirit_score  double precision,
    error_message text,
    created_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    results       jsonb
);

CREATE TABLE suggestions (
    id                  text PRIMARY KEY CHECK (id LIKE 'sugg\_%'),
    analysis_id         text NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
    section             text NOT NULL CHECK (length(section) <= 100),
    type                text NOT NULL CHECK (type IN ('critical', 'improvement', 'style')),
    confidence          double precision NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    priority            text NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'accepted', 'rejected', 'modified')),
    guideline_reference text CHECK (guideline_reference IS NULL OR length(guideline_reference) <= 100),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz,
    content             text NOT NULL,
    user_comment        text,
    modified_content    text,
    rationale           text
);

CREATE TABLE protocol_versions (
    id             text PRIMARY KEY CHECK (id LIKE 'version\_%'),
    protocol_id    text NOT NULL REFERENCES protocols(id) ON DELETE CASCADE,
    version_number bigint NOT NULL CHECK (version_number >= 1),
    created_by     text CHECK (created_by IS NULL OR length(created_by) <= 100),
    created_at     timestamptz NOT NULL,
    change_summary text,
    content        text NOT NULL,
    CONSTRAINT unique_protocol_version UNIQUE (protocol_id, version_number)
);

CREATE TABLE exports (
    id             text PRIMARY KEY CHECK (id LIKE 'export\_%'),
    protocol_id    text NOT NULL REFERENCES protocols(id) ON DELETE CASCADE,
    format         text NOT NULL CHECK (format IN ('pdf', 'docx', 'html', 'markdown')),
    file_path      text CHECK (file_path IS NULL OR length(file_path) <= 500),
    export_options jsonb,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'expired')),
    error_message  text,
    file_size      bigint CHECK (file_size IS NULL OR file_size >= 0),
    created_at     timestamptz NOT NULL,
    completed_at   timestamptz,
    expires_at     timestamptz
);

CREATE INDEX idx_protocols_status ON protocols(status);
CREATE INDEX idx_protocols_created_at ON protocols(created_at);
CREATE INDEX idx_protocols_title ON protocols(title);
CREATE INDEX idx_protocols_status_created ON protocols(status, created_at);
CREATE INDEX idx_protocols_search ON protocols(status, created_at DESC);

CREATE INDEX idx_analyses_protocol_id ON analyses(protocol_id);
CREATE INDEX idx_analyses_status ON analyses(status);
CREATE INDEX idx_analyses_provider ON analyses(provider);
CREATE INDEX idx_analyses_analysis_type ON analyses(analysis_type);
CREATE INDEX idx_analyses_created_at ON analyses(created_at);
CREATE INDEX idx_analyses_completed_at ON analyses(completed_at);
CREATE INDEX idx_analyses_overall_score ON analyses(overall_score);
CREATE INDEX idx_analyses_consort_score ON analyses(consort_score);
CREATE INDEX idx_analyses_spirit_score ON analyses(spirit_score);
CREATE INDEX idx_analyses_protocol_status ON analyses(protocol_id, status);
CREATE INDEX idx_analyses_provider_status ON analyses(provider, status);
CREATE INDEX idx_analyses_dashboard ON analyses(status, created_at DESC);

CREATE INDEX idx_suggestions_analysis_id ON suggestions(analysis_id);
CREATE INDEX idx_suggestions_section ON suggestions(section);
CREATE INDEX idx_suggestions_type ON suggestions(type);
CREATE INDEX idx_suggestions_priority ON suggestions(priority);
CREATE INDEX idx_suggestions_status ON suggestions(status);
CREATE INDEX idx_suggestions_confidence ON suggestions(confidence);
CREATE INDEX idx_suggestions_analysis_type ON suggestions(analysis_id, type);
CREATE INDEX idx_suggestions_review ON suggestions(status, priority, created_at);

CREATE INDEX idx_protocol_version ON protocol_versions(protocol_id, version_number);
CREATE INDEX idx_protocol_versions_protocol_id ON protocol_versions(protocol_id);
CREATE INDEX idx_protocol_versions_created_at ON protocol_versions(created_at);

CREATE INDEX idx_exports_protocol_id ON exports(protocol_id);
CREATE INDEX idx_exports_status ON exports(status);
CREATE INDEX idx_exports_created_at ON exports(created_at);
CREATE INDEX idx_exports_expires_at ON exports(expires_at);

CREATE INDEX idx_analyses_latest ON analyses(protocol_id, status, completed_at);
CREATE INDEX idx_protocols_sha256 ON protocols((metadata ->> 'sha256'));
CREATE INDEX idx_analyses_scores
    ON analyses(provider, status, overall_score, consort_score, spirit_score);
CREATE INDEX idx_protocols_file_size ON protocols(file_size);
CREATE INDEX idx_suggestions_analysis_status ON suggestions(analysis_id, status);

-- Other reviewers' screens learn of every change through NOTIFY, sent by
-- the database in the same transaction as the change (so only when it
-- commits), whoever made it: ProtoScribe on another machine or psql.
CREATE FUNCTION protoscribe_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('protoscribe_changes', tg_table_name);
    RETURN NULL;
END
$$;

CREATE TRIGGER protocols_notify AFTER INSERT OR UPDATE OR DELETE ON protocols
FOR EACH STATEMENT EXECUTE FUNCTION protoscribe_notify();
CREATE TRIGGER analyses_notify AFTER INSERT OR UPDATE OR DELETE ON analyses
FOR EACH STATEMENT EXECUTE FUNCTION protoscribe_notify();
CREATE TRIGGER suggestions_notify AFTER INSERT OR UPDATE OR DELETE ON suggestions
FOR EACH STATEMENT EXECUTE FUNCTION protoscribe_notify();
CREATE TRIGGER protocol_versions_notify AFTER INSERT OR UPDATE OR DELETE ON protocol_versions
FOR EACH STATEMENT EXECUTE FUNCTION protoscribe_notify();
CREATE TRIGGER exports_notify AFTER INSERT OR UPDATE OR DELETE ON exports
FOR EACH STATEMENT EXECUTE FUNCTION protoscribe_notify();
