//! Spec errors a user can act on: file, line, field, what is wrong, how to fix it.
//!
//! ```text
//! environments/staging.yaml:8:5: services.worker.desiredCount: expected a non-negative integer, found -1
//!     8 |     desiredCount: -1
//!   hint: set 0 or more, or remove desiredCount to leave the live count alone
//! ```
//!
//! Parser errors (YAML and task-definition JSON) are turned into these words
//! here and only here: [`Diagnostic::from_yaml_error`] and
//! [`Diagnostic::from_definition_error`].

use super::locate::{FieldPath, Segment, locate};
use crate::source::SourceError;
use crate::taskdef::model::TaskDefinitionError;
use serde_json::Value;
use serde_saphyr::Error as YamlError;
use std::fmt;
use std::sync::LazyLock;

/// Everything that can be wrong with an environment's spec.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// One or more problems in the spec or the files it names.
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
    /// `environments/<name>.yaml` does not exist.
    #[error("environments/{name}.yaml: no such environment in the config repo{}",
        if available.is_empty() { " (it has no environments/*.yaml)".to_owned() }
        else { format!("; environments: {}", available.join(", ")) })]
    NoSuchEnvironment {
        name: String,
        available: Vec<String>,
    },
    /// The environment name cannot be one (it names a file, a family, tags).
    #[error("--env {name:?}: {why}")]
    BadEnvironmentName {
        /// The name as given (clipped).
        name: String,
        /// What is wrong.
        why: String,
    },
    /// `environments/<name>.yaml` is a directory.
    #[error(
        "environments/{name}.yaml is a directory, not a spec file\n  hint: an environment is one YAML file, environments/<name>.yaml"
    )]
    SpecIsDirectory {
        /// The environment.
        name: String,
    },
    /// The spec file is far larger than any spec.
    #[error(
        "environments/{name}.yaml is {kib} KiB; a spec is at most {max_kib} KiB\n  hint: check that this is the right file"
    )]
    SpecTooLarge {
        /// The environment.
        name: String,
        /// Its size.
        kib: usize,
        /// The limit.
        max_kib: usize,
    },
    /// The repo could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Repo-relative file.
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// Field path (`services.web.desiredCount`); empty for syntax errors.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// The source line at `position`.
    pub source_line: Option<String>,
    /// How to fix it; may be empty.
    pub hint: String,
}

/// What a task-definition file is, the hint of its errors.
pub const TASK_DEFINITION_INPUT: &str = "a task definition is RegisterTaskDefinition input, as `aws ecs register-task-definition --cli-input-json` takes it";

/// What a service-definition file is, the hint of its errors.
pub const SERVICE_DEFINITION_INPUT: &str = "a service definition is CreateService input, as `aws ecs create-service --cli-input-json` takes it, without the fields the spec sets; see docs/service-definitions.md";

impl Diagnostic {
    /// A problem found after parsing.
    pub fn semantic(
        file: &str,
        text: &str,
        position: Option<(usize, usize)>,
        field: String,
        message: String,
        hint: String,
    ) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            source_line: position.and_then(|(line, _)| source_line(text, line)),
            position,
            field,
            message,
            hint,
        }
    }

    /// A YAML syntax or type error from the parser; `path` is the field being
    /// read when it happened (from `serde_path_to_error`).
    pub fn from_yaml_error(
        file: &str,
        text: &str,
        error: &YamlError,
        path: &FieldPath,
    ) -> Diagnostic {
        let y = yaml_words(error.without_snippet(), path, text);
        Diagnostic::semantic(file, text, y.position, y.field, y.message, y.hint)
    }

    /// A strictly read definition file's error (syntax, type, unknown key),
    /// with `about` ([`TASK_DEFINITION_INPUT`], [`SERVICE_DEFINITION_INPUT`])
    /// as the hint.
    pub fn from_definition_error(
        file: &str,
        text: &str,
        error: &TaskDefinitionError,
        about: &str,
    ) -> Diagnostic {
        let message = json_words(error.message());
        let hint = match did_you_mean_in(error.message()) {
            Some(name) => format!("did you mean `{name}`? ({about})"),
            None => about.to_owned(),
        };
        Diagnostic::semantic(
            file,
            text,
            // serde_json counts columns from 0 before the first character of a line.
            (error.line() > 0).then(|| (error.line(), error.column().max(1))),
            error.path().to_owned(),
            message,
            hint,
        )
    }

    /// Hide `secret` (a value that must not be printed, e.g. a webhook URL) in
    /// the shown source line.
    pub fn redact(mut self, secret: &str) -> Diagnostic {
        if !secret.is_empty()
            && let Some(line) = &mut self.source_line
        {
            *line = line.replace(secret, "<redacted>");
        }
        self
    }
}

