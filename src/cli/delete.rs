//! `protoscribe delete ID`: remove a protocol and everything under it.

use super::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The protocol's id (proto_…).
    id: String,
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let store = ctx.open_for_writing()?;
    let gone = store.delete_protocol(&args.id)?;
    println!(
        "deleted {} with {} analyses, {} suggestions, {} versions and {} exports",
        args.id, gone.analyses, gone.suggestions, gone.versions, gone.exports
    );
    Ok(())
}
