//! The PostgreSQL backend's foundations (issue #14): reaching a server
//! (`connect`: URL, password sources, TLS, pool, errors a user can act on)
//! and its schema (`migrate`: the numbered files of `migrations/postgres/`
//! under an advisory lock). The table operations behind `Store` come next;
//! see the plan at the top of `store/mod.rs`.

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
pub mod versions;
pub mod watch;

pub use connect::{Pool, Target, Tls, is_postgres_url};
