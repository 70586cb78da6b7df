//! The PostgreSQL backend's foundations against a real PostgreSQL 15
//! (see `common/postgres.rs`): the schema and its migrations under an
//! advisory lock, the triggers that keep decisions and counts right, the
//! full-text index, and one clear sentence for each way a connection
//! fails, never with the password in it.

mod common;

use common::postgres::{admin, admin_url, fresh_database, port, url_for};
use protoscribe::store::postgres::migrate::{self, SCHEMA_VERSION};
use protoscribe::store::postgres::{Target, connect};

fn migrated(url: &str) -> postgres::Client {
    let target = Target::parse(url).expect("a URL");
    let mut client = target.connect().expect("connect");
    migrate::migrate(&mut client, target.shown()).expect("migrate");
    client
}

/// The first column of every row `sql` returns, as text.
fn texts(client: &mut postgres::Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn message<T>(result: Result<T, protoscribe::store::StoreError>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_new_database_gets_the_whole_schema_once() {
    let url = fresh_database();
    let target = Target::parse(&url).unwrap();
    let mut client = target.connect().unwrap();
    let applied = migrate::migrate(&mut client, target.shown()).unwrap();
    assert_eq!(applied.len() as i64, SCHEMA_VERSION);
    assert_eq!(migrate::version(&mut client).unwrap(), SCHEMA_VERSION);
    assert!(
        migrate::migrate(&mut client, target.shown())
            .unwrap()
            .is_empty()
    );
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
             AND tablename IN ('protocols', 'analyses', 'suggestions', 'protocol_versions',
                               'exports', 'suggestion_status_counts')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 6);
}

#[test]
fn two_first_starts_at_once_do_not_race() {
    // Several rounds, each with starters that looked before another made
    // the schema (a stale "no such table" in a session once broke this).
    for _ in 0..5 {
        let url = fresh_database();
        let runs: Vec<_> = (0..6)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let target = Target::parse(&url).unwrap();
                    let mut client = target.connect().unwrap();
                    migrate::migrate(&mut client, target.shown()).map(|v| v.len())
                })
            })
            .collect();
        let applied: Vec<usize> = runs
            .into_iter()
            .map(|r| r.join().unwrap().expect("every start succeeds"))
            .collect();
        assert_eq!(
            applied.iter().sum::<usize>() as i64,
            SCHEMA_VERSION,
            "{applied:?}"
        );
        assert_eq!(applied.iter().filter(|&&n| n > 0).count(), 1, "{applied:?}");
    }
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let url = fresh_database();
    let mut client = migrated(&url);
    client
        .execute(
            "INSERT INTO protoscribe_schema(version, name) VALUES (999, 'from the future')",
            &[],
        )
        .unwrap();
    let target = Target::parse(&url).unwrap();
    let err = message(migrate::migrate(&mut client, target.shown()));
    assert!(
        err.contains("newer ProtoScribe") && err.contains("999") && err.contains("upgrade"),
        "{err}"
    );
    assert_eq!(migrate::version(&mut client).unwrap(), 999);
}

#[test]
fn a_database_with_someone_elses_protocols_table_is_refused() {
    let url = fresh_database();
    let mut client = Target::parse(&url).unwrap().connect().unwrap();
    client
        .batch_execute("CREATE TABLE protocols (x int)")
        .unwrap();
    let err = message(migrate::migrate(&mut client, "the test database"));
    assert!(err.contains("use an empty database"), "{err}");
}

