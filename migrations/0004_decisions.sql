-- Decisions that survive re-analysis and apply.
--
-- finding_key      names a finding across analyses of one protocol (the
--                  checklist item and whether it is missing or partial, or
--                  the quality check and what it is about), so a decision
--                  carries over to the same finding found again.
-- suggested_text   the wording meant for the protocol, apart from the
--                  finding (`content`): what `apply` writes, and what the
--                  reviewer's modified wording replaces.
-- revision         bumped by every change of a decision; a write names the
--                  revision it saw, so a stale screen never overwrites a
--                  newer decision (a clock cannot promise that).
-- applied_version  the protocol version the wording went into, so it is
--                  never applied twice.
-- metadata         JSON: where a carried-over decision came from
--                  ({"carried_from": "sugg_…"}), and whether the finding
--                  was found again.
-- superseded_by    the suggestion of a later analysis that took this one's
--                  place (and decision); a superseded suggestion is history,
--                  decided on no more.

ALTER TABLE suggestions ADD COLUMN finding_key TEXT
    CHECK (finding_key IS NULL OR length(finding_key) <= 300);
ALTER TABLE suggestions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0
    CHECK (revision >= 0);
ALTER TABLE suggestions ADD COLUMN applied_version INTEGER
    CHECK (applied_version IS NULL OR applied_version >= 1);
ALTER TABLE suggestions ADD COLUMN suggested_text TEXT;
ALTER TABLE suggestions ADD COLUMN metadata TEXT
    CHECK (metadata IS NULL OR json_valid(metadata));
ALTER TABLE suggestions ADD COLUMN superseded_by TEXT
    REFERENCES suggestions(id) ON DELETE SET NULL;

-- Earlier analyses kept the wording inside `content`, after a label.
UPDATE suggestions
SET suggested_text = trim(substr(content, instr(content, 'Suggested text:') + 15), char(10, 13, 32)),
    content = rtrim(substr(content, 1, instr(content, 'Suggested text:') - 1), char(10, 13, 32))
WHERE instr(content, 'Suggested text:') > 0;
UPDATE suggestions SET suggested_text = NULL WHERE suggested_text = '';

-- Checklist findings of earlier analyses get the key today's analyzer
-- gives them, so their decisions carry over at the next analysis.
UPDATE suggestions
SET finding_key = guideline_reference || ': '
    || CASE WHEN content LIKE '%) is not addressed.%' THEN 'missing' ELSE 'partial' END
WHERE type IN ('critical', 'improvement')
  AND (guideline_reference LIKE 'SPIRIT 2013 item %' OR guideline_reference LIKE 'CONSORT 2010 item %')
  AND (content LIKE '%) is not addressed.%' OR content LIKE '%) is addressed only in part%');

-- Earlier applies named the suggestions they wrote in the change summary.
UPDATE suggestions
SET applied_version = (
    SELECT min(v.version_number)
    FROM protocol_versions v JOIN analyses a ON a.protocol_id = v.protocol_id
    WHERE a.id = suggestions.analysis_id
      AND instr(v.change_summary, suggestions.id) > 0
)
WHERE status IN ('accepted', 'modified');

-- A change of decision made by any writer (sqlite3 by hand included)
-- moves the revision on, unless the writer did so itself.
CREATE TRIGGER suggestions_revision_after_decision
AFTER UPDATE OF status, user_comment, modified_content ON suggestions
WHEN new.revision = old.revision BEGIN
    UPDATE suggestions SET revision = old.revision + 1 WHERE id = new.id;
END;

-- Review progress counts each finding's current suggestion only: a
-- suggestion carried over into a later analysis is history, and counting
-- it again would have the dashboard report decisions twice.
DROP TRIGGER suggestion_counts_after_insert;
DROP TRIGGER suggestion_counts_after_delete;
DROP TRIGGER suggestion_counts_after_update;

CREATE TRIGGER suggestion_counts_after_insert AFTER INSERT ON suggestions
WHEN new.superseded_by IS NULL BEGIN
    UPDATE suggestion_status_counts SET count = count + 1 WHERE status = new.status;
END;

CREATE TRIGGER suggestion_counts_after_delete AFTER DELETE ON suggestions
WHEN old.superseded_by IS NULL BEGIN
    UPDATE suggestion_status_counts SET count = count - 1 WHERE status = old.status;
END;

CREATE TRIGGER suggestion_counts_after_update AFTER UPDATE OF status, superseded_by ON suggestions
WHEN old.status IS NOT new.status OR old.superseded_by IS NOT new.superseded_by BEGIN
    UPDATE suggestion_status_counts SET count = count - 1
    WHERE status = old.status AND old.superseded_by IS NULL;
    UPDATE suggestion_status_counts SET count = count + 1
    WHERE status = new.status AND new.superseded_by IS NULL;
END;

UPDATE suggestion_status_counts
SET count = (SELECT count(*) FROM suggestions
             WHERE status = suggestion_status_counts.status AND superseded_by IS NULL);
