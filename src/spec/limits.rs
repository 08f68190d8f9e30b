//! What ECS and Docker accept, checked before anything reaches ECS: image
//! references, names (environments, clusters, services), tag values, sizes
//! and durations. Pure functions: each returns what is wrong in words, or
//! nothing. The validator turns them into diagnostics with file, line and hint.

use std::time::Duration;

/// ECS's limit on a container image reference.
pub const MAX_IMAGE: usize = 255;
/// ECS's limit on cluster, service and family names.
pub const MAX_NAME: usize = 255;
/// ECS's limit on a RegisterTaskDefinition request (the task definition).
pub const MAX_TASK_DEFINITION_BYTES: usize = 64 * 1024;
/// ECS's limit on containers per task definition.
pub const MAX_CONTAINERS: usize = 10;
/// The largest spec file deckhand reads (a spec is a few kilobytes).
pub const MAX_SPEC_BYTES: usize = 1024 * 1024;
/// The longest wait a spec may ask for.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
/// ECS's limit on a tag value (the schema revision is one).
pub const MAX_TAG_VALUE: usize = 256;
/// The longest environment name: its cluster tag keys
/// (`deckhand:<env>:schema-revision`) must fit ECS's 128-character keys.
pub const MAX_ENVIRONMENT_NAME: usize = 128 - crate::tags::LONGEST_CLUSTER_KEY_WITHOUT_NAME;

/// An environment name: it becomes a file name, a task-definition family
/// (`<env>-migrate`), tag keys and `startedBy`.
pub fn environment_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the environment name is empty".into());
    }
    if name.chars().count() > MAX_ENVIRONMENT_NAME {
        return Some(format!(
            "the environment name is {} characters long; at most {MAX_ENVIRONMENT_NAME} fit ECS's tag keys",
            name.chars().count()
        ));
    }
    bad_chars(name, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_').map(|bad| {
        format!("the environment name contains {bad}; use letters, digits, hyphens and underscores")
    })
}

/// A cluster, service or family name: 1–255 ASCII letters, digits, hyphens
/// and underscores. (A cluster may also be given as its ARN.)
pub fn ecs_name(what: &str, name: &str) -> Option<String> {
    if name.is_empty() {
        return Some(format!("the {what} name is empty"));
    }
    if name.len() > MAX_NAME {
        return Some(format!(
            "the {what} name is {} characters long; ECS allows {MAX_NAME}",
            name.len()
        ));
    }
    bad_chars(name, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_').map(|bad| {
        format!(
            "the {what} name contains {bad}; ECS allows letters, digits, hyphens and underscores"
        )
    })
}

/// A cluster: a name, or a cluster ARN.
pub fn cluster(cluster: &str) -> Option<String> {
    match cluster.strip_prefix("arn:") {
        Some(rest) => {
            let name = rest.rsplit_once(":cluster/").map(|(_, n)| n);
            match name {
                Some(name) => ecs_name("cluster", name),
                None => Some(
                    "this ARN is not a cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)"
                        .into(),
                ),
            }
        }
        None => ecs_name("cluster", cluster),
    }
}

/// A tag value (ECS: up to 256 letters, digits, spaces and `_ . : / = + - @`).
pub fn tag_value(what: &str, value: &str) -> Option<String> {
    if value.chars().count() > MAX_TAG_VALUE {
        return Some(format!(
            "the {what} is {} characters long; ECS tag values hold {MAX_TAG_VALUE}",
            value.chars().count()
        ));
    }
    bad_chars(value, |c| {
        c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
    })
    .map(|bad| format!("the {what} contains {bad}; ECS tag values allow letters, digits, spaces and _ . : / = + - @"))
}

/// A duration the spec asks deckhand to wait.
pub fn duration(value: Duration) -> Option<String> {
    (value > MAX_DURATION).then(|| {
        format!(
            "{} is longer than deckhand waits (at most {})",
            humantime::format_duration(value),
            humantime::format_duration(MAX_DURATION)
        )
    })
}