/// A YAML error in the user's words.
struct YamlWords {
    position: Option<(usize, usize)>,
    field: String,
    message: String,
    hint: String,
}

impl YamlWords {
    /// Words about `field` at `position`, given the message and the hint.
    fn at(position: Option<(usize, usize)>, field: &str) -> impl Fn(String, String) -> YamlWords {
        move |message, hint| YamlWords {
            position,
            field: field.to_owned(),
            message,
            hint,
        }
    }
}

impl YamlWords {
    /// Words about the whole file, at no line.
    fn whole_file(message: &str, hint: &str) -> YamlWords {
        YamlWords {
            position: None,
            field: String::new(),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// The one place where YAML parser errors become user wording. Each rule says
/// what the parser reports and what the user is told instead.
fn yaml_words(error: &YamlError, path: &FieldPath, text: &str) -> YamlWords {
    let position = error
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line() as usize, l.column() as usize));
    let field = path.to_string();
    let words = YamlWords::at(position, &field);
    match error {
        // "budget breached: Nodes { nodes: 250001 }" is a debug dump: say
        // the file is too large or too deeply nested for a spec.
        YamlError::Budget { .. } => YamlWords::whole_file(
            "the file is too large or too deeply nested to be an environment spec",
            "a spec is a short YAML file; check that this is the right file",
        ),

        // Syntax errors: the field being read is no help; the line is.
        YamlError::ExternalMessage { msg, .. } => syntax_words(msg, position, text),

        // "unexpected end of input" for an empty document: say it is empty.
        YamlError::Eof { .. } if !has_content(text) => {
            YamlWords::whole_file("the file is empty", REQUIRED_FIELDS_HINT)
        }
        YamlError::Eof { .. } => words(
            "the file ends too early".into(),
            REQUIRED_FIELDS_HINT.into(),
        ),

        // "duplicate mapping key: k, set DuplicateKeyPolicy in Options if
        // acceptable" is advice for programmers: name the key, say what to do.
        YamlError::DuplicateMappingKey { key, .. } => words(
            match key {
                Some(key) => format!("duplicate key `{key}`"),
                None => "duplicate key".into(),
            },
            "each key may appear once in a mapping: remove one of them, or merge them".into(),
        ),

        // Errors about one field's key or value.
        _ => field_words(error, path, text, position),
    }
}

/// The rules for errors about a field: missing, unknown, of the wrong kind
/// or type.
fn field_words(
    error: &YamlError,
    path: &FieldPath,
    text: &str,
    position: Option<(usize, usize)>,
) -> YamlWords {
    let field = path.to_string();
    let doc = field_doc(path);
    let words = YamlWords::at(position, &field);
    match error {
        // "missing field `f`" is noticed where the mapping ends, i.e. on an
        // unrelated line: point at the mapping that lacks it (or at no line for
        // the document itself) and show what to add.
        YamlError::SerdeMissingField { field: missing, .. } => YamlWords {
            position: (!path.is_root()).then(|| locate(text, path)).flatten(),
            field: field.clone(),
            message: format!("missing field `{missing}`"),
            hint: match field_doc(&path.clone().key(missing)) {
                Some(doc) => format!("add {}", doc.example),
                None => format!("add `{missing}`; see docs/spec.md"),
            },
        },

        // "unknown field `f`, expected one of …": the path ends with the
        // unknown key; name the mapping it is in, and the nearest known field.
        YamlError::SerdeUnknownField {
            field: unknown,
            expected,
            ..
        } => YamlWords {
            position,
            field: parent_of_key(path, unknown).to_string(),
            message: error_text(error),
            hint: unknown_field_hint(unknown, expected),
        },

        // "unknown variant `v`": users know no variants; they wrote a kind.
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => words(
            format!(
                "unknown kind `{variant}`, expected one of: {}",
                expected.join(", ")
            ),
            match &doc {
                Some(doc) => format!("e.g. {}", doc.example),
                None => "see docs/spec.md".to_owned(),
            },
        ),

        // "invalid i64" / "invalid boolean" (a scalar that does not parse as the
        // field's type), "expected sequence start" / "expected mapping start"
        // (a node of the wrong shape) and serde's "invalid type: X, expected Y":
        // say what the field expects in plain words and what was found.
        YamlError::InvalidScalar { .. }
        | YamlError::Unexpected { .. }
        | YamlError::SerdeInvalidType { .. }
        | YamlError::SerdeInvalidValue { .. } => {
            let (message, hint) = wrong_type_words(error, doc.as_ref(), position, text);
            words(message, hint)
        }

        // Anything else: the parser's message, without its own location suffix.
        _ => words(
            error_text(error),
            "see docs/spec.md and schemas/environment.schema.json".into(),
        ),
    }
}

/// What a value of the wrong type or shape is told: what the field expects
/// and what was found (message, hint).
fn wrong_type_words(
    error: &YamlError,
    doc: Option<&FieldDoc>,
    position: Option<(usize, usize)>,
    text: &str,
) -> (String, String) {
    let found = match error {
        YamlError::SerdeInvalidType { unexpected, .. }
        | YamlError::SerdeInvalidValue { unexpected, .. } => Some(serde_found(unexpected)),
        _ => position.and_then(|p| found_at(text, p)),
    };
    // A number too large for any integer type: the same problem as one
    // too large for ECS, so the same words and hint.
    if let (YamlError::InvalidScalar { ty, .. }, Some(number)) = (error, &found)
        && is_integer_type(ty)
        && is_large_integer_literal(number)
    {
        let number = number.trim_matches('`');
        return (
            format!("{number} is larger than ECS allows"),
            super::TOO_LARGE_HINT.into(),
        );
    }
    let expects = match doc {
        Some(doc) => doc.expects.to_owned(),
        None => parser_expects(error),
    };
    let message = match found {
        Some(found) => format!("expected {expects}, found {found}"),
        None => format!("expected {expects}"),
    };
    let hint = match doc {
        Some(doc) => format!("e.g. {}", doc.example),
        None => "check the value's type against schemas/environment.schema.json".to_owned(),
    };
    (message, hint)
}

/// The hint for an unknown field: the nearest known one, and where they are listed.
fn unknown_field_hint(unknown: &str, expected: &[&str]) -> String {
    match closest(unknown, expected) {
        Some(name) => {
            format!(
                "did you mean `{name}`? The fields are listed in schemas/environment.schema.json"
            )
        }
        None => {
            "check the spelling; the fields are listed in schemas/environment.schema.json".into()
        }
    }
}

const REQUIRED_FIELDS_HINT: &str = "an environment needs at least `cluster:`, `image:` and \
     `services:`; see docs/spec.md";

/// The rules for YAML syntax errors (`msg` is the parser's text).
fn syntax_words(msg: &str, position: Option<(usize, usize)>, text: &str) -> YamlWords {
    let at = |position| YamlWords {
        position,
        field: String::new(),
        message: msg.to_owned(),
        hint: String::new(),
    };
    let error_line = position.map_or(usize::MAX, |(line, _)| line);
    // A `[` or `{` left open makes the parser trip on a later line, with a
    // message about something else ("illegal placement of ':' indicator"):
    // point at the bracket and say it is never closed.
    if let Some((line, column, open)) = unclosed_bracket(text, error_line) {
        let close = if open == '[' { ']' } else { '}' };
        let noticed = position.map_or(String::new(), |(l, c)| format!(" at line {l}, column {c}"));
        let written = text.lines().nth(line - 1).unwrap_or_default().trim();
        return YamlWords {
            message: format!(
                "this `{open}` is never closed (the YAML parser stopped{noticed}: {msg})"
            ),
            hint: format!("close it with `{close}`, e.g. `{written}{close}`"),
            ..at(Some((line, column)))
        };
    }
    // "tabs disallowed within this context": YAML indents with spaces only.
    if msg.contains("tab") {
        return YamlWords {
            hint: "indent with spaces; YAML does not allow tabs in indentation".into(),
            ..at(position)
        };
    }
    // "did not find expected key", "mapping values are not allowed here", …:
    // in a hand-written spec these mean a line is indented wrongly.
    if [
        "did not find expected",
        "not allowed in this context",
        "mapping values are not allowed",
    ]
    .iter()
    .any(|m| msg.contains(m))
    {
        let indent = position
            .and_then(|(line, _)| text.lines().nth(line - 1))
            .map(|l| l.len() - l.trim_start().len());
        return YamlWords {
            message: format!(
                "this line's indentation does not fit the lines above it (the YAML parser says: {msg})"
            ),
            hint: format!(
                "{}keys of one mapping must start in the same column, and the keys inside \
                 a block must be indented more than the block's key (2 spaces per level)",
                indent.map_or(String::new(), |n| format!(
                    "this line is indented {n} space{}; ",
                    if n == 1 { "" } else { "s" }
                ))
            ),
            ..at(position)
        };
    }
    // Other syntax errors: the parser's words, with general advice.
    YamlWords {
        hint: "check the YAML syntax of this line; quote values that contain `: `, ` #` \
               or start with a special character"
            .into(),
        ..at(position)
    }
}

/// What a field expects, in plain words, and an example of it: the
/// `x-expects` and `x-example` the spec's types give the JSON Schema.
struct FieldDoc {
    /// "a non-negative integer"
    expects: &'static str,
    /// "`desiredCount: 2`"
    example: &'static str,
}

/// The description of the field at `path`.
fn field_doc(path: &FieldPath) -> Option<FieldDoc> {
    field_doc_at(path.words().as_slice())
}

/// How to write the field at `words` (a map key is any word, an index is
/// `[]`), e.g. "`desiredCount: 2`": the example the hints give, and the one
/// the spec reference shows.
pub fn example(words: &[&str]) -> Option<&'static str> {
    field_doc_at(words).map(|doc| doc.example)
}

