//! Field paths (`services.web.desiredCount`, `notifications[0].slack`) and
//! finding their line in YAML text, so errors can point at the line the user
//! must edit.
//!
//! Best effort for block-style YAML, which is what specs are written in: the
//! deepest segment of the path that is found wins, so a key inside a flow
//! mapping (`{a: 1}`) points at the line of its parent. Sequence indexes are
//! walked through block sequences (`- item` lines), not flow ones (`[a, b]`).

use std::fmt;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A 0-based sequence index.
    Index(usize),
}

/// A field path from the document root; empty = the document itself.
/// Shown as `services.web.command`, `notifications[0].slack.webhookUrlFrom`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// A path made of mapping keys only.
    pub fn keys(keys: &[&str]) -> FieldPath {
        FieldPath(keys.iter().map(|k| Segment::Key((*k).to_owned())).collect())
    }

    /// This path with `key` appended.
    pub fn key(mut self, key: &str) -> FieldPath {
        self.0.push(Segment::Key(key.to_owned()));
        self
    }

    /// This path with a sequence `index` appended.
    pub fn index(mut self, index: usize) -> FieldPath {
        self.0.push(Segment::Index(index));
        self
    }

    /// The segments, root first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether this is the document root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path as words for matching: keys as written, every index as `[]`
    /// (`["notifications", "[]", "slack"]`).
    pub fn words(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(|s| match s {
                Segment::Key(k) => k.as_str(),
                Segment::Index(_) => "[]",
            })
            .collect()
    }
}

impl FromIterator<Segment> for FieldPath {
    fn from_iter<I: IntoIterator<Item = Segment>>(iter: I) -> Self {
        FieldPath(iter.into_iter().collect())
    }
}

/// The path serde was reading: an enum variant (`slack:`) is a key in YAML;
/// a non-string key (`?`) cannot be walked and ends the path.
impl From<&serde_path_to_error::Path> for FieldPath {
    fn from(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        path.iter()
            .map_while(|segment| match segment {
                S::Seq { index } => Some(Segment::Index(*index)),
                S::Map { key } => Some(Segment::Key(key.clone())),
                S::Enum { variant } => Some(Segment::Key(variant.clone())),
                S::Unknown => None,
            })
            .collect()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// 1-based line and column of the deepest segment of `path` found in `yaml`.
pub fn locate(yaml: &str, path: &FieldPath) -> Option<(usize, usize)> {
    let entries = entries(yaml);
    let mut best = None;
    let mut start = 0;
    let mut parent_indent: isize = -1;
    for segment in path.segments() {
        let rest = &entries[start..];
        let found = match segment {
            Segment::Key(key) => find_key(rest, parent_indent, key),
            Segment::Index(index) => find_item(rest, parent_indent, *index),
        };
        let Some(offset) = found else { break };
        let entry = &rest[offset];
        best = Some((entry.line + 1, entry.indent + 1));
        start += offset + 1;
        parent_indent = entry.indent as isize;
    }
    best
}

/// A node start in the text: a `key: value` (or scalar) or a `- ` item marker.
/// `- key: value` is two entries on one line: the item, then its content.
struct Entry<'a> {
    /// 0-based line.
    line: usize,
    /// 0-based column where the entry starts.
    indent: usize,
    /// The text from `indent` on.
    text: &'a str,
    /// A `- ` sequence item marker.
    item: bool,
}

fn entries(yaml: &str) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    for (line, raw) in yaml.lines().enumerate() {
        let mut text = raw.trim_start();
        if text.is_empty() || text.starts_with('#') || text.starts_with("---") {
            continue;
        }
        let mut indent = raw.len() - text.len();
        while let Some(after) = text
            .strip_prefix('-')
            .filter(|a| a.is_empty() || a.starts_with([' ', '\t']))
        {
            out.push(Entry {
                line,
                indent,
                text,
                item: true,
            });
            let content = after.trim_start();
            indent += text.len() - content.len();
            text = content;
        }
        if !text.is_empty() && !text.starts_with('#') {
            out.push(Entry {
                line,
                indent,
                text,
                item: false,
            });
        }
    }
    out
}

