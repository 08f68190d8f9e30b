//! ECS-aware normalization of task definitions before they are compared, so a
//! definition registered from a template and described back plans as
//! unchanged.
//!
//! Both sides (the rendered template and what DescribeTaskDefinition returned)
//! become JSON in the RegisterTaskDefinition shape, and then go through
//! [`RULES`], in order. Each rule names the ECS behaviour it undoes. Read-only
//! fields (ARN, revision, status, registeredAt/By, requiresAttributes,
//! compatibilities) never get this far: the task-definition model drops them.
//!
//! [`redact`] is separate: it hides secret-looking environment values in what
//! is *shown*, after comparison.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A named normalization rule.
pub struct Rule {
    /// Short name, for tests and docs.
    pub name: &'static str,
    /// What ECS does that this rule undoes.
    pub why: &'static str,
    apply: fn(&mut Value),
}

/// The rules, applied in this order.
pub const RULES: &[Rule] = &[
    Rule {
        name: "network-mode-default",
        why: "a definition registered without networkMode runs in bridge mode, and ECS may describe it with or without `networkMode: bridge`",
        apply: network_mode_default,
    },
    Rule {
        name: "container-defaults",
        why: "ECS reports `essential: true` and `cpu: 0` for containers registered without them",
        apply: container_defaults,
    },
    Rule {
        name: "port-mapping-defaults",
        why: "ECS fills `protocol: tcp`; `hostPort = containerPort` under awsvpc and host; and `hostPort: 0` (a dynamic port) under bridge",
        apply: port_mapping_defaults,
    },
    Rule {
        name: "volume-defaults",
        why: "ECS describes an EFS volume without rootDirectory as `rootDirectory: \"/\"`, and without transitEncryption as `DISABLED`",
        apply: volume_defaults,
    },
    Rule {
        name: "false-is-absent",
        why: "booleans ECS defaults to false (`enableFaultInjection`, `privileged`, `readonlyRootFilesystem`, …) may be described as `false` or left out",
        apply: false_is_absent,
    },
    Rule {
        name: "health-check-defaults",
        why: "ECS fills healthCheck interval 30, timeout 5, retries 3",
        apply: health_check_defaults,
    },
    Rule {
        name: "task-size-units",
        why: "task cpu/memory may be written with units (\"1 vCPU\", \"2 GB\"); ECS reports CPU units and MiB",
        apply: task_size_units,
    },
    Rule {
        name: "sort-unordered-lists",
        why: "ECS does not keep the order of environment, secrets, port mappings, mount points, volumes, tags …",
        apply: sort_unordered_lists,
    },
    Rule {
        name: "empty-is-absent",
        why: "ECS reports `[]`/`{}` for lists and objects that were not registered (mountPoints, volumesFrom, environment …)",
        apply: drop_empty,
    },
    Rule {
        name: "sorted-keys",
        why: "object key order carries no meaning; a fixed order keeps diffs stable",
        apply: sort_keys,
    },
];

/// Normalize a task definition (RegisterTaskDefinition-shaped JSON).
pub fn normalize(mut td: Value) -> Value {
    for rule in RULES {
        (rule.apply)(&mut td);
    }
    td
}

fn containers(td: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    td.get_mut("containerDefinitions")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

fn network_mode_default(td: &mut Value) {
    if let Some(obj) = td.as_object_mut() {
        obj.entry("networkMode")
            .or_insert_with(|| Value::String("bridge".into()));
    }
}

fn container_defaults(td: &mut Value) {
    for c in containers(td) {
        c.entry("essential").or_insert(Value::Bool(true));
        if c.get("cpu").and_then(Value::as_i64) == Some(0) {
            c.remove("cpu");
        }
    }
}

fn port_mapping_defaults(td: &mut Value) {
    let mode = td
        .get("networkMode")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let host_is_container = matches!(mode.as_deref(), Some("awsvpc" | "host"));
    let bridge = matches!(mode.as_deref(), None | Some("bridge"));
    for c in containers(td) {
        for pm in c
            .get_mut("portMappings")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object_mut)
        {
            pm.entry("protocol")
                .or_insert_with(|| Value::String("tcp".into()));
            if host_is_container
                && !pm.contains_key("hostPort")
                && let Some(port) = pm.get("containerPort").cloned()
            {
                pm.insert("hostPort".into(), port);
            }
            if bridge && pm.get("hostPort").and_then(Value::as_i64) == Some(0) {
                pm.remove("hostPort");
            }
        }
    }
}

