//! Reading a private config repo the way a container does: an HTTPS access
//! token from DECKHAND_GIT_TOKEN (against `git http-backend` behind Basic
//! auth) and an SSH deploy key checked against a known_hosts file (against a
//! local sshd). Refusals are explained, bounded, and never echo the token.

use crate::support::emulator::venv_python;
use crate::support::fixture::{Fixture, Run, git};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "glpat-deckhand-test-token-0123456789";

/// A running helper server, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A bare copy of the fixture's config repo under `root/config.git`.
fn bare_copy(fx: &Fixture, root: &Path) -> PathBuf {
    let bare = root.join("config.git");
    git(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            fx.repo().to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    bare
}

fn http_server(root: &Path) -> Server {
    let script = crate::support::fixture::project_root().join("tests/gitserver/http_git_server.py");
    let mut child = Command::new(venv_python())
        .arg(script)
        .args(["--root", root.to_str().unwrap(), "--token", TOKEN])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the git HTTP server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("git server said {line:?}"))
        .trim()
        .to_owned();
    Server { child, url }
}

fn refused_requests(server: &Server) -> u64 {
    let addr = server.url.trim_start_matches("http://");
    let (_, body) = crate::support::emulator::http(addr, "GET", "/_stats", &[], "");
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    stats["unauthorized"].as_u64().unwrap()
}

/// `validate --repo URL` with only these variables (and an empty HOME, so no
/// credential helper or ssh config of the machine's takes part).
fn validate_at(fx: &Fixture, url: &str, vars: &[(&str, String)], extra: &[&str]) -> Run {
    let home = fx.scratch("home");
    let mut all = vec![("HOME", home.display().to_string())];
    all.extend(vars.iter().cloned());
    let mut args = vec!["validate", "--repo", url];
    args.extend_from_slice(extra);
    fx.deckhand_with(&args, &all)
}

fn assert_secret_free(run: &Run) {
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "the token was printed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// `validate` read the repo: exit 0 and the environment's `ok:` line.
#[track_caller]
fn assert_validated(fx: &Fixture, run: &Run) {
    run.expect_code(0);
    run.stdout_has(&format!("ok: environments/{}.yaml", fx.id));
}

/// The fixture's repo served by the local git HTTP server: the server (kept
/// alive by the caller) and the repo's URL.
fn served_over_http(fx: &Fixture) -> (Server, String) {
    let root = fx.scratch("served");
    bare_copy(fx, &root);
    let server = http_server(&root);
    let url = format!("{}/config.git", server.url);
    (server, url)
}

#[test]
fn an_https_token_reads_a_private_repo() {
    let fx = Fixture::new("git-token");
    let (_server, url) = served_over_http(&fx);
    let run = validate_at(&fx, &url, &[("DECKHAND_GIT_TOKEN", TOKEN.into())], &[]);
    assert_validated(&fx, &run);
    assert_secret_free(&run);
    // GitLab-style: any user name with the token.
    let run = validate_at(
        &fx,
        &url,
        &[
            ("DECKHAND_GIT_TOKEN", TOKEN.into()),
            ("DECKHAND_GIT_USERNAME", "oauth2".into()),
        ],
        &["--cache-dir", fx.scratch("cache2").to_str().unwrap()],
    );
    run.expect_code(0);
}

#[test]
fn a_refused_or_missing_token_is_explained_once() {
    let fx = Fixture::new("git-token-refused");
    let (server, url) = served_over_http(&fx);

    let started = Instant::now();
    let wrong = validate_at(
        &fx,
        &url,
        &[("DECKHAND_GIT_TOKEN", "wrong-token".into())],
        &[],
    );
    wrong.expect_code(1);
    assert!(
        wrong
            .stderr
            .contains("refused the token in DECKHAND_GIT_TOKEN"),
        "{}",
        wrong.stderr
    );
    wrong.stderr_lacks("wrong-token");
    // No auth loop: the token is offered once (libgit2 asks first without).
    let refused = refused_requests(&server);
    assert!(refused <= 3, "{refused} refused requests");
    assert!(started.elapsed() < Duration::from_secs(30));

    let none = validate_at(&fx, &url, &[], &[]);
    none.expect_code(1);
    none.stderr_has("set DECKHAND_GIT_TOKEN");
    assert!(refused_requests(&server) - refused <= 3);
}

/// A local sshd serving git over SSH to one authorized key.
struct Sshd {
    server: Server,
    port: u16,
    host_public_key: String,
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args([
            "-q", "-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", "", "-f",
        ])
        .arg(path)
        .output()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sshd(dir: &Path, authorized: &Path) -> Sshd {
    let sshd = Path::new("/usr/sbin/sshd");
    assert!(
        sshd.exists(),
        "/usr/sbin/sshd is missing: install openssh-server (`bash scripts/test.sh` does)"
    );
    std::fs::create_dir_all("/run/sshd").unwrap();
    let host_key = dir.join("host_key");
    keygen(&host_key);
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = dir.join("sshd_config");
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
             PermitRootLogin prohibit-password\nAllowUsers {}\n",
            host_key.display(),
            authorized.display(),
            dir.join("sshd.pid").display(),
            user.trim(),
        ),
    )
    .unwrap();
    let child = Command::new(sshd)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sshd");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let public = std::fs::read_to_string(dir.join("host_key.pub")).unwrap();
    let mut fields = public.split_whitespace();
    let host_public_key = format!("{} {}", fields.next().unwrap(), fields.next().unwrap());
    Sshd {
        server: Server {
            child,
            url: format!("ssh://{}@127.0.0.1:{port}", user.trim()),
        },
        port,
        host_public_key,
    }
}