/// A container image reference, by Docker's grammar
/// (`[registry[:port]/]path[:tag][@digest]`) and ECS's length limit.
pub fn image(reference: &str) -> Option<String> {
    if reference.is_empty() {
        return Some("the image is empty".into());
    }
    if reference.len() > MAX_IMAGE {
        return Some(format!(
            "the image reference is {} characters long; ECS allows {MAX_IMAGE}",
            reference.len()
        ));
    }
    if let Some(bad) = bad_chars(reference, |c| c.is_ascii_graphic()) {
        return Some(format!("the image reference contains {bad}"));
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    if let Some(digest) = digest
        && !valid_digest(digest)
    {
        return Some(format!(
            "'@{digest}' is not a digest (e.g. @sha256: and 64 hex digits)"
        ));
    }
    // A tag follows the last ':' after the last '/' (a ':' before it is a registry port).
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag
        && !valid_tag(tag)
    {
        return Some(format!(
            "':{tag}' is not a valid tag (up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-')"
        ));
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 && looks_like_registry(components[0]) {
        let registry = components.remove(0);
        if !valid_registry(registry) {
            return Some(format!("'{registry}' is not a registry host (host[:port])"));
        }
    }
    for component in components {
        if !valid_path_component(component) {
            return Some(format!(
                "'{component}' is not a valid repository name component (lowercase letters and digits, separated by '.', '_', '__' or '-')"
            ));
        }
    }
    None
}

/// The first characters `ok` rejects, described (never echoing much).
fn bad_chars(text: &str, ok: impl Fn(char) -> bool) -> Option<String> {
    let bad = text.chars().find(|c| !ok(*c))?;
    Some(match bad {
        '\n' => "a line break".into(),
        '\t' => "a tab".into(),
        ' ' => "a space".into(),
        c if c.is_control() => format!("a control character (U+{:04X})", u32::from(c)),
        c => format!("'{c}'"),
    })
}

fn looks_like_registry(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

fn valid_registry(host: &str) -> bool {
    let (host, port) = match host.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host, None),
    };
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
}

fn valid_path_component(component: &str) -> bool {
    let lower_alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if component.is_empty()
        || !component.starts_with(lower_alnum)
        || !component.ends_with(lower_alnum)
    {
        return false;
    }
    // Separators: '.', '_', '__' or one or more '-' between alphanumerics.
    let mut run = String::new();
    for c in component.chars() {
        if lower_alnum(c) {
            if !(run.is_empty()
                || run == "."
                || run == "_"
                || run == "__"
                || run.chars().all(|r| r == '-'))
            {
                return false;
            }
            run.clear();
        } else if ".-_".contains(c) {
            run.push(c);
        } else {
            return false;
        }
    }
    true
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    !algorithm.is_empty()
        && algorithm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+._-".contains(c))
        && hex.len() >= 32
        && hex.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_docker_and_ecs_accept() {
        for ok in [
            "shop:3f9c2e1",
            "nginx",
            "library/nginx:1.27-alpine",
            "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/shop:3f9c2e1",
            "ghcr.io/acme/shop-web:v1.2.3",
            "localhost:5000/shop",
            "registry.example.com:5000/team/app__worker:latest",
            "public.ecr.aws/docker/library/redis:7",
            "shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "shop:1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(image(ok), None, "{ok}");
        }
    }

    #[test]
    fn images_docker_or_ecs_reject() {
        let long = format!("shop:{}", "a".repeat(300));
        let cases = [
            ("shop:1\nrm -rf /", "a line break"),
            ("shop :1", "a space"),
            (long.as_str(), "ECS allows 255"),
            ("Shop:1", "'Shop' is not a valid repository name"),
            ("shop:-1", "is not a valid tag"),
            ("shop:", "is not a valid tag"),
            ("shop@sha256:xyz", "is not a digest"),
            ("bad_host.example.com:port/shop", "is not a registry host"),
            ("acme//shop", "'' is not a valid repository name"),
            ("shop--", "is not a valid repository name"),
        ];
        for (bad, expected) in cases {
            let why = image(bad).unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(why.contains(expected), "{bad:?}: {why}");
            assert!(why.len() < 200, "the reason echoes at most a little: {why}");
        }
    }

    #[test]
    fn names_environments_clusters_and_tag_values() {
        assert_eq!(environment_name("staging"), None);
        assert_eq!(environment_name("prod_eu-1"), None);
        for (bad, expected) in [
            ("my env", "a space"),
            ("a/b", "'/'"),
            ("stäging", "'ä'"),
            ("", "empty"),
        ] {
            let why = environment_name(bad).unwrap();
            assert!(why.contains(expected), "{bad:?}: {why}");
        }
        assert!(environment_name(&"e".repeat(104)).is_some());
        assert_eq!(environment_name(&"e".repeat(103)), None);
        assert_eq!(cluster("shop-staging"), None);
        assert_eq!(
            cluster("arn:aws:ecs:us-east-1:123456789012:cluster/shop"),
            None
        );
        assert!(cluster("shop staging").is_some());
        assert!(cluster("arn:aws:ecs:us-east-1:123456789012:service/shop/web").is_some());
        assert_eq!(tag_value("revision", "20261120093000"), None);
        assert!(tag_value("revision", "2026\n").is_some());
        assert!(tag_value("revision", &"1".repeat(257)).is_some());
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(duration(Duration::from_secs(3600)), None);
        let why = duration(Duration::from_secs(100_000_000_000 * 3600)).unwrap();
        assert!(why.contains("at most 1day"), "{why}");
    }
}
