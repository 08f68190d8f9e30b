//! Find the line of a field path (`services.web.desiredCount`) in YAML text,
//! so semantic errors can point at the line the user must edit.
//!
//! Best effort for block-style YAML, which is what specs are written in: the
//! deepest key of the path that is found wins, so a key inside a flow mapping
//! (`{a: 1}`) points at the line of its parent. Sequence indexes are not
//! walked (they point at the sequence's key).

/// 1-based line and column of the deepest key of `path` found in `yaml`.
pub fn locate(yaml: &str, path: &[&str]) -> Option<(usize, usize)> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut best = None;
    let mut start = 0;
    let mut parent_indent: isize = -1;
    'segments: for segment in path {
        let mut child_indent: Option<usize> = None;
        for (i, line) in lines.iter().enumerate().skip(start) {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if (indent as isize) <= parent_indent {
                break 'segments; // left the parent's block
            }
            let level = *child_indent.get_or_insert(indent);
            if indent == level && key_of(trimmed) == Some(segment) {
                best = Some((i + 1, indent + 1));
                start = i + 1;
                parent_indent = indent as isize;
                continue 'segments;
            }
        }
        break;
    }
    best
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
    use super::locate;

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
";

    #[test]
    fn finds_nested_keys() {
        assert_eq!(
            locate(YAML, &["services", "worker", "desiredCount"]),
            Some((8, 5))
        );
        assert_eq!(
            locate(YAML, &["services", "web", "desiredCount"]),
            Some((6, 5))
        );
        assert_eq!(locate(YAML, &["migration", "quiesce"]), Some((10, 3)));
    }

    #[test]
    fn a_missing_leaf_points_at_its_parent() {
        assert_eq!(locate(YAML, &["services", "web", "family"]), Some((4, 3)));
        assert_eq!(locate(YAML, &["nothing"]), None);
    }

    #[test]
    fn does_not_match_a_deeper_key_of_the_same_name() {
        let yaml = "services:\n  web:\n    worker: 1\n  worker:\n    desiredCount: 2\n";
        assert_eq!(locate(yaml, &["services", "worker"]), Some((4, 3)));
    }
}
