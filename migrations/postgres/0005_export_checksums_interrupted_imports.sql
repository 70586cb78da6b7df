-- Exports remember the report they wrote, so that cleanup removes a file
-- only while it still is that report (see ../0005_…sql).
ALTER TABLE exports ADD COLUMN file_sha256 text
    CHECK (file_sha256 IS NULL OR length(file_sha256) = 64);
