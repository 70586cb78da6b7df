-- Exports remember the report they wrote (its size is already kept), so
-- that cleanup removes a file only while it still is that report: never a
-- file an export merely named, nor one the user has since replaced.
ALTER TABLE exports ADD COLUMN file_sha256 TEXT
    CHECK (file_sha256 IS NULL OR length(file_sha256) = 64);

-- Word and PDF imports no longer store a protocol before its text is
-- extracted. Rows an older ProtoScribe left 'processing' when it was
-- interrupted (Ctrl-C, a kill) would stay so for ever; they become
-- 'error' with the reason, so the file can be imported again.
UPDATE protocols
SET status = 'error',
    metadata = json_set(
        CASE WHEN json_valid(metadata) THEN metadata ELSE '{}' END,
        '$.error',
        'the import was interrupted before its text was extracted: import the file again'),
    updated_at = strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
WHERE status = 'processing';
