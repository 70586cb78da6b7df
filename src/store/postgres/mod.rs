//! The PostgreSQL backend's foundations (issue #14): reaching a server
//! (`connect`: URL, password sources, TLS, pool, errors a user can act on)
//! and its schema (`migrate`: the numbered files of `migrations/postgres/`
//! under an advisory lock), a unit of work (`unit`: a transaction begun in
//! the round trip that sets it up), and the table operations behind
//! `Store`, one module per table beside their SQLite twins.

pub mod analyses;
pub mod backup;
pub mod connect;
pub mod exports;
pub mod migrate;
pub mod protocols;
pub mod provider_cache;
pub mod search;
pub mod sql;
pub mod stats;
pub mod suggestions;
pub mod unit;
pub mod versions;
pub mod watch;

pub use connect::{Pool, Target, Tls, is_postgres_url};