#[test]
fn decisions_move_the_revision_and_the_review_counts() {
    let url = fresh_database();
    let mut c = migrated(&url);
    c.batch_execute(
        "INSERT INTO protocols(id, title, status, created_at, content)
             VALUES ('proto_1', 'Trial', 'ready', now(), 'Text');
         INSERT INTO analyses(id, protocol_id, provider, status, created_at)
             VALUES ('analysis_1', 'proto_1', 'builtin', 'completed', now());
         INSERT INTO suggestions(id, analysis_id, section, type, confidence, priority, created_at, content)
             VALUES ('sugg_1', 'analysis_1', 'Methods', 'critical', 0.9, 'high', now(), 'Say it'),
                    ('sugg_2', 'analysis_1', 'Methods', 'style', 0.5, 'low', now(), 'Shorter');
         UPDATE suggestions SET status = 'accepted' WHERE id = 'sugg_1';",
    )
    .unwrap();
    let revision: i64 = c
        .query_one("SELECT revision FROM suggestions WHERE id = 'sugg_1'", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        revision, 1,
        "a decision by any writer moves the revision on"
    );
    let counts: Vec<(String, i64)> = c
        .query(
            "SELECT status, count FROM suggestion_status_counts ORDER BY status",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("accepted".to_owned(), 1),
            ("modified".to_owned(), 0),
            ("pending".to_owned(), 1),
            ("rejected".to_owned(), 0)
        ]
    );
    // A superseded suggestion is history: counted no more.
    c.batch_execute("UPDATE suggestions SET superseded_by = 'sugg_1' WHERE id = 'sugg_2'")
        .unwrap();
    let pending: i64 = c
        .query_one(
            "SELECT count FROM suggestion_status_counts WHERE status = 'pending'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(pending, 0);
    // The vocabularies are checked by the database, as on SQLite.
    assert!(
        c.batch_execute("UPDATE suggestions SET status = 'maybe' WHERE id = 'sugg_1'")
            .is_err()
    );
}

#[test]
fn search_takes_hostile_queries_literally_and_indexes_huge_texts() {
    let url = fresh_database();
    let mut c = migrated(&url);
    c.execute(
        "INSERT INTO protocols(id, title, status, created_at, content)
         VALUES ('proto_1', 'Vitamin D in knee osteoarthritis', 'ready', now(), $1)",
        &[&"Participants will be randomised to vitamin D or placebo.".to_owned()],
    )
    .unwrap();
    // Words no tsvector could hold (over 1 MB of distinct ones): the
    // import must not fail for it.
    let huge: String = (0..150_000).map(|i| format!("w{i:x}q ")).collect();
    c.execute(
        "INSERT INTO protocols(id, title, status, created_at, content)
         VALUES ('proto_2', 'Huge', 'ready', now(), $1)",
        &[&huge],
    )
    .unwrap();
    for query in [
        "\"unbalanced",
        "vitamin OR",
        "-",
        "a:*",
        "'; DROP TABLE protocols; --",
        "NEAR(vitamin placebo)",
        "!!!",
        "\u{0}",
        "vitamin & | ! ( )",
        "",
    ] {
        let query = query.replace('\u{0}', "");
        let found = c.query(
            "SELECT id FROM protocols WHERE search @@ websearch_to_tsquery('simple', $1)
             ORDER BY ts_rank(search, websearch_to_tsquery('simple', $1)) DESC",
            &[&query],
        );
        assert!(found.is_ok(), "{query:?}: {found:?}");
    }
    let hits = c
        .query(
            "SELECT id FROM protocols WHERE search @@ websearch_to_tsquery('simple', $1)",
            &[&"randomised placebo"],
        )
        .unwrap();
    assert_eq!(hits.len(), 1);
    let tail = c
        .query(
            "SELECT id FROM protocols WHERE search @@ websearch_to_tsquery('simple', 'w10q')",
            &[],
        )
        .unwrap();
    assert_eq!(tail.len(), 1, "the head of a huge text is still indexed");
}

