-- Search folds accents on PostgreSQL as FTS5 already does here
-- (unicode61 with remove_diacritics 2, migration 0002): this version
-- changes nothing in a SQLite store. It exists so that a schema version
-- means the same on both backends (see postgres/0008_search_folds_accents.sql).
SELECT 1;
