//! Changing one value of a spec's YAML text in place, for the commits
//! `promote` and `rollback` write: the value at a field path is replaced on
//! its line, in the quoting style it was written in, and every other byte of
//! the file (comments, blank lines, key order, indentation) is kept. The
//! file is never re-serialized; the caller validates the result.

use super::locate::{FieldPath, Segment, locate};

/// Why a value could not be replaced in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The field is not in the file.
    #[error("{field} is not in the file as a `key: value` line of its own")]
    Missing {
        /// The field path.
        field: String,
    },
    /// The field's value is not a one-line scalar (a block scalar, a
    /// mapping, an anchor or alias…).
    #[error(
        "{field} (line {line}) is not a one-line value: write it as `{key}: value` on one line"
    )]
    NotOneLine {
        /// The field path.
        field: String,
        /// Its 1-based line.
        line: usize,
        /// Its key.
        key: String,
    },
}

/// How the old value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// `text` with the value of `path` (a block-style `key: value` line) set to
/// `value`.
pub fn set_scalar(text: &str, path: &FieldPath, value: &str) -> Result<String, EditError> {
    let field = path.to_string();
    let Some(Segment::Key(key)) = path.segments().last() else {
        return Err(EditError::Missing { field });
    };
    let missing = || EditError::Missing {
        field: field.clone(),
    };
    let (line_no, column) = locate(text, path).ok_or_else(missing)?;
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let line = lines.get(line_no - 1).copied().ok_or_else(missing)?;
    let body = line.trim_end_matches(['\n', '\r']);
    let ending = &line[body.len()..];
    let from_key = body.get(column - 1..).ok_or_else(missing)?;
    let after_key = from_key
        .strip_prefix(key.as_str())
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(missing)?;
    let not_one_line = || EditError::NotOneLine {
        field: field.clone(),
        line: line_no,
        key: key.clone(),
    };
    let value_start = body.len() - after_key.trim_start().len();
    let rest = &body[value_start..];
    let (style, value_len) = scalar_extent(rest).ok_or_else(not_one_line)?;
    let new_value = render(value, style);
    let edited = format!(
        "{}{}{}{}",
        &body[..value_start],
        new_value,
        &rest[value_len..],
        ending
    );
    lines[line_no - 1] = &edited;
    Ok(lines.concat())
}

/// The style and byte length of the one-line scalar `rest` starts with;
/// None for anything else (empty, block scalar, flow collection, anchor,
/// alias, tag, unterminated quote).
fn scalar_extent(rest: &str) -> Option<(Style, usize)> {
    let first = rest.chars().next()?;
    match first {
        '"' => {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return Some((Style::Double, i + 1)),
                    _ => escaped = false,
                }
            }
            None
        }
        '\'' => {
            let bytes = rest.as_bytes();
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Some((Style::Single, i + 1));
                }
                i += 1;
            }
            None
        }
        '#' | '|' | '>' | '{' | '[' | '&' | '*' | '!' => None,
        _ => {
            // A plain scalar ends at ` #` (a comment) or the end of the line.
            let end = rest.find(" #").unwrap_or(rest.len());
            let len = rest[..end].trim_end().len();
            (len > 0).then_some((Style::Plain, len))
        }
    }
}

/// `value` in `style`; a plain value YAML would read as something other
/// than this string (a number, a boolean, null, or one with special
/// characters) is double-quoted instead.
fn render(value: &str, style: Style) -> String {
    let double = || format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    match style {
        Style::Double => double(),
        Style::Single => format!("'{}'", value.replace('\'', "''")),
        Style::Plain if plain_is_safe(value) => value.to_owned(),
        Style::Plain => double(),
    }
}

/// Whether `value` reads back as this same string when written plain.
fn plain_is_safe(value: &str) -> bool {
    let special_start = value.starts_with([
        '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
        '`', ' ',
    ]);
    let looks_typed = value.parse::<f64>().is_ok()
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | ""
        );
    !special_start
        && !looks_typed
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with([' ', ':'])
        && !value.contains(['\n', '\r', '\t'])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "\
# Production: promoted from staging.
cluster: shop-production
image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:3f9c2e1   # the release
taskDefinition: task-definitions/app.json

migration:
  revision: \"20261101000000\"
  command: [bin/rails, db:migrate]
services:
  web: {desiredCount: 2}
";

    fn path(keys: &[&str]) -> FieldPath {
        FieldPath::keys(keys)
    }

    #[test]
    fn a_value_is_replaced_on_its_line_and_every_other_byte_is_kept() {
        let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:9a8b7c6";
        let out = set_scalar(SPEC, &path(&["image"]), image).unwrap();
        let out = set_scalar(&out, &path(&["migration", "revision"]), "20261120093000").unwrap();
        let expected = SPEC
            .replace(
                "shop:3f9c2e1   # the release",
                "shop:9a8b7c6   # the release",
            )
            .replace("\"20261101000000\"", "\"20261120093000\"");
        assert_eq!(out, expected);
    }

    #[test]
    fn the_quoting_style_is_kept_and_a_plain_number_is_quoted() {
        for (given, expected) in [
            (
                "revision: '20261101000000'\n",
                "revision: '20261120093000'\n",
            ),
            (
                "revision: 20261101000000\n",
                "revision: \"20261120093000\"\n",
            ),
            (
                "revision: \"a\\\"b\"  # c\n",
                "revision: \"20261120093000\"  # c\n",
            ),
            ("revision:   v1\r\n", "revision:   v2\r\n"),
        ] {
            let value = if given.contains("v1") {
                "v2"
            } else {
                "20261120093000"
            };
            assert_eq!(
                set_scalar(given, &path(&["revision"]), value).unwrap(),
                expected,
                "{given:?}"
            );
        }
        assert_eq!(render("true", Style::Plain), "\"true\"");
        assert_eq!(render("a: b", Style::Plain), "\"a: b\"");
        assert_eq!(render("it's", Style::Single), "'it''s'");
    }

    #[test]
    fn a_missing_field_or_one_not_on_one_line_is_refused() {
        assert_eq!(
            set_scalar("cluster: c\n", &path(&["image"]), "x"),
            Err(EditError::Missing {
                field: "image".into()
            })
        );
        assert_eq!(
            set_scalar(
                "migration:\n  command: [a]\n",
                &path(&["migration", "revision"]),
                "x"
            ),
            Err(EditError::Missing {
                field: "migration.revision".into()
            })
        );
        let block = "image: >-\n  registry/shop:1\n";
        assert!(matches!(
            set_scalar(block, &path(&["image"]), "x"),
            Err(EditError::NotOneLine { line: 1, .. })
        ));
        let flow = "migration: {revision: \"1\", command: [a]}\n";
        assert!(set_scalar(flow, &path(&["migration", "revision"]), "2").is_err());
    }
}
