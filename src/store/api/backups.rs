//! `Store` operations on the store as a whole: taking a backup of it.
//! (Restoring works on a file, before any `Store` is open: see `backup`.)

use std::path::Path;

use crate::store::backup::{self, BackupInfo};
use crate::store::error::Result;
use crate::store::postgres::{self, backup::Dump};
use crate::store::{Store, StoreError};

impl Store {
    /// On PostgreSQL: `pg_dump` the database into `dir` (custom format)
    /// and check it reads back with `pg_restore --list`; returns where it
    /// went. An error on SQLite, whose backups are `backup`.
    pub fn dump(&self, dir: &Path) -> Result<Dump> {
        match self.postgres_target() {
            Some(target) => postgres::backup::dump(target, dir),
            None => Err(not_postgres(self)),
        }
    }

    /// On PostgreSQL: replace the database's contents with a dump's
    /// (`pg_restore` in one transaction: all or nothing), after dumping
    /// what it replaces into `keep_dir` (returned). An error on SQLite,
    /// whose backups are restored by file (see `backup`).
    pub fn restore_dump(&self, file: &Path, keep_dir: &Path) -> Result<std::path::PathBuf> {
        match self.postgres_target() {
            Some(target) => postgres::backup::restore(target, file, keep_dir),
            None => Err(not_postgres(self)),
        }
    }

    /// Take a consistent, verified and compressed backup into `dir`,
    /// whatever others write meanwhile; returns where it went.
    pub fn backup(&self, dir: &Path) -> Result<BackupInfo> {
        backup::backup(self, dir)
    }
}

fn not_postgres(store: &Store) -> StoreError {
    StoreError::Invalid(format!(
        "{} is a SQLite store file: its backups are .db.gz files ('protoscribe backup')",
        store.path().display()
    ))
}
