//! The bad-input corpus: bad input gets a clear error and changes nothing.
//!
//! Every directory of `tests/corpus/` except `_base` is one case: files laid
//! over a copy of `tests/corpus/_base/` (a valid config repo), always with an
//! `environments/bad.yaml`, plus an `expect.txt` (see `tests/corpus/README.md`).
//! Each case is run through `deckhand validate` (no AWS at all) and
//! `deckhand plan` (AWS pointed at the emulator), and both must exit 1, name
//! the broken file, print every expected line, never panic, and make no ECS
//! call of any kind. All failures are collected and reported together.
//!
//! The symlink cases cannot be stored in git portably, so their tests build
//! them here, both as a plain directory and as a committed git repo.

use crate::support::fixture::{Fixture, Run, git, project_root};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    project_root().join("tests/corpus")
}

/// Copy `from` into `to`, leaving out `expect.txt` (it is not part of the repo).
fn overlay(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            overlay(&entry.path(), &target);
        } else if entry.file_name() != "expect.txt" {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Repo-relative paths of the files under `dir`, `/`-separated.
fn files_under(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().unwrap().is_dir() {
            files_under(&entry.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
}

/// One line of `expect.txt`.
enum Expectation {
    /// At least one of these substrings is in stderr.
    AnyOf(Vec<String>),
    /// This substring is not in stderr.
    Not(String),
}

fn expectations(text: &str) -> Vec<Expectation> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.strip_prefix('!') {
            Some(forbidden) => Expectation::Not(forbidden.to_owned()),
            None => Expectation::AnyOf(l.split(" || ").map(str::to_owned).collect()),
        })
        .collect()
}

/// What is wrong with one run of a rejected spec (empty = nothing).
fn problems_of_rejection(run: &Run, files: &[String], expected: &[Expectation]) -> Vec<String> {
    let mut problems = Vec::new();
    if run.code != 1 {
        problems.push(format!("exit code {} (expected 1)", run.code));
    }
    for panic in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        if run.stderr.contains(panic) {
            problems.push(format!("stderr has panic text `{panic}`"));
        }
    }
    if !run.stdout.trim().is_empty() {
        problems.push("stdout is not empty: a rejected spec has no report".into());
    }
    if !files.iter().any(|f| run.stderr.contains(f.as_str())) {
        problems.push(format!("stderr names none of the case's files {files:?}"));
    }
    for e in expected {
        match e {
            Expectation::AnyOf(options) if !options.iter().any(|o| run.stderr.contains(o)) => {
                problems.push(format!("missing: {}", options.join(" || ")));
            }
            Expectation::Not(forbidden) if run.stderr.contains(forbidden.as_str()) => {
                problems.push(format!("should not contain: {forbidden}"));
            }
            _ => {}
        }
    }
    problems
}

fn report(case: &str, command: &str, problems: &[String], run: &Run) -> String {
    let mut out = format!("── {case} ({command})\n");
    for p in problems {
        let _ = writeln!(out, "   ✗ {p}");
    }
    let _ = writeln!(out, "   stderr:");
    for line in run.stderr.lines() {
        let _ = writeln!(out, "   │ {line}");
    }
    if !run.stdout.trim().is_empty() {
        let _ = writeln!(out, "   stdout:");
        for line in run.stdout.lines() {
            let _ = writeln!(out, "   │ {line}");
        }
    }
    out
}

#[test]
fn the_corpus_base_is_valid() {
    let fx = Fixture::new("corpusbase");
    let base = corpus_dir().join("_base");
    let run = fx.deckhand_with(
        &[
            "validate",
            "--repo",
            base.to_str().unwrap(),
            "--env",
            "good",
        ],
        &[],
    );
    run.expect_code(0);
}

