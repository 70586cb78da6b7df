//! `Store` operations on exports: the record of each report written.

use crate::store::error::Result;
use crate::store::exports::{self, Export};
use crate::store::{Page, Store};

impl Store {
    pub fn export(&self, id: &str) -> Result<Export> {
        self.read(|conn| exports::get(conn, id))
    }

    /// Exports, newest first, of one protocol or of all.
    pub fn exports(&self, protocol_id: Option<&str>, page: Page) -> Result<Vec<Export>> {
        self.read(|conn| exports::list(conn, protocol_id, page))
    }
}
