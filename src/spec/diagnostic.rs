//! Spec errors a user can act on: file, line, field, what is wrong, how to fix it.
//!
//! ```text
//! environments/staging.yaml:8:5: services.worker.desiredCount: expected a non-negative integer, found -1
//!     8 |     desiredCount: -1
//!   hint: set 0 or more, or remove desiredCount to leave the live count alone
//! ```

use crate::source::SourceError;
use crate::taskdef::model::TaskDefinitionError;
use std::fmt;

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

    /// A YAML syntax or type error from the parser.
    pub fn from_yaml_error(file: &str, text: &str, error: &serde_saphyr::Error) -> Diagnostic {
        let position = error
            .location()
            .filter(|l| l.line() > 0)
            .map(|l| (l.line() as usize, l.column() as usize));
        let message = yaml_message(error);
        let hint = yaml_hint(&message);
        Diagnostic::semantic(file, text, position, String::new(), message, hint)
    }

    /// A task-definition JSON error (syntax, type, unknown key).
    pub fn from_task_definition_error(
        file: &str,
        text: &str,
        error: &TaskDefinitionError,
    ) -> Diagnostic {
        Diagnostic::semantic(
            file,
            text,
            (error.line() > 0).then(|| (error.line(), error.column())),
            error.path().to_owned(),
            error.message().to_owned(),
            "a task definition is RegisterTaskDefinition input, as `aws ecs register-task-definition --cli-input-json` takes it".into(),
        )
    }
}

/// The parser's message without its own location suffix (we print ours).
fn yaml_message(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    // serde-saphyr appends " at line L, column C"; the location is printed in front instead.
    let text = match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    text.trim().to_owned()
}

fn yaml_hint(message: &str) -> String {
    if message.contains("unknown field") {
        "check the spelling; the fields are listed in schemas/environment.schema.json".into()
    } else if message.contains("missing field") {
        "add the field; see the spec reference in README.md".into()
    } else if message.contains("invalid type") {
        "check the value's type against schemas/environment.schema.json".into()
    } else {
        String::new()
    }
}

fn source_line(text: &str, line: usize) -> Option<String> {
    text.lines()
        .nth(line.checked_sub(1)?)
        .map(|l| l.trim_end().to_owned())
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
        write!(f, "{}", self.message)?;
        if let (Some((line, _)), Some(src)) = (self.position, &self.source_line) {
            write!(f, "\n  {line:>4} | {src}")?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}