/// The entry of `key` among the children of a node indented `parent_indent`.
fn find_key(entries: &[Entry], parent_indent: isize, key: &str) -> Option<usize> {
    let mut level = None;
    for (i, entry) in entries.iter().enumerate() {
        if entry.indent as isize <= parent_indent {
            return None; // left the parent's block
        }
        let level = *level.get_or_insert(entry.indent);
        if entry.indent == level && !entry.item && key_of(entry.text) == Some(key) {
            return Some(i);
        }
    }
    None
}

/// The `index`th `- ` item of the block sequence under a node indented
/// `parent_indent` (the items may be indented like the parent key itself).
fn find_item(entries: &[Entry], parent_indent: isize, index: usize) -> Option<usize> {
    let first = entries
        .first()
        .filter(|e| e.item && e.indent as isize >= parent_indent)?;
    let mut seen = 0;
    for (i, entry) in entries.iter().enumerate() {
        if entry.indent < first.indent || (entry.indent == first.indent && !entry.item) {
            return None; // left the sequence
        }
        if entry.indent == first.indent {
            if seen == index {
                return Some(i);
            }
            seen += 1;
        }
    }
    None
}

/// The key of a `key: value` line, unquoted.
fn key_of(trimmed: &str) -> Option<&str> {
    let colon = trimmed.find(':')?;
    let key = trimmed[..colon].trim();
    let key = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(key);
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::{FieldPath, locate};

    const YAML: &str = "\
cluster: c
# a comment
services:
  web:
    command: [a]
    desiredCount: 3
  worker:
    desiredCount: -1
migration:
  quiesce: [worker]
notifications:
  - slack: {webhookUrlFrom: A}
  - webhook:
      urlFrom: B
";

    fn at(yaml: &str, keys: &[&str]) -> Option<(usize, usize)> {
        locate(yaml, &FieldPath::keys(keys))
    }

    #[test]
    fn finds_nested_keys() {
        assert_eq!(
            at(YAML, &["services", "worker", "desiredCount"]),
            Some((8, 5))
        );
        assert_eq!(at(YAML, &["services", "web", "desiredCount"]), Some((6, 5)));
        assert_eq!(at(YAML, &["migration", "quiesce"]), Some((10, 3)));
    }

    #[test]
    fn a_missing_leaf_points_at_its_parent() {
        assert_eq!(at(YAML, &["services", "web", "family"]), Some((4, 3)));
        assert_eq!(at(YAML, &["nothing"]), None);
    }

    #[test]
    fn does_not_match_a_deeper_key_of_the_same_name() {
        let yaml = "services:\n  web:\n    worker: 1\n  worker:\n    desiredCount: 2\n";
        assert_eq!(at(yaml, &["services", "worker"]), Some((4, 3)));
    }

    #[test]
    fn sequence_indexes_walk_block_items() {
        let slack = FieldPath::keys(&["notifications"]).index(0).key("slack");
        assert_eq!(locate(YAML, &slack), Some((12, 5)));
        // Inside the flow mapping: the deepest key found, `slack`.
        assert_eq!(locate(YAML, &slack.key("webhookUrlFrom")), Some((12, 5)));
        let url_from = FieldPath::keys(&["notifications"])
            .index(1)
            .key("webhook")
            .key("urlFrom");
        assert_eq!(locate(YAML, &url_from), Some((14, 7)));
        let third = FieldPath::keys(&["notifications"]).index(2);
        assert_eq!(locate(YAML, &third), Some((11, 1)));
    }

    #[test]
    fn sequence_items_may_be_indented_like_their_key() {
        let yaml = "notifications:\n- slack: {}\n- webhook: {}\nsync: {}\n";
        let path = FieldPath::keys(&["notifications"]).index(1).key("webhook");
        assert_eq!(locate(yaml, &path), Some((3, 3)));
    }

    #[test]
    fn paths_are_shown_with_dots_and_brackets() {
        let path = FieldPath::keys(&["notifications"])
            .index(0)
            .key("slack")
            .key("webhookUrlFrom");
        assert_eq!(path.to_string(), "notifications[0].slack.webhookUrlFrom");
        assert_eq!(
            path.words(),
            ["notifications", "[]", "slack", "webhookUrlFrom"]
        );
        assert_eq!(FieldPath::default().to_string(), "");
    }
}
