-- Review progress by suggestion status, kept current by triggers so the
-- dashboard reads four rows instead of counting a million-row index.
-- Any writer (this program, sqlite3 by hand) keeps it right, since the
-- triggers live in the database.

CREATE TABLE suggestion_status_counts (
    status TEXT PRIMARY KEY NOT NULL,
    count  INTEGER NOT NULL CHECK (count >= 0)
) WITHOUT ROWID;

INSERT INTO suggestion_status_counts(status, count)
SELECT s.status, (SELECT count(*) FROM suggestions WHERE status = s.status)
FROM (SELECT 'pending' AS status UNION ALL SELECT 'accepted'
      UNION ALL SELECT 'rejected' UNION ALL SELECT 'modified') AS s;

CREATE TRIGGER suggestion_counts_after_insert AFTER INSERT ON suggestions BEGIN
    UPDATE suggestion_status_counts SET count = count + 1 WHERE status = new.status;
END;

CREATE TRIGGER suggestion_counts_after_delete AFTER DELETE ON suggestions BEGIN
    UPDATE suggestion_status_counts SET count = count - 1 WHERE status = old.status;
END;

CREATE TRIGGER suggestion_counts_after_update AFTER UPDATE OF status ON suggestions
WHEN old.status <> new.status BEGIN
    UPDATE suggestion_status_counts SET count = count - 1 WHERE status = old.status;
    UPDATE suggestion_status_counts SET count = count + 1 WHERE status = new.status;
END;