/// The field at `words` in the schema, as described on its type.
fn field_doc_at(words: &[&str]) -> Option<FieldDoc> {
    static SCHEMA: LazyLock<Value> = LazyLock::new(super::raw::schema_value);
    let root = &*SCHEMA;
    let node = words
        .iter()
        .try_fold(root, |node, word| super::schema::child(root, node, word))?;
    let text = |key: &str| {
        [node, super::schema::resolve(root, node)]
            .into_iter()
            .find_map(|n| n.get(key)?.as_str())
    };
    Some(FieldDoc {
        expects: text("x-expects")?,
        example: text("x-example")?,
    })
}

/// The parser's message without its own location suffix (we print ours).
fn error_text(error: &YamlError) -> String {
    let text = error.to_string();
    // serde-saphyr appends " at line L, column C"; the location is printed in front instead.
    let text = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    text.trim().to_owned()
}

/// The path of the mapping an unknown `key` was found in.
fn parent_of_key(path: &FieldPath, key: &str) -> FieldPath {
    match path.segments() {
        [parent @ .., Segment::Key(last)] if last == key => parent.iter().cloned().collect(),
        _ => path.clone(),
    }
}

/// serde's name of what it found, in YAML words.
fn serde_found(unexpected: &str) -> String {
    match unexpected {
        "sequence" => "a list".into(),
        "map" => "a mapping".into(),
        "unit value" => "nothing".into(),
        other => other.into(),
    }
}