#[test]
fn an_ssh_deploy_key_reads_a_private_repo_and_the_host_key_is_checked() {
    let fx = Fixture::new("git-ssh");
    let dir = fx.scratch("ssh");
    let bare = bare_copy(&fx, &dir);
    let deploy_key = dir.join("deploy_key");
    keygen(&deploy_key);
    let authorized = dir.join("authorized_keys");
    std::fs::copy(dir.join("deploy_key.pub"), &authorized).unwrap();
    let server = sshd(&dir, &authorized);
    let url = format!("{}{}", server.server.url, bare.display());
    let known_hosts = dir.join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} {}\n", server.port, server.host_public_key),
    )
    .unwrap();
    let key_vars = |key: &Path, hosts: &Path| {
        vec![
            ("DECKHAND_GIT_SSH_KEY", key.display().to_string()),
            ("DECKHAND_GIT_KNOWN_HOSTS", hosts.display().to_string()),
        ]
    };

    let run = validate_at(&fx, &url, &key_vars(&deploy_key, &known_hosts), &[]);
    assert_validated(&fx, &run);

    // Each failing case reads into a fresh cache, as a new container would.
    let fails_with = |key: &Path, hosts: &Path, case: &str| {
        let cache = fx.scratch(&format!("cache-{case}"));
        let run = validate_at(
            &fx,
            &url,
            &key_vars(key, hosts),
            &["--cache-dir", cache.to_str().unwrap()],
        );
        run.expect_code(1);
        run.stderr
    };

    // A host that is not in known_hosts is not trusted.
    let strangers = dir.join("known_hosts_other");
    std::fs::write(
        &strangers,
        format!("github.com {}\n", server.host_public_key),
    )
    .unwrap();
    let stderr = fails_with(&deploy_key, &strangers, "strangers");
    let expected = format!("the SSH host key of [127.0.0.1]:{} is not in", server.port);
    assert!(stderr.contains(&expected), "{stderr}");

    // A key the server does not know is refused, once.
    let other_key = dir.join("other_key");
    keygen(&other_key);
    let stderr = fails_with(&other_key, &known_hosts, "other-key");
    assert!(
        stderr.contains("refused the SSH key") && stderr.contains("deploy key"),
        "{stderr}"
    );
}