#[test]
fn a_wrong_password_is_one_sentence_without_the_password() {
    let url = admin_url();
    let (head, tail) = url.split_once('@').unwrap();
    let user = head.rsplit_once(':').unwrap().0;
    let wrong = format!("{user}:Wr0ng-Secret-9@{tail}");
    let err = message(Target::parse(&wrong).unwrap().pool(2));
    assert!(
        err.contains("refused user 'postgres'") && err.contains("PGPASSWORD"),
        "{err}"
    );
    assert!(!err.contains("Wr0ng-Secret-9"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_missing_database_says_how_to_create_it() {
    let err = message(Target::parse(&url_for("no_such_db")).unwrap().pool(2));
    assert!(
        err.contains("database 'no_such_db' does not exist") && err.contains("createdb no_such_db"),
        "{err}"
    );
}

#[test]
fn an_unreachable_server_says_so() {
    // A port nothing listens on: bind one and close it.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = message(
        Target::parse(&format!("postgres://someone:pw@127.0.0.1:{free}/db"))
            .unwrap()
            .pool(2),
    );
    assert!(
        err.contains("cannot reach PostgreSQL at 127.0.0.1") && err.contains("running"),
        "{err}"
    );
}

#[test]
fn tls_required_but_not_offered_is_refused_clearly() {
    let url = format!("{}?sslmode=require", admin_url());
    let err = message(Target::parse(&url).unwrap().pool(2));
    assert!(
        err.contains("does not accept TLS") && err.contains("sslmode=require"),
        "{err}"
    );
    // The server offers no TLS; prefer connects in the clear.
    let prefer = format!("{}?sslmode=prefer", admin_url());
    assert!(Target::parse(&prefer).unwrap().pool(2).is_ok());
}

#[test]
fn a_user_without_permission_is_told_to_ask_for_it() {
    let url = fresh_database();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let mut a = admin();
    let role = format!("nopriv_{}", std::process::id());
    a.batch_execute(&format!(
        "DO $$ BEGIN
             IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                 CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}';
             END IF;
         END $$;
         REVOKE CONNECT ON DATABASE {database} FROM PUBLIC;"
    ))
    .unwrap();
    let url = format!(
        "postgres://{role}:pw-{role}@127.0.0.1:{}/{database}",
        port()
    );
    let err = message(connect::Target::parse(&url).unwrap().pool(2));
    assert!(
        err.contains(&format!("user '{role}' may not use database '{database}'"))
            && err.contains("grant"),
        "{err}"
    );
}

#[test]
fn a_watch_sees_another_connections_commit_and_not_its_rollback() {
    use protoscribe::store::postgres::watch::Watch;
    let url = fresh_database();
    let mut writer = migrated(&url);
    let target = Target::parse(&url).unwrap();
    let mut watch = Watch::new(&target).unwrap();
    assert!(!watch.changed().unwrap(), "nothing yet");
    let seen_within = |watch: &mut Watch| {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(1) {
            if watch.changed().unwrap() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        false
    };
    // A change rolled back was never made: no notice.
    {
        let mut tx = writer.transaction().unwrap();
        tx.batch_execute(
            "INSERT INTO protocols(id, title, status, created_at, content)
             VALUES ('proto_x', 'Never', 'ready', now(), 'x')",
        )
        .unwrap();
        tx.rollback().unwrap();
    }
    assert!(!seen_within(&mut watch), "a rollback is not a change");
    writer
        .batch_execute(
            "INSERT INTO protocols(id, title, status, created_at, content)
             VALUES ('proto_1', 'Trial', 'ready', now(), 'x')",
        )
        .unwrap();
    assert!(seen_within(&mut watch), "a commit is seen within a second");
    assert!(!watch.changed().unwrap(), "and only once");
    // The server drops the watch's connection: the next look says
    // "re-read", and the one after listens again.
    let mut admin = admin();
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{}' AND query LIKE 'LISTEN%'",
            url.rsplit('/').next().unwrap()
        ))
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(seen_within(&mut watch), "a lost connection means re-read");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let _ = watch.changed().unwrap();
    writer
        .batch_execute("UPDATE protocols SET title = 'Trial 2' WHERE id = 'proto_1'")
        .unwrap();
    assert!(
        seen_within(&mut watch),
        "listening again after reconnecting"
    );
}