#[test]
fn every_corpus_case_is_rejected_clearly_without_touching_ecs() {
    let fixture = Fixture::new("corpus");
    let root = corpus_dir();
    let mut cases: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('_'))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 35,
        "the corpus has only {} cases",
        cases.len()
    );

    let mut failures = Vec::new();
    let mut failed_cases = Vec::new();
    for case in &cases {
        let case_dir = root.join(case);
        assert!(
            case_dir.join("environments/bad.yaml").is_file(),
            "{case}: every case has environments/bad.yaml"
        );
        let expect_text = std::fs::read_to_string(case_dir.join("expect.txt"))
            .unwrap_or_else(|_| panic!("{case}: expect.txt is missing"));
        let expected = expectations(&expect_text);
        assert!(!expected.is_empty(), "{case}: expect.txt is empty");
        // The files the error may name: the spec, or a JSON file of the case.
        let mut files = Vec::new();
        files_under(&case_dir, "", &mut files);
        files.retain(|f| f == "environments/bad.yaml" || f.ends_with(".json"));

        let tmp = tempfile::Builder::new()
            .prefix("deckhand-corpus-")
            .tempdir()
            .unwrap();
        let repo = tmp.path().join("repo");
        overlay(&root.join("_base"), &repo);
        overlay(&case_dir, &repo);
        let repo_arg = repo.to_str().unwrap();

        let validate =
            fixture.deckhand_with(&["validate", "--repo", repo_arg, "--env", "bad"], &[]);
        let validate_problems = problems_of_rejection(&validate, &files, &expected);

        let calls_before = fixture.calls().len();
        let plan = fixture.deckhand_with(
            &["plan", "--repo", repo_arg, "--env", "bad"],
            &fixture.aws_env(),
        );
        let mut problems = problems_of_rejection(&plan, &files, &expected);
        let calls = fixture.calls();
        if calls.len() != calls_before {
            let made: Vec<&str> = calls[calls_before..]
                .iter()
                .map(|c| c.operation.as_str())
                .collect();
            problems.push(format!("ECS calls were made: {made:?}"));
        }
        // validate and plan print the same diagnostics: report them once when
        // both fail the same way.
        if !validate_problems.is_empty() && validate_problems == problems {
            failures.push(report(case, "validate and plan", &problems, &validate));
        } else {
            if !validate_problems.is_empty() {
                failures.push(report(case, "validate", &validate_problems, &validate));
            }
            if !problems.is_empty() {
                failures.push(report(case, "plan", &problems, &plan));
            }
        }
        if !validate_problems.is_empty() || !problems.is_empty() {
            failed_cases.push(case.as_str());
        }
    }

    let calls = fixture.calls();
    assert!(
        failures.is_empty() && calls.is_empty(),
        "{} of {} corpus cases failed: {}\n\n{}\nECS calls made: {:?}",
        failed_cases.len(),
        cases.len(),
        failed_cases.join(", "),
        failures.join("\n"),
        calls.iter().map(|c| &c.operation).collect::<Vec<_>>()
    );
}

/// A repo made of `_base` plus a spec whose taskDefinition is `template`;
/// `link` adds symlinks (`outside` is a directory next to the repo that holds
/// a valid `app.json`). Returns the temp dir (keep it alive) and the repo.
fn symlink_repo(template: &str, link: impl FnOnce(&Path, &Path)) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("deckhand-corpus-link-")
        .tempdir()
        .unwrap();
    let repo = tmp.path().join("repo");
    let outside = tmp.path().join("outside");
    overlay(&corpus_dir().join("_base"), &repo);
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(
        corpus_dir().join("_base/task-definitions/app.json"),
        outside.join("app.json"),
    )
    .unwrap();
    let good = std::fs::read_to_string(repo.join("environments/good.yaml")).unwrap();
    let bad = good.replace(
        "taskDefinition: task-definitions/app.json",
        &format!("taskDefinition: {template}"),
    );
    assert_ne!(good, bad);
    std::fs::write(repo.join("environments/bad.yaml"), bad).unwrap();
    link(&repo, &outside);
    (tmp, repo)
}

