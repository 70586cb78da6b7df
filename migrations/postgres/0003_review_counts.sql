-- Review progress by suggestion status, kept current by triggers so the
-- dashboard reads four rows instead of counting a million-row index (see
-- ../0003_review_counts.sql).

CREATE TABLE suggestion_status_counts (
    status text PRIMARY KEY,
    count  bigint NOT NULL CHECK (count >= 0)
);

INSERT INTO suggestion_status_counts(status, count)
SELECT s.status, (SELECT count(*) FROM suggestions WHERE status = s.status)
FROM (VALUES ('pending'), ('accepted'), ('rejected'), ('modified')) AS s(status);