fn volume_defaults(td: &mut Value) {
    let volumes = td
        .get_mut("volumes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten();
    for efs in volumes.filter_map(|v| {
        v.get_mut("efsVolumeConfiguration")
            .and_then(Value::as_object_mut)
    }) {
        for (key, default) in [("rootDirectory", "/"), ("transitEncryption", "DISABLED")] {
            if efs.get(key).and_then(Value::as_str) == Some(default) {
                efs.remove(key);
            }
        }
    }
}

/// Top-level and container booleans whose default is false.
const FALSE_BY_DEFAULT: &[&str] = &["enableFaultInjection"];
const CONTAINER_FALSE_BY_DEFAULT: &[&str] = &[
    "privileged",
    "readonlyRootFilesystem",
    "disableNetworking",
    "interactive",
    "pseudoTerminal",
];

fn false_is_absent(td: &mut Value) {
    let is_false = |v: Option<&Value>| v.and_then(Value::as_bool) == Some(false);
    if let Some(obj) = td.as_object_mut() {
        for key in FALSE_BY_DEFAULT {
            if is_false(obj.get(*key)) {
                obj.remove(*key);
            }
        }
    }
    for c in containers(td) {
        for key in CONTAINER_FALSE_BY_DEFAULT {
            if is_false(c.get(*key)) {
                c.remove(*key);
            }
        }
        if let Some(lp) = c.get_mut("linuxParameters").and_then(Value::as_object_mut)
            && is_false(lp.get("initProcessEnabled"))
        {
            lp.remove("initProcessEnabled");
        }
    }
}

fn health_check_defaults(td: &mut Value) {
    for c in containers(td) {
        if let Some(hc) = c.get_mut("healthCheck").and_then(Value::as_object_mut) {
            hc.entry("interval").or_insert(30.into());
            hc.entry("timeout").or_insert(5.into());
            hc.entry("retries").or_insert(3.into());
        }
    }
}

fn task_size_units(td: &mut Value) {
    let Some(obj) = td.as_object_mut() else {
        return;
    };
    for (key, unit) in [("cpu", 1024.0), ("memory", 1024.0)] {
        if let Some(Value::String(text)) = obj.get(key)
            && let Some(n) = parse_size(text, key == "cpu", unit)
        {
            obj.insert(key.into(), Value::String(n.to_string()));
        }
    }
}

/// "1 vCPU" → 1024, "0.25 vcpu" → 256, "2 GB" → 2048, "512 MiB" → 512, "512" → 512.
fn parse_size(text: &str, cpu: bool, per_unit: f64) -> Option<u64> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match (cpu, unit.trim()) {
        (_, "") => 1.0,
        (true, "vcpu") => per_unit,
        (false, "gb" | "gib") => per_unit,
        (false, "mb" | "mib") => 1.0,
        _ => return None,
    };
    let value = number * factor;
    (value.fract() == 0.0 && value >= 0.0).then_some(value as u64)
}

/// Lists whose order ECS does not keep, and the keys that order them.
const UNORDERED: &[(&str, &[&str])] = &[
    ("environment", &["name"]),
    ("secrets", &["name"]),
    (
        "portMappings",
        &["containerPort", "protocol", "hostPort", "name"],
    ),
    ("mountPoints", &["sourceVolume", "containerPath"]),
    ("volumesFrom", &["sourceContainer"]),
    ("ulimits", &["name"]),
    ("dependsOn", &["containerName"]),
    ("extraHosts", &["hostname"]),
    ("systemControls", &["namespace"]),
    ("resourceRequirements", &["type"]),
    ("environmentFiles", &["value"]),
    ("volumes", &["name"]),
    ("tags", &["key"]),
    ("placementConstraints", &["type", "expression"]),
    ("requiresCompatibilities", &[]),
];

fn sort_unordered_lists(td: &mut Value) {
    fn sort_in(obj: &mut Map<String, Value>) {
        for (field, keys) in UNORDERED {
            if let Some(Value::Array(items)) = obj.get_mut(*field) {
                items.sort_by_key(|item| sort_key(item, keys));
            }
        }
    }
    if let Some(obj) = td.as_object_mut() {
        sort_in(obj);
    }
    for c in containers(td) {
        sort_in(c);
    }
}

fn sort_key(item: &Value, keys: &[&str]) -> String {
    if keys.is_empty() {
        return item.to_string();
    }
    keys.iter()
        .map(|k| match item.get(*k) {
            Some(Value::Number(n)) => format!("{:>12}", n.to_string()),
            Some(v) => v.to_string(),
            None => String::new(),
        })
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

pub(super) fn drop_empty(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                drop_empty(v);
            }
            map.retain(|_, v| !is_empty(v));
        }
        Value::Array(items) => items.iter_mut().for_each(drop_empty),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

pub(super) fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, mut v) in entries {
                sort_keys(&mut v);
                map.insert(k, v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

/// Words that mark an environment variable as secret.
const SECRET_MARKERS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "TOKEN",
    "PRIVATE",
    "CREDENTIAL",
    "API_KEY",
    "ACCESS_KEY",
    "DATABASE_URL",
    "_DSN",
];

/// Is an environment variable of this name likely to hold a secret?
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_MARKERS.iter().any(|m| upper.contains(m)) || upper.ends_with("_KEY")
}

