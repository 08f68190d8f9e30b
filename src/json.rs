//! How deckhand writes JSON, to a file or to stdout: pretty, ending in a
//! newline.

use serde::Serialize;

/// `value` as pretty JSON and a newline.
pub fn pretty(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("deckhand's values serialize");
    text.push('\n');
    text
}
