//! Signed commits (`--trust`) with real `ssh-keygen` keys and `git commit
//! -S`: a commit signed by a trusted key is planned and applied; unsigned,
//! signed by another key, or a trust file that is not SSH keys: exit 1,
//! naming the commit and why, nothing changed; the controller does not
//! apply an untrusted head.

use crate::support::fixture::{Fixture, git};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Run `command`, which must succeed: its stdout.
fn stdout_of(command: &mut Command) -> String {
    let out = command.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A new ed25519 key pair; the private key's path.
fn keypair(dir: &Path, name: &str) -> PathBuf {
    keypair_of(dir, name, &["-t", "ed25519"])
}

/// A new key pair of the type `kind` gives (`ssh-keygen` options).
fn keypair_of(dir: &Path, name: &str, kind: &[&str]) -> PathBuf {
    let key = dir.join(name);
    stdout_of(
        Command::new("ssh-keygen")
            .arg("-q")
            .args(kind)
            .args(["-N", "", "-C", name, "-f"])
            .arg(&key),
    );
    key
}

/// Commit everything, signed with `key` (None: unsigned); the SHA.
fn commit(fx: &Fixture, key: Option<&Path>, message: &str) -> String {
    git(&fx.repo(), &["add", "-A"]);
    match key {
        Some(key) => git(
            &fx.repo(),
            &[
                "-c",
                "gpg.format=ssh",
                "-c",
                &format!("user.signingkey={}", key.display()),
                "commit",
                "-q",
                "-S",
                "--allow-empty",
                "-m",
                message,
            ],
        ),
        None => git(
            &fx.repo(),
            &["commit", "-q", "--allow-empty", "-m", message],
        ),
    };
    git(&fx.repo(), &["rev-parse", "HEAD"])
}

/// docs/signed-commits.md: "Ed25519, ECDSA and RSA keys are understood".
#[test]
fn ecdsa_and_rsa_signatures_are_verified_too() {
    let fx = Fixture::seeded("trust-kinds");
    let keys = fx.scratch("keys");
    for (name, kind) in [
        ("ecdsa", &["-t", "ecdsa", "-b", "256"][..]),
        ("rsa", &["-t", "rsa", "-b", "3072"][..]),
    ] {
        let key = keypair_of(&keys, name, kind);
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let trust = keys.join(format!("{name}_signers"));
        std::fs::write(&trust, format!("{name}@example.com {public}")).unwrap();
        commit(&fx, Some(&key), &format!("signed with {name}"));
        fx.run("plan", &["--trust", trust.to_str().unwrap()])
            .expect_code(0)
            .stdout_has(&format!(", signed by {name}@example.com)"));
    }
}

#[test]
fn only_commits_signed_by_a_trusted_key_are_planned_and_applied() {
    let fx = Fixture::seeded("trust");
    let keys = fx.scratch("keys");
    let ada = keypair(&keys, "ada");
    let mallory = keypair(&keys, "mallory");
    let public = std::fs::read_to_string(ada.with_extension("pub")).unwrap();
    let trust = keys.join("allowed_signers");
    std::fs::write(
        &trust,
        format!("# the release team\nada@example.com namespaces=\"git\" {public}"),
    )
    .unwrap();
    let trust_arg = trust.to_str().unwrap();

    // Signed by ada: planned and applied.
    let spec = fx.spec_path();
    std::fs::write(
        &spec,
        std::fs::read_to_string(&spec)
            .unwrap()
            .replace("shop:3f9c2e1", "shop:9a8b7c6"),
    )
    .unwrap();
    commit(&fx, Some(&ada), "signed release");
    let run = fx.run("plan", &["--trust", trust_arg]);
    run.expect_code(0);
    run.stdout_has(", signed by ada@example.com)");
    fx.run_with_env(
        "apply",
        &["--yes", "--trust", trust_arg],
        &[("DECKHAND_POLL_INTERVAL", "200ms")],
    )
    .expect_code(0);

    // Unsigned, and signed by a key the file does not list: refused, nothing changed.
    std::fs::write(
        &spec,
        std::fs::read_to_string(&spec)
            .unwrap()
            .replace("shop:9a8b7c6", "shop:b4d1dea"),
    )
    .unwrap();
    let unsigned = commit(&fx, None, "unsigned release");
    let updates = fx.count("UpdateService");
    let run = fx.run_with_env(
        "apply",
        &["--yes", "--trust", trust_arg],
        &[("DECKHAND_POLL_INTERVAL", "200ms")],
    );
    run.expect_code(1);
    run.stderr_has(&format!(
        "commit {} is not signed, and --trust {trust_arg} applies only signed commits",
        &unsigned[..12]
    ));
    let forged = commit(&fx, Some(&mallory), "signed by someone else");
    let run = fx.run("plan", &["--trust", trust_arg]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "commit {} is signed by key SHA256:",
        &forged[..12]
    ))
    .stderr_has(&format!("which {trust_arg} does not trust"));
    // Ada's signature on a commit whose message was changed afterwards.
    let signed = commit(&fx, Some(&ada), "signed by ada");
    let object = git(&fx.repo(), &["cat-file", "commit", &signed]);
    let tampered_object = object.replace("signed by ada", "signed by ada (and changed)");
    let path = fx.scratch("objects").join("tampered");
    std::fs::write(&path, format!("{tampered_object}\n")).unwrap();
    let tampered = git(
        &fx.repo(),
        &["hash-object", "-t", "commit", "-w", path.to_str().unwrap()],
    );
    git(&fx.repo(), &["reset", "-q", "--hard", &tampered]);
    let run = fx.run("plan", &["--trust", trust_arg]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "commit {} has a bad signature by ada@example.com",
        &tampered[..12]
    ));
    // The controller does not take it either.
    let out = fx.deckhand_with(
        &[
            "controller",
            "--once",
            "--repo",
            &format!("file://{}", fx.repo().display()),
            "--env",
            &fx.id,
            "--trust",
            trust_arg,
        ],
        &fx.aws_env(),
    );
    assert_ne!(out.code, 0);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("has a bad signature"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(fx.count("UpdateService"), updates, "nothing released");

    // Without --trust, nothing is checked.
    fx.run("plan", &[]).expect_code(0);
}