/// Replace secret-looking environment values with a fingerprint, for display.
/// (Values in `secrets` are ARNs, not secrets, and are shown.) Two different
/// values get different fingerprints, so a diff still shows *that* it changed.
pub fn redact(mut td: Value) -> Value {
    for c in containers(&mut td) {
        for var in c
            .get_mut("environment")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object_mut)
        {
            let secret = var
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(is_secret_name);
            if secret && let Some(Value::String(v)) = var.get("value") {
                let digest = Sha256::digest(v.as_bytes());
                let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                var.insert(
                    "value".into(),
                    Value::String(format!("(sensitive value {short})")),
                );
            }
        }
    }
    td
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ecs_added_defaults_are_equal_to_their_absence() {
        let registered = json!({
            "family": "web",
            "networkMode": "awsvpc",
            "cpu": "1 vCPU",
            "memory": "2 GB",
            "containerDefinitions": [{
                "name": "app", "image": "shop:1", "memory": 512,
                "portMappings": [{"containerPort": 3000}],
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                "healthCheck": {"command": ["CMD", "true"]}
            }]
        });
        let described = json!({
            "containerDefinitions": [{
                "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "cpu": 0, "essential": true, "image": "shop:1", "memory": 512,
                "mountPoints": [], "volumesFrom": [], "name": "app",
                "portMappings": [{"containerPort": 3000, "hostPort": 3000, "protocol": "tcp"}],
                "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3}
            }],
            "cpu": "1024", "family": "web", "memory": "2048", "networkMode": "awsvpc",
            "volumes": [], "placementConstraints": []
        });
        assert_eq!(normalize(registered), normalize(described));
    }

    #[test]
    fn real_changes_survive_normalization() {
        let a = json!({"containerDefinitions": [{"name": "app", "image": "shop:1"}]});
        let b = json!({"containerDefinitions": [{"name": "app", "image": "shop:2"}]});
        assert_ne!(normalize(a), normalize(b));
        let a = json!({"containerDefinitions": [{"name": "app", "essential": false}]});
        let b = json!({"containerDefinitions": [{"name": "app"}]});
        assert_ne!(normalize(a), normalize(b));
    }

    #[test]
    fn host_port_defaults_only_under_awsvpc() {
        let bridge = json!({"containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80}]}]});
        let with_host = json!({"containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 80}]}]});
        assert_ne!(normalize(bridge), normalize(with_host));
    }

    #[test]
    fn a_dynamic_host_port_under_bridge_is_the_same_as_none() {
        // ECS describes a bridge-mode mapping without hostPort as `"hostPort": 0`.
        let sent = json!({"containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80}]}]});
        let described = json!({"networkMode": "bridge", "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]}]});
        assert_eq!(normalize(sent), normalize(described));
        let host = json!({"networkMode": "host", "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80}]}]});
        let host_described = json!({"networkMode": "host", "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 80}]}]});
        assert_eq!(normalize(host), normalize(host_described));
        // A fixed host port is a real difference from a dynamic one.
        let fixed = json!({"containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]});
        assert_ne!(normalize(fixed), normalize(described_again()));
    }

    fn described_again() -> Value {
        json!({"networkMode": "bridge", "containerDefinitions": [{"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 0}]}]})
    }

    #[test]
    fn efs_defaults_are_equal_to_their_absence() {
        let sent =
            json!({"volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]});
        let described = json!({"volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/", "transitEncryption": "DISABLED"}}]});
        assert_eq!(normalize(sent.clone()), normalize(described));
        let sub = json!({"volumes": [{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/data"}}]});
        assert_ne!(normalize(sent), normalize(sub));
    }

    #[test]
    fn booleans_that_default_to_false_are_equal_to_their_absence() {
        let sent = json!({"enableFaultInjection": false, "containerDefinitions": [{"name": "a", "privileged": false, "linuxParameters": {"initProcessEnabled": false}}]});
        let described = json!({"containerDefinitions": [{"name": "a", "linuxParameters": {}}]});
        assert_eq!(normalize(sent), normalize(described));
        let on = json!({"enableFaultInjection": true, "containerDefinitions": [{"name": "a"}]});
        assert_ne!(
            normalize(on),
            normalize(json!({"containerDefinitions": [{"name": "a"}]}))
        );
    }

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("1 vCPU", true, 1024.0), Some(1024));
        assert_eq!(parse_size("0.25 vcpu", true, 1024.0), Some(256));
        assert_eq!(parse_size("512", true, 1024.0), Some(512));
        assert_eq!(parse_size("2 GB", false, 1024.0), Some(2048));
        assert_eq!(parse_size("0.5GB", false, 1024.0), Some(512));
        assert_eq!(parse_size("512 MiB", false, 1024.0), Some(512));
        assert_eq!(parse_size("lots", false, 1024.0), None);
    }

    #[test]
    fn secret_values_are_fingerprinted_not_shown() {
        let td = json!({"containerDefinitions": [{"name": "a", "environment": [
            {"name": "DATABASE_PASSWORD", "value": "hunter2"},
            {"name": "RAILS_ENV", "value": "production"}
        ]}]});
        let shown = redact(td).to_string();
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("(sensitive value "));
        assert!(shown.contains("production"));
    }
}
