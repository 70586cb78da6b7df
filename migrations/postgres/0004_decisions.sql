-- Decisions that survive re-analysis and apply (see ../0004_decisions.sql
-- for what each column means). A fresh PostgreSQL store has no earlier
-- rows to convert, so only the columns and triggers are made here.

ALTER TABLE suggestions ADD COLUMN finding_key text
    CHECK (finding_key IS NULL OR length(finding_key) <= 300);
ALTER TABLE suggestions ADD COLUMN revision bigint NOT NULL DEFAULT 0
    CHECK (revision >= 0);
ALTER TABLE suggestions ADD COLUMN applied_version bigint
    CHECK (applied_version IS NULL OR applied_version >= 1);
ALTER TABLE suggestions ADD COLUMN suggested_text text;
ALTER TABLE suggestions ADD COLUMN metadata jsonb;
ALTER TABLE suggestions ADD COLUMN superseded_by text
    REFERENCES suggestions(id) ON DELETE SET NULL;

-- A change of decision made by any writer (psql by hand included) moves
-- the revision on, unless the writer did so itself.
CREATE FUNCTION suggestions_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (new.status, new.user_comment, new.modified_content)
           IS DISTINCT FROM (old.status, old.user_comment, old.modified_content)
       AND new.revision = old.revision THEN
        new.revision := old.revision + 1;
    END IF;
    RETURN new;
END
$$;

CREATE TRIGGER suggestions_revision_before_decision
BEFORE UPDATE OF status, user_comment, modified_content ON suggestions
FOR EACH ROW EXECUTE FUNCTION suggestions_revision();

-- Review progress counts each finding's current suggestion only.
CREATE FUNCTION suggestion_status_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF tg_op IN ('DELETE', 'UPDATE') AND old.superseded_by IS NULL THEN
        UPDATE suggestion_status_counts SET count = count - 1 WHERE status = old.status;
    END IF;
    IF tg_op IN ('INSERT', 'UPDATE') AND new.superseded_by IS NULL THEN
        UPDATE suggestion_status_counts SET count = count + 1 WHERE status = new.status;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER suggestion_counts_after_insert AFTER INSERT ON suggestions
FOR EACH ROW EXECUTE FUNCTION suggestion_status_count();

CREATE TRIGGER suggestion_counts_after_delete AFTER DELETE ON suggestions
FOR EACH ROW EXECUTE FUNCTION suggestion_status_count();

CREATE TRIGGER suggestion_counts_after_update AFTER UPDATE OF status, superseded_by ON suggestions
FOR EACH ROW
WHEN (old.status IS DISTINCT FROM new.status OR old.superseded_by IS DISTINCT FROM new.superseded_by)
EXECUTE FUNCTION suggestion_status_count();

UPDATE suggestion_status_counts
SET count = (SELECT count(*) FROM suggestions
             WHERE status = suggestion_status_counts.status AND superseded_by IS NULL);
