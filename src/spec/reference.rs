//! The spec reference, `docs/spec.md`: one section per field of an
//! environment file, made from the JSON Schema (whose descriptions are the
//! doc comments of the spec's types, so each is written once). A unit test
//! fails when the checked-in page is stale; `DECKHAND_BLESS=1 cargo test
//! --lib spec::reference` writes it.

use super::schema::resolve;
use serde_json::Value;

/// Where the page is, relative to the repo root; hints name it.
pub const PATH: &str = "docs/spec.md";

/// The page, from the schema.
pub fn markdown() -> String {
    let schema = super::raw::schema_value();
    let mut out = String::from(
        "# The spec reference\n\n\
         <!-- Made from the JSON Schema (the doc comments of the spec's types);\n\
         \x20    DECKHAND_BLESS=1 cargo test --lib spec::reference writes it again. -->\n\n\
         An environment is one YAML file, `environments/<name>.yaml`; the stem is\n\
         its name. Unknown fields are errors. Durations are humantime (`90s`,\n\
         `10m`, `1h30m`). The machine-readable form of this page is\n\
         [`schemas/environment.schema.json`](../schemas/environment.schema.json)\n\
         (`deckhand schema`); a complete example is\n\
         [`examples/shop`](../examples/shop).\n\n\
         Every field, in the order of the file:\n\n",
    );
    let mut sections = Vec::new();
    fields(&schema, &schema, "", &mut sections);
    for (path, _) in &sections {
        out += &format!("- [`{path}`](#{})\n", anchor(path));
    }
    for (path, body) in &sections {
        out += &format!("\n## `{path}`\n\n{body}");
    }
    out
}

/// The GitHub anchor of a field's heading.
pub fn anchor(path: &str) -> String {
    path.chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

/// The words of a reference path, as the diagnostics name fields:
/// `services.<name>.desiredCount` → `services`, any, `desiredCount`;
/// `notifications[].slack` → `notifications`, `[]`, `slack`.
fn words(path: &str) -> Vec<&str> {
    path.split('.')
        .flat_map(|part| match part.strip_suffix("[]") {
            Some(list) => vec![list, "[]"],
            None => vec![part],
        })
        .map(|word| if word == "<name>" { "*" } else { word })
        .collect()
}

/// Each field of object `node` under `prefix`, with its section's text.
fn fields(root: &Value, node: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    let node = resolve(root, node);
    let required: Vec<&str> = node["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let Some(properties) = node["properties"].as_object() else {
        return;
    };
    for (name, field) in properties {
        let path = format!("{prefix}{name}");
        let target = resolve(root, field);
        let mut body = String::new();
        for text in [field.get("description"), target.get("description")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .take(1)
        {
            body += &format!("{}\n\n", text.replace('\n', " "));
        }
        body += &format!(
            "{}: {}.",
            if required.contains(&name.as_str()) {
                "Required"
            } else {
                "Optional"
            },
            kind(root, field)
        );
        if let Some(default) = field.get("default").filter(|d| !d.is_null()) {
            body += &format!(" Default: `{default}`.");
        }
        body.push('\n');
        if let Some(example) = super::diagnostic::example(&words(&path)) {
            body += &format!("\nExample: {example}\n");
        }
        out.push((path.clone(), body));
        // What is inside: an object's fields, a map's values, a list's items.
        if let Some(values) = target.get("additionalProperties").filter(|v| v.is_object()) {
            fields(root, values, &format!("{path}.<name>."), out);
        } else if let Some(items) = target.get("items") {
            let items = resolve(root, items);
            match items.get("oneOf").and_then(Value::as_array) {
                Some(kinds) => {
                    for kind in kinds {
                        fields(root, kind, &format!("{path}[]."), out);
                    }
                }
                None => fields(root, items, &format!("{path}[]."), out),
            }
        } else if target.get("properties").is_some() {
            fields(root, target, &format!("{path}."), out);
        }
    }
}

/// "a string" → "strings"; anything else → "values (…)".
fn plural(kind: &str) -> String {
    match kind.strip_prefix("a ").or_else(|| kind.strip_prefix("an ")) {
        Some(one) if !one.contains(' ') => format!("{one}s"),
        _ => format!("values ({kind})"),
    }
}

/// A field's type in words.
fn kind(root: &Value, field: &Value) -> String {
    let target = resolve(root, field);
    if let Some(values) = target.get("oneOf").and_then(Value::as_array)
        && values.iter().all(|v| v.get("const").is_some())
    {
        let names: Vec<String> = values.iter().map(|v| format!("`{}`", v["const"])).collect();
        return format!("one of {}", names.join(", ").replace('"', ""));
    }
    let types: Vec<&str> = match &target["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["object"],
    };
    let types: Vec<String> = types
        .into_iter()
        .filter(|t| *t != "null")
        .map(|t| match t {
            "array" => match target.get("items").map(|i| kind(root, i)) {
                Some(items) => format!("a list of {}", plural(&items)),
                None => "a list".to_owned(),
            },
            "object" => match target.get("additionalProperties").filter(|v| v.is_object()) {
                Some(values) => format!("a map of names to {}", plural(&kind(root, values))),
                None => "an object".to_owned(),
            },
            "integer" => match target.get("minimum") {
                Some(min) => format!("an integer ≥ {min}"),
                None => "an integer".to_owned(),
            },
            other => format!("a {other}"),
        })
        .collect();
    types.join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_spec_reference_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
        let made = markdown();
        if std::env::var_os("DECKHAND_BLESS").is_some() {
            std::fs::write(&path, &made).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == made,
            "{PATH} is stale: run DECKHAND_BLESS=1 cargo test --lib spec::reference"
        );
    }

    #[test]
    fn every_field_has_a_section_and_anchors_are_githubs() {
        let page = markdown();
        for field in [
            "cluster",
            "image",
            "migration.revision",
            "services.<name>.desiredCount",
        ] {
            assert!(page.contains(&format!("\n## `{field}`\n")), "{field}");
        }
        assert_eq!(
            anchor("services.<name>.desiredCount"),
            "servicesnamedesiredcount"
        );
        assert_eq!(anchor("notifications[].slack"), "notificationsslack");
    }
}
