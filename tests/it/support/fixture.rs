//! `Fixture`: one test's own config repo (a git repo made from `examples/shop`,
//! with the environment, cluster and families renamed to a unique id), its
//! own AWS access key, and helpers to seed ECS and run `deckhand`.

use super::emulator::{Call, emulator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use tempfile::TempDir;

/// The image tags `Fixture::seed` pushes to the emulator's ECR (`shop`):
/// the ones the tests release.
pub const SEEDED_IMAGE_TAGS: &[&str] =
    &["3f9c2e1", "9a8b7c6", "crash-9a8b7c6", "crash-1", "b4d1dea"];

/// The result of one `deckhand` run.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panic with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Panic with standard output unless it contains `needle`.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        self.check("stdout", &self.stdout, needle, true)
    }

    /// Panic with standard output if it contains `needle`.
    #[track_caller]
    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        self.check("stdout", &self.stdout, needle, false)
    }

    /// Panic with standard error unless it contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        self.check("stderr", &self.stderr, needle, true)
    }

    /// Panic with standard error if it contains `needle`.
    #[track_caller]
    pub fn stderr_lacks(&self, needle: &str) -> &Self {
        self.check("stderr", &self.stderr, needle, false)
    }

    #[track_caller]
    fn check(&self, stream: &str, text: &str, needle: &str, present: bool) -> &Self {
        let not = if present { "no " } else { "" };
        assert_eq!(
            text.contains(needle),
            present,
            "{not}{needle:?} in {stream}:\n{text}"
        );
        self
    }
}

/// One isolated environment.
pub struct Fixture {
    /// Unique id: the environment name, cluster name and family prefix.
    pub id: String,
    /// The AWS access key this test's calls are logged under.
    pub key: String,
    dir: TempDir,
}