/// What the node at `position` is, from the source text: the value as
/// written for a scalar, or its shape for a list or mapping.
fn found_at(text: &str, (line, column): (usize, usize)) -> Option<String> {
    let line = text.lines().nth(line.checked_sub(1)?)?;
    let rest: String = line.chars().skip(column.saturating_sub(1)).collect();
    let rest = match rest.find(" #") {
        Some(i) => &rest[..i],
        None => &rest,
    }
    .trim();
    let quoted = rest.starts_with(['"', '\'']);
    Some(match rest {
        "" => return None,
        _ if rest == "-" || rest.starts_with("- ") || rest.starts_with('[') => "a list".into(),
        _ if rest.starts_with('{') => "a mapping".into(),
        _ if !quoted && (rest.ends_with(':') || rest.contains(": ")) => "a mapping".into(),
        _ if quoted => rest.to_owned(),
        _ => format!("`{rest}`"),
    })
}

fn is_integer_type(ty: &str) -> bool {
    matches!(
        ty,
        "i8" | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
    )
}

/// `123` or `+5` as written (not `-4`, `"123"` or `1.5`): a count that can
/// only have failed to parse for being too large.
fn is_large_integer_literal(found: &str) -> bool {
    let digits = found.trim_matches('`');
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A Rust scalar type name in user words.
fn rust_type_words(ty: &str) -> &str {
    match ty {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer",
        _ if is_integer_type(ty) => "an integer",
        "f32" | "f64" | "floating point" => "a number",
        "bool" | "boolean" => "a boolean (true or false)",
        other => other,
    }
}

/// What the parser says a field without an entry in [`field_doc`] expects.
fn parser_expects(error: &YamlError) -> String {
    match error {
        YamlError::InvalidScalar { ty, .. } => rust_type_words(ty).to_owned(),
        YamlError::Unexpected { expected, .. } => shape_words(expected).to_owned(),
        YamlError::SerdeInvalidType { expected, .. }
        | YamlError::SerdeInvalidValue { expected, .. } => expected.clone(),
        _ => "another kind of value".to_owned(),
    }
}

/// "sequence start" / "mapping start" in user words.
fn shape_words(expected: &str) -> &str {
    match expected {
        "sequence start" => "a list",
        "mapping start" => "a mapping",
        other => other,
    }
}

/// serde_json's `invalid type: X, expected Y` in the words of a JSON author:
/// JSON arrays and objects, integers and numbers, not Rust types.
fn json_words(message: &str) -> String {
    let (head, expected) = match message.split_once(", expected ") {
        Some((head, expected)) => (head, Some(expected)),
        None => (message, None),
    };
    let head = match head.split_once(": ") {
        Some((kind, "sequence")) => format!("{kind}: array"),
        Some((kind, "map")) => format!("{kind}: object"),
        _ => head.to_owned(),
    };
    let Some(expected) = expected else {
        return head;
    };
    let expected = match expected {
        "a sequence" => "a JSON array",
        "a map" => "a JSON object",
        e if e.starts_with("struct ") => "a JSON object",
        e => rust_type_words(e),
    };
    format!("{head}, expected {expected}")
}

/// For serde's "unknown field `x`, expected one of `a`, `b`": the closest of
/// the expected names.
fn did_you_mean_in(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, rest) = rest.split_once('`')?;
    let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    closest(unknown, &names).map(str::to_owned)
}