#[test]
fn a_trust_file_that_is_neither_ssh_keys_nor_openpgp_keys_is_refused() {
    let fx = Fixture::seeded("trust-file");
    let dir = fx.scratch("keys");
    for (name, text, says) in [
        (
            "pgp.asc",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBF...\n-----END PGP PUBLIC KEY BLOCK-----\n",
            "pgp.asc:1: not an OpenPGP public key",
        ),
        (
            "junk",
            "ada@example.com not-a-key\n",
            ":1: a key is needed after the options",
        ),
        ("empty", "# nobody\n", "names no key"),
        (
            "options",
            "ada@example.com valid-after=\"soon\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMpZ6ZyV6hR3oNq8b5l3bq2hE3eH9o3n3b1g6e0wq3kQ\n",
            "\"soon\" is not a time",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let run = fx.run("plan", &["--trust", path.to_str().unwrap()]);
        run.expect_code(1);
        assert!(run.stderr.contains(says), "{name}: {}", run.stderr);
    }
    assert!(fx.calls().is_empty(), "refused before any AWS call");
}

#[test]
fn deckhands_own_promotion_signed_with_sign_with_passes_its_own_trust_check() {
    let (fx, production) = crate::promote::staging_released("trust-own");
    let keys = fx.scratch("keys");
    let bot = keypair(&keys, "release-bot");
    let public = std::fs::read_to_string(bot.with_extension("pub")).unwrap();
    let trust = keys.join("allowed_signers");
    std::fs::write(&trust, format!("release-bot@example.com {public}")).unwrap();
    let repo = fx.repo();
    let plan_production = || {
        fx.deckhand(&[
            "plan",
            "--repo",
            repo.to_str().unwrap(),
            "--env",
            &production,
            "--trust",
            trust.to_str().unwrap(),
        ])
    };
    let promote_signed = |key: &Path| {
        let key = key.to_str().unwrap();
        crate::promote::promote(&fx, &[&fx.id, &production, "--yes", "--sign-with", key])
    };
    // The head so far was committed unsigned by the test.
    let run = plan_production();
    run.expect_code(1);
    run.stderr_has("is not signed");

    // The public half is not a signing key: refused before anything is done.
    let before = git(&repo, &["rev-parse", "HEAD"]);
    let public_path = bot.with_extension("pub");
    let run = promote_signed(&public_path);
    run.expect_code(1);
    run.stderr_has("is not an OpenSSH private key");
    assert_eq!(
        git(&repo, &["rev-parse", "HEAD"]),
        before,
        "nothing written"
    );

    let run = promote_signed(&bot);
    run.expect_code(0);
    let run = plan_production();
    run.expect_code(0);
    run.stdout_has("update service web");
    // git itself agrees.
    git(
        &repo,
        &[
            "-c",
            &format!("gpg.ssh.allowedSignersFile={}", trust.display()),
            "verify-commit",
            "HEAD",
        ],
    );
}

/// A new gpg home with an ed25519 signing key for `email`: the home and the
/// key's fingerprint.
fn gpg_key(dir: &Path, email: &str) -> (PathBuf, String) {
    let home = dir.join(format!("gnupg-{email}"));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        stdout_of(
            Command::new("gpg")
                .env("GNUPGHOME", &home)
                .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
                .args(args),
        )
    };
    gpg(&["--quick-gen-key", email, "ed25519", "sign,cert", "never"]);
    let listing = gpg(&["--with-colons", "--list-keys", email]);
    let fingerprint = listing
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|r| r.trim_matches(':').to_owned())
        })
        .expect("a fingerprint");
    (home, fingerprint)
}