/// The project root.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Run git in `dir`, panicking on failure; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=deckhand-test",
            "-c",
            "user.email=test@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Fixture {
    /// A new environment named after the test, as a committed git repo.
    pub fn new(test: &str) -> Fixture {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let id = format!("{test}-{}-{n}", std::process::id() % 10_000);
        let dir = tempfile::Builder::new()
            .prefix("deckhand-it-")
            .tempdir()
            .unwrap();
        let repo = dir.path().join("repo");
        copy_dir(&project_root().join("examples/shop"), &repo);
        let spec = std::fs::read_to_string(repo.join("environments/staging.yaml")).unwrap();
        std::fs::remove_file(repo.join("environments/staging.yaml")).unwrap();
        std::fs::write(
            repo.join(format!("environments/{id}.yaml")),
            spec.replace("shop-staging", &id),
        )
        .unwrap();
        // Empty AWS config files: nothing from the machine's own AWS setup leaks in.
        std::fs::write(dir.path().join("aws-config"), "").unwrap();
        std::fs::write(dir.path().join("aws-credentials"), "").unwrap();
        git(&repo, &["init", "-q"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "initial config"]);
        Fixture {
            key: format!("AK{}", id.replace('-', "").to_uppercase()),
            id,
            dir,
        }
    }

    /// A fixture seeded as deployed (revision 20261101000000), whose migration
    /// command carries its id so emulator task rules can target it alone.
    pub fn seeded(test: &str) -> Fixture {
        let fx = Fixture::new(test);
        let id = fx.id.clone();
        fx.edit_spec(|t| {
            t.replace(
                "command: [bin/rails, db:migrate]",
                &format!("command: [bin/rails, db:migrate, {id}]"),
            )
        });
        fx.seed(Some("20261101000000"), |_| {});
        fx
    }

    /// The config repo (a git work tree).
    pub fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// The environment spec's path.
    pub fn spec_path(&self) -> PathBuf {
        self.repo().join(format!("environments/{}.yaml", self.id))
    }

    /// Rewrite the spec with `edit` and commit it; returns the new commit SHA.
    pub fn edit_spec(&self, edit: impl FnOnce(String) -> String) -> String {
        let path = self.spec_path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, edit(text)).unwrap();
        self.commit("edit spec")
    }

    /// Write a repo file (not committed).
    pub fn write(&self, relative: &str, content: &str) {
        let path = self.repo().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Commit everything; returns the SHA.
    pub fn commit(&self, message: &str) -> String {
        git(&self.repo(), &["add", "-A"]);
        git(
            &self.repo(),
            &["commit", "-q", "--allow-empty", "-m", message],
        );
        git(&self.repo(), &["rev-parse", "HEAD"])
    }

    /// `apply --yes` (and `extra`), polling ECS every 200 ms.
    pub fn apply(&self, extra: &[&str]) -> Run {
        let mut args = vec!["--yes"];
        args.extend_from_slice(extra);
        self.run_with_env("apply", &args, &[("DECKHAND_POLL_INTERVAL", "200ms")])
    }

    /// `plan --format json` of the environment, which must exit 0.
    pub fn plan_json(&self) -> Value {
        let run = self.run("plan", &["--format", "json"]);
        serde_json::from_str(&run.expect_code(0).stdout).expect("plan --format json prints JSON")
    }

    /// How long the emulator's rollouts of this test's services take.
    pub fn rollout_seconds(&self, seconds: f64) {
        emulator().request(
            "POST",
            "/_deckhand/config",
            Some(&json!({"accessKey": self.key, "rolloutSeconds": seconds})),
        );
    }

    /// Replace this fixture's AWS config file (`AWS_CONFIG_FILE`).
    pub fn aws_config(&self, text: &str) {
        std::fs::write(self.dir.path().join("aws-config"), text).unwrap();
    }

    /// A scratch directory of this fixture, outside the config repo.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    /// The emulator's AWS environment for this fixture.
    pub fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", emulator().url.clone()),
            ("AWS_ACCESS_KEY_ID", self.key.clone()),
            ("AWS_SECRET_ACCESS_KEY", "test-secret".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    /// Run `deckhand` with this fixture's AWS settings and cache dir.
    pub fn deckhand(&self, args: &[&str]) -> Run {
        self.deckhand_with(args, &self.aws_env())
    }

    /// `plan --detailed-exitcode` of this fixture's environment in `repo`,
    /// with only `vars` (as [`Fixture::deckhand_with`]).
    pub fn plan_detailed(&self, repo: &Path, vars: &[(&str, String)]) -> Run {
        let args = [
            "plan",
            "--repo",
            repo.to_str().unwrap(),
            "--env",
            &self.id,
            "--detailed-exitcode",
        ];
        self.deckhand_with(&args, vars)
    }

    /// Run `deckhand` with explicit environment variables (nothing inherited from AWS_*).
    pub fn deckhand_with(&self, args: &[&str], vars: &[(&str, String)]) -> Run {
        let out = self
            .base_command(vars)
            .args(args)
            .output()
            .expect("run deckhand");
        Run::from(out)
    }

    fn base_command(&self, vars: &[(&str, String)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_deckhand"));
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") || key.starts_with("DECKHAND_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("DECKHAND_CACHE_DIR", self.dir.path().join("cache"))
            .env("AWS_CONFIG_FILE", self.dir.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.stdin(std::process::Stdio::null());
        cmd
    }

    /// `deckhand <command> --repo <repo> --env <id> <extra…>`
    pub fn run(&self, command: &str, extra: &[&str]) -> Run {
        self.run_with_env(command, extra, &[])
    }

    /// Like [`Fixture::run`], with extra environment variables.
    pub fn run_with_env(&self, command: &str, extra: &[&str], vars: &[(&str, &str)]) -> Run {
        let out = self
            .command(command, extra, vars)
            .output()
            .expect("run deckhand");
        Run::from(out)
    }

    /// The `deckhand <command> --repo … --env …` process, not started.
    pub fn command(&self, command: &str, extra: &[&str], vars: &[(&str, &str)]) -> Command {
        self.command_at(self.repo().to_str().unwrap(), command, extra, vars)
    }

    /// Like [`Fixture::command`], reading the config repo at `repo` (a path or URL).
    pub fn command_at(
        &self,
        repo: &str,
        command: &str,
        extra: &[&str],
        vars: &[(&str, &str)],
    ) -> Command {
        let mut args = vec![command, "--repo", repo, "--env", &self.id];
        args.extend_from_slice(extra);
        let mut cmd = self.base_command(&self.aws_env());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.args(args);
        cmd
    }

    /// `controller --once` over this fixture's repo (as a file:// URL) and
    /// environment; its stdout and stderr together.
    pub fn controller_once(&self) -> String {
        let repo = format!("file://{}", self.repo().display());
        let mut vars = self.aws_env();
        vars.push(("DECKHAND_POLL_INTERVAL", "200ms".into()));
        let run = self.deckhand_with(
            &["controller", "--once", "--repo", &repo, "--env", &self.id],
            &vars,
        );
        format!("{}{}", run.stdout, run.stderr)
    }

    /// The task definitions deckhand would register now, by service (and migration family).
    pub fn rendered(&self) -> Value {
        let run = self.run("render", &[]);
        run.expect_code(0);
        serde_json::from_str(&run.stdout).expect("render prints JSON")
    }

    /// Seed ECS so it runs exactly the current spec, with `revision` recorded;
    /// `tweak` may edit the seed request (counts, images…) before it is sent.
    pub fn seed(&self, revision: Option<&str>, tweak: impl FnOnce(&mut Value)) -> Value {
        self.seed_environment(&self.id.clone(), revision, tweak)
    }

    /// Another environment in this fixture's repo: a copy of its spec with
    /// the fixture's id (cluster, families, migration command) replaced by
    /// `name`; written, not committed.
    pub fn add_environment(&self, name: &str) {
        let spec = std::fs::read_to_string(self.spec_path()).unwrap();
        self.write(
            &format!("environments/{name}.yaml"),
            &spec.replace(&self.id, name),
        );
    }

    /// Like [`Fixture::seed`], for environment `env` of the repo (its cluster
    /// named like it, as [`Fixture::add_environment`] writes it).
    pub fn seed_environment(
        &self,
        env: &str,
        revision: Option<&str>,
        tweak: impl FnOnce(&mut Value),
    ) -> Value {
        let run = self.deckhand(&[
            "render",
            "--repo",
            self.repo().to_str().unwrap(),
            "--env",
            env,
        ]);
        run.expect_code(0);
        let rendered: Value = serde_json::from_str(&run.stdout).expect("render prints JSON");
        let counts = [("web", 2), ("worker", 2)];
        let services: Vec<Value> = counts
            .iter()
            .map(|(name, count)| {
                json!({
                    "name": name,
                    "taskDefinition": rendered[*name],
                    "desiredCount": count,
                    "launchType": "FARGATE",
                    "deploymentConfiguration": {
                        "deploymentCircuitBreaker": {"enable": true, "rollback": true}
                    }
                })
            })
            .collect();
        let mut tags = serde_json::Map::new();
        if let Some(r) = revision {
            tags.insert(format!("deckhand:{env}:schema-revision"), json!(r));
        }
        // What the example's definitions name, so preflight finds it: the
        // images the tests release (crash-* images fail their rollout), the
        // roles, the parameters and the log group.
        let images: Vec<String> = SEEDED_IMAGE_TAGS
            .iter()
            .map(|tag| format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:{tag}"))
            .collect();
        let mut request = example_prerequisites(&images);
        request["cluster"] = json!(env);
        request["clusterTags"] = json!(tags);
        request["network"] = json!(true);
        request["services"] = json!(services);
        tweak(&mut request);
        emulator().request("POST", "/_deckhand/seed", Some(&request))
    }

    /// ECS requests this fixture made, in order.
    pub fn calls(&self) -> Vec<Call> {
        emulator().calls(&self.key)
    }

    /// The operations of the mutating requests this fixture made after the
    /// first `before` requests (`fx.calls().len()` taken earlier).
    pub fn mutations_since(&self, before: usize) -> Vec<String> {
        self.calls()[before..]
            .iter()
            .filter(|c| c.is_mutating())
            .map(|c| c.operation.clone())
            .collect()
    }

    /// Count of requests by operation.
    pub fn count(&self, operation: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.operation == operation)
            .count()
    }

    /// Make `service` an Application Auto Scaling target (1–10 tasks) with
    /// this suspended state (`null`: none), as a team's own setup would.
    pub fn autoscale(&self, service: &str, suspended: Value) {
        let mut target = json!({
            "ServiceNamespace": "ecs",
            "ResourceId": format!("service/{}/{service}", self.id),
            "ScalableDimension": "ecs:service:DesiredCount",
            "MinCapacity": 1,
            "MaxCapacity": 10,
        });
        if !suspended.is_null() {
            target["SuspendedState"] = suspended;
        }
        emulator().autoscaling(&self.key, "RegisterScalableTarget", &target);
    }

    /// Inject a fault for this fixture's key.
    pub fn inject(&self, operation: &str, kind: &str, count: u32) {
        emulator().request(
            "POST",
            "/_deckhand/faults",
            Some(&json!({"accessKey": self.key, "operation": operation, "kind": kind, "count": count})),
        );
    }
}

/// A seed request with what the example's task definition names besides
/// `images`: its roles, parameters and log group, so that preflight passes.
pub fn example_prerequisites(images: &[String]) -> Value {
    json!({
        "images": images,
        "roles": [
            "arn:aws:iam::123456789012:role/shop-app",
            "arn:aws:iam::123456789012:role/shop-ecs-execution"
        ],
        "parameters": {
            "/shop/database-url": "postgres://shop:seeded@db.internal/shop",
            "/shop/secret-key-base": "seeded"
        },
        "logGroups": ["/ecs/shop"],
    })
}

/// Run `check` over the JSON files of a real-world corpus under `tests/`
/// (at least 30 of them) and fail naming every file that failed.
pub fn check_corpus(dir: &str, what: &str, check: fn(&PathBuf) -> Option<String>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(project_root().join("tests").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus has {} files", files.len());
    let failures = failures_in_parallel(&files, check);
    assert!(
        failures.is_empty(),
        "{} of {} real {what} failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// `check` over `files` on four threads: the failures it reports.
fn failures_in_parallel(files: &[PathBuf], check: fn(&PathBuf) -> Option<String>) -> Vec<String> {
    std::thread::scope(|scope| {
        let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(4)).collect();
        let workers: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.iter().filter_map(check).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

/// The first step of a JSON plan with this `action`.
#[track_caller]
pub fn step(plan: &Value, action: &str) -> Value {
    plan["steps"]
        .as_array()
        .expect("a plan has steps")
        .iter()
        .find(|s| s["action"] == action)
        .cloned()
        .unwrap_or_else(|| panic!("no {action} step in {plan:#}"))
}
