-- Full-text search over title, description and content: a generated
-- tsvector with a GIN index, ranked by ts_rank; queries are taken
-- literally (plainto_tsquery / websearch_to_tsquery), never parsed as
-- operators. The 'simple' configuration lowercases without stemming, as
-- SQLite's unicode61 tokenizer does.
--
-- A tsvector holds at most 1 MB: for a text whose words would not fit,
-- the content's first 200,000 characters are indexed instead of failing
-- the import (titles and descriptions are always indexed whole).

CREATE FUNCTION protocols_search_vector(title text, description text, content text)
RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('simple', coalesce(description, '')), 'B')
        || to_tsvector('simple', content);
EXCEPTION WHEN program_limit_exceeded THEN
    RETURN setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('simple', coalesce(description, '')), 'B')
        || strip(to_tsvector('simple', left(content, 200000)));
END
$$;

ALTER TABLE protocols ADD COLUMN search tsvector
    GENERATED ALWAYS AS (protocols_search_vector(title, description, content)) STORED;

CREATE INDEX idx_protocols_fts ON protocols USING gin(search);
