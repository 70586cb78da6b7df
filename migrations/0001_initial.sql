-- ProtoScribe schema, version 1: the seed's five tables with its columns,
-- id prefixes, status vocabularies, cascades and indexes.
-- Timestamps are UTC ISO-8601 text ('2026-11-26T10:13:38.123456Z'), so
-- text order is time order. JSON columns are checked with json_valid().
-- Large text columns come last in each table: SQLite reads a row's columns
-- in order, so a list that needs only status and dates never has to walk
-- the overflow pages of a 500 KB protocol text.

CREATE TABLE protocols (
    id          TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'proto\_%' ESCAPE '\'),
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
    status      TEXT NOT NULL DEFAULT 'processing'
                CHECK (status IN ('processing', 'ready', 'error')),
    file_path   TEXT CHECK (file_path IS NULL OR length(file_path) <= 500),
    file_size   INTEGER CHECK (file_size IS NULL OR file_size >= 0),
    created_at  TEXT NOT NULL,
    updated_at  TEXT,
    description TEXT,
    metadata    TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    content     TEXT NOT NULL
);

CREATE TABLE analyses (
    id            TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'analysis\_%' ESCAPE '\'),
    protocol_id   TEXT NOT NULL REFERENCES protocols(id) ON DELETE CASCADE,
    provider      TEXT NOT NULL CHECK (length(provider) BETWEEN 1 AND 50),
    analysis_type TEXT NOT NULL DEFAULT 'comprehensive',
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    overall_score REAL,
    consort_score REAL,
    spirit_score  REAL,
    error_message TEXT,
    created_at    TEXT NOT NULL,
    completed_at  TEXT,
    results       TEXT CHECK (results IS NULL OR json_valid(results))
);

CREATE TABLE suggestions (
    id                  TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'sugg\_%' ESCAPE '\'),
    analysis_id         TEXT NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
    section             TEXT NOT NULL CHECK (length(section) <= 100),
    type                TEXT NOT NULL CHECK (type IN ('critical', 'improvement', 'style')),
    confidence          REAL NOT NULL CHECK (confidence BETWEEN 0.0 AND 1.0),
    priority            TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'accepted', 'rejected', 'modified')),
    guideline_reference TEXT CHECK (guideline_reference IS NULL OR length(guideline_reference) <= 100),
    created_at          TEXT NOT NULL,
    updated_at          TEXT,
    content             TEXT NOT NULL,
    user_comment        TEXT,
    modified_content    TEXT,
    rationale           TEXT
);

CREATE TABLE protocol_versions (
    id             TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'version\_%' ESCAPE '\'),
    protocol_id    TEXT NOT NULL REFERENCES protocols(id) ON DELETE CASCADE,
    version_number INTEGER NOT NULL CHECK (version_number >= 1),
    created_by     TEXT CHECK (created_by IS NULL OR length(created_by) <= 100),
    created_at     TEXT NOT NULL,
    change_summary TEXT,
    content        TEXT NOT NULL,
    CONSTRAINT unique_protocol_version UNIQUE (protocol_id, version_number)
);

CREATE TABLE exports (
    id             TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'export\_%' ESCAPE '\'),
    protocol_id    TEXT NOT NULL REFERENCES protocols(id) ON DELETE CASCADE,
    format         TEXT NOT NULL CHECK (format IN ('pdf', 'docx', 'html', 'markdown')),
    file_path      TEXT CHECK (file_path IS NULL OR length(file_path) <= 500),
    export_options TEXT CHECK (export_options IS NULL OR json_valid(export_options)),
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'expired')),
    error_message  TEXT,
    file_size      INTEGER CHECK (file_size IS NULL OR file_size >= 0),
    created_at     TEXT NOT NULL,
    completed_at   TEXT,
    expires_at     TEXT
);

-- The seed's indexes (its "Indexing Strategy" list plus the columns its
-- models mark index=True). idx_protocols_search repeats
-- idx_protocols_status_created with DESC order; SQLite scans either way, but
-- the seed lists both, so both are kept.
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

-- Beyond the seed, for the seed's own queries to stay fast at scale:
-- "latest completed analysis of a protocol" seeks straight to its row.
CREATE INDEX idx_analyses_latest ON analyses(protocol_id, status, completed_at);
-- Importing the same bytes twice is found by the sha256 in metadata.
CREATE INDEX idx_protocols_sha256 ON protocols(json_extract(metadata, '$.sha256'));
-- Per-provider metrics and the score histogram read this index alone.
CREATE INDEX idx_analyses_scores
    ON analyses(provider, status, overall_score, consort_score, spirit_score);
-- The dashboard's average file size from the index, not the rows.
CREATE INDEX idx_protocols_file_size ON protocols(file_size);
-- Per-analysis review progress counts without touching the rows.
CREATE INDEX idx_suggestions_analysis_status ON suggestions(analysis_id, status);
