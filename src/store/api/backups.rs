//! `Store` operations on the store as a whole: taking a backup of it.
//! (Restoring works on a file, before any `Store` is open: see `backup`.)

use std::path::Path;

use crate::store::Store;
use crate::store::backup::{self, BackupInfo};
use crate::store::error::Result;

impl Store {
    /// Take a consistent, verified and compressed backup into `dir`,
    /// whatever others write meanwhile; returns where it went.
    pub fn backup(&self, dir: &Path) -> Result<BackupInfo> {
        backup::backup(self, dir)
    }
}
