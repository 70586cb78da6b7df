//! ProtoScribe: checks clinical-trial protocols against the SPIRIT and
//! CONSORT reporting guidelines and keeps protocols, analyses and the
//! reviewers' decisions in a local SQLite store.
//!
//! Layers, one direction only: `cli` calls `jobs`, `store`, `analysis`
//! and `ingest`; `jobs` (slow work shared with the interface) calls the
//! layers below it; `analysis` is pure; `store` knows SQL and rows, nothing of
//! screens.

pub mod analysis;
pub mod cli;
pub mod export;
pub mod files;
pub mod format;
pub mod ingest;
pub mod jobs;
pub mod panics;
pub mod paths;
pub mod providers;
pub mod revise;
pub mod samples;
pub mod sanitize;
pub mod store;
pub mod tui;
pub mod vocab;