/// The known name a misspelled `name` most likely meant, if any is close.
pub(crate) fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let name = name.to_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&name, &k.to_lowercase()), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(2) || k.to_lowercase().starts_with(&name))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Whether the text has anything but blank lines and comments.
fn has_content(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#') && l != "---" && l != "..."
    })
}

/// The last `[` or `{` opened before `before_line` (1-based) and not closed
/// by then, ignoring quoted text and comments: (line, column, bracket).
fn unclosed_bracket(text: &str, before_line: usize) -> Option<(usize, usize, char)> {
    let mut open: Vec<(usize, usize, char)> = Vec::new();
    for (i, line) in text.lines().enumerate().take(before_line.saturating_sub(1)) {
        let mut quote = None;
        let mut previous = ' ';
        for (j, c) in line.chars().enumerate() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') if previous == ' ' || "[{,:".contains(previous) => {
                    quote = Some(c)
                }
                (None, '#') if previous == ' ' || j == 0 => break,
                (None, '[' | '{') => open.push((i + 1, j + 1, c)),
                (None, ']' | '}') => {
                    open.pop();
                }
                _ => {}
            }
            previous = c;
        }
    }
    open.pop()
}

fn source_line(text: &str, line: usize) -> Option<String> {
    text.lines()
        .nth(line.checked_sub(1)?)
        .map(|l| clip(l.trim_end(), MAX_ECHO))
}

/// How much of a user's line or value an error shows.
const MAX_ECHO: usize = 200;

/// `text`, cut to `max` characters with a note of how much was left out,
/// so an error never echoes a huge line or value back.
pub fn clip(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… ({} more characters)", count - max)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", clip(&self.message, 4 * MAX_ECHO))?;
        if let (Some((line, _)), Some(src)) = (self.position, &self.source_line) {
            write!(f, "\n  {line:>4} | {src}")?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}