#[test]
fn a_backup_is_verified_and_a_restore_is_all_or_nothing() {
    use protoscribe::store::postgres::backup;
    let url = fresh_database();
    let mut c = migrated(&url);
    c.batch_execute(
        "INSERT INTO protocols(id, title, status, created_at, content)
         VALUES ('proto_1', 'Trial', 'ready', now(), 'The text')",
    )
    .unwrap();
    let target = Target::parse(&url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dump = backup::dump(&target, dir.path()).unwrap();
    assert!(dump.size > 0 && dump.entries > 5, "{dump:?}");
    assert!(
        dump.path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("protoscribe_backup_")
    );
    assert_eq!(backup::dump_version(&dump.path).unwrap(), SCHEMA_VERSION);
    // Later changes are undone by the restore.
    c.batch_execute(
        "UPDATE protocols SET title = 'Changed'; INSERT INTO protocols(id, title, status, created_at, content)
         VALUES ('proto_2', 'Later', 'ready', now(), 'x')",
    )
    .unwrap();
    drop(c);
    let mut watch = protoscribe::store::postgres::watch::Watch::new(&target).unwrap();
    let _ = watch.changed();
    let kept = backup::restore(&target, &dump.path, dir.path()).unwrap();
    // Screens open on the store hear of the restore.
    let start = std::time::Instant::now();
    let mut told = false;
    while !told && start.elapsed() < std::time::Duration::from_secs(1) {
        told = watch.changed().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(told, "a restore is announced to watchers");
    // What the restore replaced is kept, as a dump of its own.
    assert!(kept.exists() && kept != dump.path, "{kept:?}");
    use std::os::unix::fs::PermissionsExt;
    for private in [&kept, &dump.path] {
        let mode = std::fs::metadata(private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{private:?} is private");
    }
    let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let mut c = target.connect().unwrap();
    assert_eq!(
        texts(&mut c, "SELECT title FROM protocols ORDER BY id"),
        ["Trial"]
    );
    // Search and triggers came back with the schema.
    let found: i64 = c
        .query_one(
            "SELECT count(*) FROM protocols WHERE search @@ plainto_tsquery('simple', 'text')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(found, 1);
    // Not a dump at all: refused, nothing changed.
    let junk = dir.path().join("junk.pgdump");
    std::fs::write(&junk, b"not a dump").unwrap();
    let err = message(backup::restore(&target, &junk, dir.path()));
    assert!(err.contains("not a ProtoScribe PostgreSQL backup"), "{err}");
    let still: i64 = c
        .query_one("SELECT count(*) FROM protocols", &[])
        .unwrap()
        .get(0);
    assert_eq!(still, 1);
}

#[test]
fn a_backup_from_a_newer_protoscribe_is_not_restored() {
    use protoscribe::store::postgres::backup;
    let newer = fresh_database();
    let mut c = migrated(&newer);
    c.batch_execute("INSERT INTO protoscribe_schema(version, name) VALUES (999, 'future')")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dump = backup::dump(&Target::parse(&newer).unwrap(), dir.path()).unwrap();
    let url = fresh_database();
    migrated(&url);
    let err = message(backup::restore(
        &Target::parse(&url).unwrap(),
        &dump.path,
        dir.path(),
    ));
    assert!(
        err.contains("newer ProtoScribe") && err.contains("999"),
        "{err}"
    );
}

#[test]
fn a_backup_from_before_an_upgrade_is_restored_and_upgraded() {
    use protoscribe::store::postgres::backup;
    // A store as ProtoScribe left it at schema 6, with a finished analysis.
    let older = fresh_database();
    let mut c = Target::parse(&older).unwrap().connect().unwrap();
    c.batch_execute(
        "CREATE TABLE protoscribe_schema (version bigint PRIMARY KEY, name text NOT NULL,
                                          applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .unwrap();
    for m in migrate::MIGRATIONS.iter().filter(|m| m.version <= 6) {
        c.batch_execute(m.sql).unwrap();
        c.execute(
            "INSERT INTO protoscribe_schema(version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .unwrap();
    }
    c.batch_execute(
        "INSERT INTO protocols(id, title, status, created_at, content)
         VALUES ('proto_old', 'Backed up', 'ready', now(), 'The text');
         INSERT INTO analyses(id, protocol_id, provider, status, overall_score, consort_score,
                              spirit_score, created_at, completed_at, latency_ms, cost)
         VALUES ('analysis_old', 'proto_old', 'builtin', 'completed', 81.5, 70, 87, now(), now(), 420, 0.25)",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dump = backup::dump(&Target::parse(&older).unwrap(), dir.path()).unwrap();
    assert_eq!(backup::dump_version(&dump.path).unwrap(), 6);
    // Restored into a current store holding other work.
    let url = fresh_database();
    let target = Target::parse(&url).unwrap();
    let mut current = migrated(&url);
    current
        .batch_execute(
            "INSERT INTO protocols(id, title, status, created_at, content)
             VALUES ('proto_new', 'Replaced', 'ready', now(), 'x');
             INSERT INTO analyses(id, protocol_id, provider, status, created_at)
             VALUES ('analysis_new', 'proto_new', 'model-x', 'pending', now())",
        )
        .unwrap();
    drop(current);
    backup::restore(&target, &dump.path, dir.path()).unwrap();
    let mut c = target.connect().unwrap();
    assert_eq!(migrate::version(&mut c).unwrap(), SCHEMA_VERSION);
    assert_eq!(texts(&mut c, "SELECT id FROM protocols"), ["proto_old"]);
    // The figures a later migration keeps are made from the backup's rows.
    let store = protoscribe::store::Store::open_postgres(&url).unwrap();
    let dashboard = store.dashboard(30).unwrap();
    let providers: Vec<(&str, Option<u64>, f64)> = dashboard
        .providers
        .iter()
        .map(|p| {
            (
                p.provider.as_str(),
                p.median_latency_ms,
                p.avg_overall_score,
            )
        })
        .collect();
    assert_eq!(providers, [("builtin", Some(420), 81.5)]);
    assert_eq!(dashboard.score_histogram[8], 1);
    assert_eq!(store.review_tally().unwrap().figures_disagreeing, 0);
}

/// A backup made elsewhere cannot plant code under ProtoScribe's own
/// names: a restore takes the backup's rows, never its schema.
#[test]
fn a_restore_takes_rows_not_functions_or_defaults_from_the_backup() {
    use protoscribe::store::postgres::backup;
    let elsewhere = fresh_database();
    let mut c = migrated(&elsewhere);
    c.batch_execute(
        "CREATE OR REPLACE FUNCTION protoscribe_notify() RETURNS trigger
         LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('protoscribe_changes', 'planted'); RETURN NULL; END $$;
         ALTER TABLE suggestions ALTER COLUMN user_comment SET DEFAULT 'planted';
         INSERT INTO protocols(id, title, status, created_at, content)
         VALUES ('proto_1', 'Trial', 'ready', now(), 'The text')",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dump = backup::dump(&Target::parse(&elsewhere).unwrap(), dir.path()).unwrap();
    let url = fresh_database();
    migrated(&url);
    let target = Target::parse(&url).unwrap();
    backup::restore(&target, &dump.path, dir.path()).unwrap();
    let mut c = target.connect().unwrap();
    let body: String = c
        .query_one(
            "SELECT prosrc FROM pg_proc WHERE proname = 'protoscribe_notify'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!body.contains("planted"), "{body}");
    let default: Option<String> = c
        .query_one(
            "SELECT column_default FROM information_schema.columns
             WHERE table_name = 'suggestions' AND column_name = 'user_comment'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(default, None);
    let title: String = c
        .query_one("SELECT title FROM protocols", &[])
        .unwrap()
        .get(0);
    assert_eq!(title, "Trial");
}

/// A current store holding one protocol titled `title`, and a backup of it.
struct Backed {
    url: String,
    target: Target,
    c: postgres::Client,
    dir: tempfile::TempDir,
    dump: protoscribe::store::postgres::backup::Dump,
}

fn backed_up(title: &str) -> Backed {
    let url = fresh_database();
    let target = Target::parse(&url).unwrap();
    let mut c = migrated(&url);
    c.execute(
        "INSERT INTO protocols(id, title, status, created_at, content)
         VALUES ('proto_1', $1, 'ready', now(), 'The text')",
        &[&title],
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dump = protoscribe::store::postgres::backup::dump(&target, dir.path()).unwrap();
    Backed {
        url,
        target,
        c,
        dir,
        dump,
    }
}

/// Someone else's view or foreign key over the store's tables would have
/// to go with them: the restore is refused before anything is touched.
#[test]
fn a_restore_never_drops_what_others_built_on_the_store() {
    use protoscribe::store::postgres::backup;
    let Backed {
        url,
        target,
        mut c,
        dir,
        dump,
    } = backed_up("Trial");
    c.batch_execute(
        "CREATE VIEW report_scores AS SELECT p.title, a.overall_score
           FROM protocols p JOIN analyses a ON a.protocol_id = p.id;
         CREATE TABLE site_notes (id serial PRIMARY KEY,
                                  protocol_id text REFERENCES protocols(id), note text)",
    )
    .unwrap();
    let kept_before = std::fs::read_dir(dir.path()).unwrap().count();
    let err = message(backup::restore(&target, &dump.path, dir.path()));
    assert!(
        err.contains("report_scores") && err.contains("nothing was changed"),
        "{err}"
    );
    // Nothing was dropped, and no copy was kept for a restore not made.
    let views: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_views WHERE viewname = 'report_scores'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(views, 1);
    let keys: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'site_notes'::regclass AND contype = 'f'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(keys, 1);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), kept_before);
    // An index or a trigger of someone else's on the tables likewise.
    c.batch_execute(
        "DROP VIEW report_scores; DROP TABLE site_notes;
         CREATE INDEX my_idx ON suggestions(user_comment)",
    )
    .unwrap();
    let err = message(backup::restore(&target, &dump.path, dir.path()));
    assert!(err.contains("index my_idx on suggestions"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), kept_before);
    // Another reviewer's grants survive the restore.
    let database = url.rsplit('/').next().unwrap().to_owned();
    let role = format!("reviewer_{database}");
    c.batch_execute(&format!(
        "DROP INDEX my_idx; CREATE ROLE {role} LOGIN;
         GRANT SELECT, UPDATE ON suggestions, protocols TO {role}"
    ))
    .unwrap();
    backup::restore(&target, &dump.path, dir.path()).unwrap();
    let may: bool = c
        .query_one(
            &format!("SELECT has_table_privilege('{role}', 'suggestions', 'UPDATE')"),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(may, "the grant on suggestions was kept");
    c.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

/// A restore that fails half-way leaves the store as it was.
#[test]
fn a_restore_cut_short_changes_nothing() {
    use protoscribe::store::postgres::backup;
    let Backed {
        target,
        mut c,
        dir,
        dump,
        ..
    } = backed_up("Backed up");
    c.batch_execute("UPDATE protocols SET title = 'Kept'")
        .unwrap();
    // The backup's last bytes lost: pg_restore reads its listing and the
    // schema version, and fails later in its data.
    let bytes = std::fs::read(&dump.path).unwrap();
    let cut = dir.path().join("cut.pgdump");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let err = message(backup::restore(&target, &cut, dir.path()));
    assert!(
        err.contains("ends early") && err.contains("nothing was changed"),
        "{err}"
    );
    let title: String = c
        .query_one("SELECT title FROM protocols", &[])
        .unwrap()
        .get(0);
    assert_eq!(title, "Kept");
    assert_eq!(migrate::version(&mut c).unwrap(), SCHEMA_VERSION);
}

#[test]
fn a_role_that_may_only_read_and_write_the_tables_can_use_a_current_store() {
    let url = fresh_database();
    let database = url.rsplit('/').next().unwrap().to_owned();
    migrated(&url);
    let role = format!("rw_{}", std::process::id());
    let mut owner = Target::parse(&url).unwrap().connect().unwrap();
    owner
        .batch_execute(&format!(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                     CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}';
                 END IF;
             END $$;
             GRANT CONNECT ON DATABASE {database} TO {role};
             GRANT USAGE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};"
        ))
        .unwrap();
    let as_role = format!(
        "postgres://{role}:pw-{role}@127.0.0.1:{}/{database}",
        port()
    );
    let store = protoscribe::store::Store::open_postgres(&as_role)
        .expect("a current schema needs no CREATE");
    assert_eq!(store.status().unwrap().schema_version, SCHEMA_VERSION);

    // A database whose schema must still be made: said plainly.
    let empty = fresh_database();
    let empty_db = empty.rsplit('/').next().unwrap().to_owned();
    admin()
        .batch_execute(&format!("GRANT CONNECT ON DATABASE {empty_db} TO {role}"))
        .unwrap();
    let as_role = format!(
        "postgres://{role}:pw-{role}@127.0.0.1:{}/{empty_db}",
        port()
    );
    let err = message(protoscribe::store::Store::open_postgres(&as_role));
    assert!(
        err.contains("may not create tables") && err.contains("database's owner"),
        "{err}"
    );
    assert!(!err.contains(&format!("pw-{role}")), "{err}");
}

#[test]
fn a_store_carries_on_after_the_server_closes_its_connections() {
    // Pooled connections are not tested when handed out (a round trip per
    // unit of work); one the server closed since fails at its first
    // statement and the next is used, so a restart or an idle timeout
    // costs the reviewer nothing.
    use protoscribe::store::Store;
    use protoscribe::store::protocols::{NewProtocol, ProtocolFilter};
    let url = fresh_database();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let store = Store::open_postgres(&url).unwrap();
    let add = |title: &str| {
        store
            .create_protocol(&NewProtocol {
                title: title.into(),
                content: "Participants will be randomised.".into(),
                ..NewProtocol::default()
            })
            .unwrap()
    };
    // Several connections in the pool: writes from threads at once.
    std::thread::scope(|s| {
        for n in 0..4 {
            let add = &add;
            s.spawn(move || add(&format!("before {n}")));
        }
    });
    let closed: i64 = admin()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&database],
        )
        .unwrap()
        .get(0);
    assert!(closed >= 1, "the store held no connection");
    add("after");
    let titles: Vec<String> = store
        .protocols(
            &ProtocolFilter::default(),
            protoscribe::store::Page::first(50),
        )
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect();
    assert_eq!(titles.len(), 5, "{titles:?}");
    assert!(titles.contains(&"after".to_owned()));
}

#[test]
fn a_user_without_rights_on_the_tables_is_told_what_to_ask_for() {
    // May connect, but the store was made by another role that granted
    // nothing on its tables.
    use protoscribe::store::Store;
    let url = fresh_database();
    drop(Store::open_postgres(&url).unwrap());
    let database = url.rsplit('/').next().unwrap().to_owned();
    let role = format!("notables_{}", std::process::id());
    admin()
        .batch_execute(&format!(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                     CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}';
                 END IF;
             END $$;"
        ))
        .unwrap();
    let url = format!(
        "postgres://{role}:pw-{role}@127.0.0.1:{}/{database}",
        port()
    );
    let err = message(Store::open_postgres(&url));
    assert!(
        err.contains("may not use the store's tables") && err.contains("GRANT SELECT"),
        "{err}"
    );
    assert!(!err.contains(&format!("pw-{role}")), "{err}");
}