/// Commit everything, signed by gpg with the key in `home`; the SHA.
fn commit_gpg(fx: &Fixture, home: &Path, fingerprint: &str, message: &str) -> String {
    git(&fx.repo(), &["add", "-A"]);
    stdout_of(
        Command::new("git")
            .current_dir(fx.repo())
            .env("GNUPGHOME", home)
            .args(["-c", "gpg.format=openpgp", "-c"])
            .arg(format!("user.signingkey={fingerprint}"))
            .args(["commit", "-q", "-S", "--allow-empty", "-m", message]),
    );
    git(&fx.repo(), &["rev-parse", "HEAD"])
}

#[test]
fn commits_signed_with_gpg_are_checked_against_armored_public_keys() {
    let fx = Fixture::seeded("trust-pgp");
    let keys = fx.scratch("keys");
    let (ada, ada_fpr) = gpg_key(&keys, "ada@example.com");
    let (mallory, mallory_fpr) = gpg_key(&keys, "mallory@example.com");
    let exported = stdout_of(
        Command::new("gpg")
            .env("GNUPGHOME", &ada)
            .args(["--armor", "--export", &ada_fpr]),
    );
    let trust = keys.join("release-team.asc");
    std::fs::write(&trust, exported).unwrap();
    let trust_arg = trust.to_str().unwrap();

    commit_gpg(&fx, &ada, &ada_fpr, "signed by ada");
    let run = fx.run("plan", &["--trust", trust_arg, "--format", "json"]);
    run.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["signedBy"], "ada@example.com", "{plan:#}");

    let sha = commit_gpg(&fx, &mallory, &mallory_fpr, "signed by mallory");
    let run = fx.run("plan", &["--trust", trust_arg]);
    run.expect_code(1);
    run.stderr_has(&format!(
        "commit {} is signed by key {mallory_fpr}, which {trust_arg} does not trust",
        &sha[..12]
    ));
    for home in [&ada, &mallory] {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", home)
            .args(["--kill", "gpg-agent"])
            .output();
    }
}
