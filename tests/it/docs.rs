//! The documentation holds together: every relative link in README.md and
//! docs/ reaches a file (and a heading, for `#anchor`s), and every docs page
//! that an error hint names exists. No server.

use crate::support::fixture::project_root;
use deckhand::spec::reference::anchor;
use std::path::{Path, PathBuf};

/// README.md and every page of docs/.
fn pages() -> Vec<PathBuf> {
    let root = project_root();
    let mut pages = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages
}

/// The `](target)` links of a Markdown text, outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    found
}

/// The anchors of a page's headings, as GitHub makes them.
fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| anchor(l.trim_start_matches('#').trim()))
        .collect()
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = match link.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            assert!(
                target.exists(),
                "{}: link {link} leads nowhere",
                page.display()
            );
            if let Some(fragment) = fragment
                && target.extension().is_some_and(|e| e == "md")
            {
                let headings = anchors(&std::fs::read_to_string(&target).unwrap());
                assert!(
                    headings.iter().any(|a| a == fragment),
                    "{}: link {link}: no such heading in {}",
                    page.display(),
                    target.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} links found");
}

#[test]
fn every_docs_page_a_hint_names_exists() {
    let root = project_root();
    let mut named = Vec::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rest = text.as_str();
                while let Some(start) = rest.find("docs/") {
                    let tail = &rest[start..];
                    let end = tail
                        .find(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)))
                        .unwrap_or(tail.len());
                    let name = tail[..end].trim_end_matches('.');
                    if name.ends_with(".md") {
                        named.push((path.clone(), name.to_owned()));
                    }
                    rest = &tail[end..];
                }
            }
        }
    }
    assert!(
        named.iter().any(|(_, n)| n == "docs/spec.md"),
        "the hints name docs/spec.md: {named:?}"
    );
    for (source, name) in &named {
        assert!(
            Path::new(&root).join(name).exists(),
            "{} names {name}, which does not exist",
            source.display()
        );
    }
}
