-- Full-text search over protocol title, description and content (FTS5,
-- ranked by bm25). The index keeps its own copy of the text, keyed by
-- protocol id, so it never depends on the implicit rowid of `protocols`,
-- which VACUUM may renumber.

CREATE VIRTUAL TABLE protocols_fts USING fts5(
    protocol_id UNINDEXED,
    title,
    description,
    content,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO protocols_fts(protocol_id, title, description, content)
SELECT id, title, coalesce(description, ''), content FROM protocols;

CREATE TRIGGER protocols_fts_after_insert AFTER INSERT ON protocols BEGIN
    INSERT INTO protocols_fts(protocol_id, title, description, content)
    VALUES (new.id, new.title, coalesce(new.description, ''), new.content);
END;

CREATE TRIGGER protocols_fts_after_delete AFTER DELETE ON protocols BEGIN
    DELETE FROM protocols_fts WHERE protocol_id = old.id;
END;

CREATE TRIGGER protocols_fts_after_update
AFTER UPDATE OF title, description, content ON protocols BEGIN
    DELETE FROM protocols_fts WHERE protocol_id = old.id;
    INSERT INTO protocols_fts(protocol_id, title, description, content)
    VALUES (new.id, new.title, coalesce(new.description, ''), new.content);
END;
