//! Analysis of protocol text. Pure: text in, findings out; no database and
//! no terminal.

pub mod structure;
