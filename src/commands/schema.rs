//! `deckhand schema`: the JSON Schema of environment files.

use super::{CommandError, Context, Outcome, print};

/// Print the schema.
pub fn exec(_context: Context) -> Result<Outcome, CommandError> {
    print(&crate::spec::raw::schema_json())?;
    Ok(Outcome::Done)
}