/// Both as a plain directory and as a committed git repo, validate and plan
/// reject the spec, name the template's line and the escaping symlink, and
/// make no ECS call.
fn assert_symlink_rejected(name: &str, template: &str, link: impl Fn(&Path, &Path)) {
    let fixture = Fixture::new(name);
    let mut failures = Vec::new();
    for as_git in [false, true] {
        let (_tmp, repo) = symlink_repo(template, &link);
        if as_git {
            git(&repo, &["init", "-q"]);
            git(&repo, &["add", "-A"]);
            git(&repo, &["commit", "-q", "-m", "symlink leading out"]);
        }
        let kind = if as_git { "git" } else { "dir" };
        let spec = std::fs::read_to_string(repo.join("environments/bad.yaml")).unwrap();
        let line = 1 + spec
            .lines()
            .position(|l| l.starts_with("taskDefinition:"))
            .unwrap();
        let expected = expectations(&format!(
            "environments/bad.yaml:{line}:1: taskDefinition:\n'{template}'\nsymlink leads out of the repo\nhint:\n"
        ));
        let files = vec!["environments/bad.yaml".to_owned()];
        let repo_arg = repo.to_str().unwrap();
        let validate =
            fixture.deckhand_with(&["validate", "--repo", repo_arg, "--env", "bad"], &[]);
        let problems = problems_of_rejection(&validate, &files, &expected);
        if !problems.is_empty() {
            failures.push(report(
                name,
                &format!("validate, {kind}"),
                &problems,
                &validate,
            ));
        }
        let plan = fixture.deckhand_with(
            &["plan", "--repo", repo_arg, "--env", "bad"],
            &fixture.aws_env(),
        );
        let problems = problems_of_rejection(&plan, &files, &expected);
        if !problems.is_empty() {
            failures.push(report(name, &format!("plan, {kind}"), &problems, &plan));
        }
    }
    let calls = fixture.calls();
    assert!(
        failures.is_empty() && calls.is_empty(),
        "{}\nECS calls made: {:?}",
        failures.join("\n"),
        calls.iter().map(|c| &c.operation).collect::<Vec<_>>()
    );
}

#[cfg(unix)]
#[test]
fn a_template_symlinked_to_a_file_outside_the_repo_is_rejected() {
    assert_symlink_rejected(
        "corpuslinkfile",
        "task-definitions/linked.json",
        |repo, outside| {
            std::os::unix::fs::symlink(
                outside.join("app.json"),
                repo.join("task-definitions/linked.json"),
            )
            .unwrap();
        },
    );
}

#[cfg(unix)]
#[test]
fn a_template_path_through_a_symlinked_directory_leading_out_is_rejected() {
    assert_symlink_rejected(
        "corpuslinkdir",
        "task-definitions/shared/app.json",
        |repo, _outside| {
            // A relative link: ../../outside from repo/task-definitions/.
            std::os::unix::fs::symlink("../../outside", repo.join("task-definitions/shared"))
                .unwrap();
        },
    );
}

/// The control for the two tests above: a symlink that stays inside the repo
/// is followed, so those are rejected for leading out, not for being links.
#[cfg(unix)]
#[test]
fn a_template_symlink_inside_the_repo_is_followed() {
    let fixture = Fixture::new("corpuslinkin");
    for as_git in [false, true] {
        let (_tmp, repo) = symlink_repo("task-definitions/alias.json", |repo, _| {
            std::os::unix::fs::symlink("app.json", repo.join("task-definitions/alias.json"))
                .unwrap();
        });
        if as_git {
            git(&repo, &["init", "-q"]);
            git(&repo, &["add", "-A"]);
            git(&repo, &["commit", "-q", "-m", "symlink inside"]);
        }
        fixture
            .deckhand_with(
                &["validate", "--repo", repo.to_str().unwrap(), "--env", "bad"],
                &[],
            )
            .expect_code(0);
    }
}

