//! Slow work that both the command line and the interface's worker
//! threads run: each job reads and writes the store and reports errors as
//! values, never by panicking.

pub mod analyze;
pub mod apply;
pub mod carry;
pub mod export;
pub mod import;
