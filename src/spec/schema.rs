//! Walking the JSON Schemas that schemars makes of deckhand's types: `$ref`s
//! followed, optional fields (`anyOf` with `null`) and alternatives
//! (`anyOf`, `oneOf`) seen through. The spec reference, the diagnostics'
//! field descriptions and the ignore-rule checks all walk them here.

use serde_json::Value;

/// The schema `node` stands for when it is one thing: `$ref`s followed, and
/// of an optional field (`anyOf` with `null`) the non-null kind.
pub fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    if let Some(target) = reference(root, node) {
        return resolve(root, target);
    }
    if let Some(options) = node.get("anyOf").and_then(Value::as_array)
        && let Some(some) = options.iter().find(|o| !is_null(o))
    {
        return resolve(root, some);
    }
    node
}

/// Every concrete schema `node` may stand for: `$ref`s followed, `anyOf`
/// and `oneOf` flattened, `null` left out.
pub fn variants<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    if let Some(target) = reference(root, node) {
        return variants(root, target);
    }
    let alternatives = node
        .get("anyOf")
        .or_else(|| node.get("oneOf"))
        .and_then(Value::as_array);
    match alternatives {
        Some(list) => list
            .iter()
            .filter(|n| !is_null(n))
            .flat_map(|n| variants(root, n))
            .collect(),
        None => vec![node],
    }
}

/// The schema of `word` inside `node`: a field of an object (of any of its
/// kinds), a value of a map (any word), an item of a list (`[]`).
pub fn child<'a>(root: &'a Value, node: &'a Value, word: &str) -> Option<&'a Value> {
    let kinds = variants(root, node);
    if word == "[]" {
        return kinds.iter().find_map(|k| k.get("items"));
    }
    kinds
        .iter()
        .find_map(|k| k.get("properties")?.get(word))
        .or_else(|| {
            kinds
                .iter()
                .find_map(|k| k.get("additionalProperties").filter(|v| v.is_object()))
        })
}

/// What a `$ref` node points to (`#/$defs/…`).
fn reference<'a>(root: &'a Value, node: &Value) -> Option<&'a Value> {
    let reference = node.get("$ref").and_then(Value::as_str)?;
    Some(
        reference
            .strip_prefix('#')
            .and_then(|p| root.pointer(p))
            .unwrap_or(&Value::Null),
    )
}

fn is_null(node: &Value) -> bool {
    node.get("type") == Some(&"null".into())
}