/// Inputs too large (or too odd) to keep in git, made by the test: each is
/// rejected by validate, plan and apply with exit 1, a clear message that
/// echoes little, and no ECS call.
#[test]
fn generated_hostile_inputs_are_rejected_without_touching_ecs() {
    let fixture = Fixture::new("hostile");
    let good = std::fs::read_to_string(corpus_dir().join("_base/environments/good.yaml")).unwrap();
    let huge_line = format!("# {}\n{good}", "x".repeat(10 * 1024 * 1024));
    let many_nodes = good.replace(
        "command: [bin/rails, db:migrate]",
        &format!(
            "command: [{}]",
            std::iter::repeat_n("x", 300_000)
                .collect::<Vec<_>>()
                .join(",")
        ),
    );
    let big_template = {
        let mut td: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(corpus_dir().join("_base/task-definitions/app.json")).unwrap(),
        )
        .unwrap();
        let vars: Vec<serde_json::Value> = (0..2000)
            .map(|i| serde_json::json!({"name": format!("VAR_{i}"), "value": "x".repeat(40)}))
            .collect();
        td["containerDefinitions"][0]["environment"] = serde_json::Value::Array(vars);
        serde_json::to_string_pretty(&td).unwrap()
    };
    struct Case {
        name: &'static str,
        env: &'static str,
        write: Box<dyn Fn(&Path)>,
        expect: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "a 10 MB spec file",
            env: "bad",
            write: Box::new(move |repo| {
                std::fs::write(repo.join("environments/bad.yaml"), &huge_line).unwrap()
            }),
            expect: &["environments/bad.yaml", "KiB; a spec is at most 1024 KiB"],
        },
        Case {
            name: "a spec of 300,000 YAML nodes",
            env: "bad",
            write: Box::new(move |repo| {
                std::fs::write(repo.join("environments/bad.yaml"), &many_nodes).unwrap()
            }),
            expect: &[
                "environments/bad.yaml",
                "too large or too deeply nested",
                "!budget",
                "!Nodes {",
            ],
        },
        Case {
            name: "a spec that is a directory",
            env: "bad",
            write: Box::new(|repo| {
                std::fs::create_dir_all(repo.join("environments/bad.yaml")).unwrap()
            }),
            expect: &[
                "environments/bad.yaml is a directory",
                "!no such environment",
            ],
        },
        Case {
            name: "a 100 KiB task definition",
            env: "bad",
            write: Box::new(move |repo| {
                std::fs::write(repo.join("task-definitions/app.json"), &big_template).unwrap();
                std::fs::copy(
                    repo.join("environments/good.yaml"),
                    repo.join("environments/bad.yaml"),
                )
                .unwrap();
            }),
            expect: &[
                "environments/bad.yaml",
                "task-definitions/app.json is",
                "up to 64 KiB",
            ],
        },
        Case {
            name: "an environment name with a space",
            env: "my env",
            write: Box::new(|_| {}),
            expect: &["--env \"my env\"", "a space"],
        },
        Case {
            name: "an environment name with a slash",
            env: "a/b",
            write: Box::new(|_| {}),
            expect: &["--env \"a/b\"", "'/'"],
        },
        Case {
            name: "an environment name that is not ASCII",
            env: "stäging",
            write: Box::new(|_| {}),
            expect: &["--env \"stäging\"", "'ä'"],
        },
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let tmp = tempfile::Builder::new()
            .prefix("deckhand-hostile-")
            .tempdir()
            .unwrap();
        let repo = tmp.path().join("repo");
        overlay(&corpus_dir().join("_base"), &repo);
        (case.write)(&repo);
        let repo_arg = repo.to_str().unwrap();
        for command in ["validate", "plan", "apply"] {
            let mut args = vec![command, "--repo", repo_arg, "--env", case.env];
            if command == "apply" {
                args.push("--yes");
            }
            let before = fixture.calls().len();
            let run = fixture.deckhand_with(&args, &fixture.aws_env());
            let mut problems = Vec::new();
            if run.code != 1 {
                problems.push(format!("exit code {}", run.code));
            }
            if run.stderr.len() > 4096 {
                problems.push(format!("stderr is {} bytes long", run.stderr.len()));
            }
            for e in case.expect {
                match e.strip_prefix('!') {
                    Some(forbidden) if run.stderr.contains(forbidden) => {
                        problems.push(format!("should not contain {forbidden:?}"))
                    }
                    None if !run.stderr.contains(e) => problems.push(format!("missing {e:?}")),
                    _ => {}
                }
            }
            let made = fixture.calls().len() - before;
            if made > 0 {
                problems.push(format!("{made} ECS calls were made"));
            }
            if !problems.is_empty() {
                let stderr: String = run.stderr.chars().take(2000).collect();
                failures.push(format!("{} ({command}): {problems:?}\n{stderr}", case.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
