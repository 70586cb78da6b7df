//! `Store` operations that count: the dashboard, `db status`, and the
//! review tally `db check` compares.

use crate::store::error::Result;
use crate::store::stats::{self, Dashboard, DbStatus};
use crate::store::{Store, postgres};

/// What `db check` compares: the kept review counts, and the current
/// suggestions they should agree with; and the kept analysis figures
/// against a recount of the analyses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewTally {
    pub counted: u64,
    pub current: u64,
    /// Rows of the kept analysis figures a recount disagrees with.
    pub figures_disagreeing: u64,
}

impl Store {
    /// The dashboard's figures over the last `days` days.
    pub fn dashboard(&self, days: u32) -> Result<Dashboard> {
        self.read(|conn| conn.stats_dashboard(days))
    }

    /// Schema version, row counts and file sizes (`db status`).
    pub fn status(&self) -> Result<DbStatus> {
        match self.postgres_target() {
            Some(target) => {
                let shown = target.shown().to_owned();
                self.read_postgres(|unit| postgres::stats::db_status(unit.client(), &shown))
            }
            None => self.read_sqlite(|conn| stats::db_status(conn, self.path())),
        }
    }

    /// Count afresh, from the rows, what the triggers keep.
    pub fn recount(&self) -> Result<()> {
        self.write(|tx| tx.stats_recount())
    }

    /// The review counts and the current suggestions, read together.
    pub fn review_tally(&self) -> Result<ReviewTally> {
        self.read(|conn| {
            Ok(ReviewTally {
                counted: conn.stats_review_progress()?.total,
                current: conn.suggestions_count_current()?,
                figures_disagreeing: conn.stats_figures_disagreeing()?,
            })
        })
    }
}
