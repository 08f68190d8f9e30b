//! What the container image holds, checked without a Docker engine: the
//! binary runs, as the image's non-root user, from a root filesystem with
//! only what distroless `cc-debian12` provides (glibc, libgcc, OpenSSL, CA
//! certificates, /etc/passwd, /tmp) — and plans against the emulator from
//! there. The `examples/controller-on-ecs` files are accepted by ECS.

use crate::support::emulator;
use crate::support::fixture::{Fixture, project_root};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared libraries distroless `cc-debian12` ships (besides the loader).
const IMAGE_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libssl.so.3",
    "libcrypto.so.3",
    "ld-linux-x86-64.so.2",
];

/// The image's non-root user (distroless `nonroot`).
const NONROOT: &str = "65532";

/// The binary's shared libraries, as `ldd` resolves them.
fn needed_libraries(binary: &Path) -> Vec<(String, PathBuf)> {
    let out = Command::new("ldd").arg(binary).output().expect("ldd");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let name = line.split_whitespace().next()?;
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next()?.to_owned(),
                None => name.to_owned(),
            };
            let file = Path::new(name).file_name()?.to_string_lossy().into_owned();
            path.starts_with('/').then(|| (file, PathBuf::from(path)))
        })
        .collect()
}

/// A root filesystem with the binary and what the image has, nothing else.
fn rootfs(fx: &Fixture) -> PathBuf {
    let root = fx.scratch("rootfs");
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_deckhand"));
    for (name, path) in needed_libraries(&binary) {
        assert!(
            IMAGE_LIBRARIES.contains(&name.as_str()),
            "the binary needs {name}, which distroless cc-debian12 does not have"
        );
        let target = root.join(path.strip_prefix("/").unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&path, &target).unwrap();
    }
    let bin = root.join("usr/local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(&binary, bin.join("deckhand")).unwrap();
    std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        root.join("etc/ssl/certs/ca-certificates.crt"),
    )
    .unwrap();
    std::fs::write(
        root.join("etc/passwd"),
        format!("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:{NONROOT}:{NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("home/nonroot")).unwrap();
    let tmp = root.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    std::os::unix::fs::chown(root.join("home/nonroot"), Some(65532), Some(65532)).unwrap();
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
    root
}

fn is_root() -> bool {
    String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0"
}

/// `deckhand ARGS` inside `root` as the non-root user, with only `vars`.
fn run_in(root: &Path, args: &[&str], vars: &[(&str, String)]) -> crate::support::fixture::Run {
    let mut cmd = Command::new("/usr/sbin/chroot");
    cmd.env_clear()
        .arg(format!("--userspec={NONROOT}:{NONROOT}"))
        .arg(root)
        .arg("/usr/local/bin/deckhand")
        .args(args)
        .env("HOME", "/home/nonroot")
        .env("DECKHAND_CACHE_DIR", "/tmp/deckhand-cache")
        .env("NO_COLOR", "1");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("chroot").into()
}

#[test]
fn the_binary_runs_as_non_root_from_a_distroless_like_root() {
    assert!(
        is_root(),
        "this test builds a root filesystem and enters it with chroot: run it as root (CI does)"
    );
    let fx = Fixture::seeded("image");
    let root = rootfs(&fx);
    let version = run_in(&root, &["--version"], &[]);
    version.expect_code(0);
    assert!(
        version.stdout.starts_with("deckhand "),
        "{}",
        version.stdout
    );

    // The config repo inside the image's filesystem; ECS is the emulator.
    let repo = root.join("config");
    crate::support::fixture::git(&fx.repo(), &["clone", "-q", ".", repo.to_str().unwrap()]);
    // git refuses a repository owned by another user.
    let chown = Command::new("chown")
        .args(["-R", &format!("{NONROOT}:{NONROOT}")])
        .arg(&repo)
        .status()
        .unwrap();
    assert!(chown.success());
    let plan = run_in(
        &root,
        &[
            "plan",
            "--repo",
            "file:///config",
            "--env",
            &fx.id,
            "--detailed-exitcode",
        ],
        &fx.aws_env(),
    );
    plan.expect_code(0);
    plan.stdout_has("No changes");
    assert!(fx.count("DescribeServices") >= 1);
}

/// Register and create the controller example in the emulator, as its
/// docs/running-on-ecs.md says (`--cli-input-json`), on this fixture's cluster.
#[test]
fn the_controller_example_is_accepted_by_ecs() {
    let fx = Fixture::new("controller-example");
    let dir = project_root().join("examples/controller-on-ecs");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let td = read("task-definition.json");
    // Every DECKHAND_* variable it sets is one deckhand reads (the secrets
    // are named in the help's Environment section).
    let help = fx.deckhand(&["controller", "--help"]).stdout;
    let secrets = td["containerDefinitions"][0]["secrets"].as_array().unwrap();
    let environment = td["containerDefinitions"][0]["environment"]
        .as_array()
        .unwrap();
    for var in environment.iter().chain(secrets) {
        let name = var["name"].as_str().unwrap();
        if name.starts_with("DECKHAND_") {
            assert!(
                help.contains(&format!("[env: {name}")) || help.contains(&format!("  {name}  ")),
                "{name} is not read by the controller"
            );
        }
    }
    let registered = emulator().ecs(&fx.key, "RegisterTaskDefinition", &td);
    assert_eq!(
        registered["taskDefinition"]["family"],
        "deckhand-controller"
    );
    // The cluster, with a VPC whose subnet and security group stand in for the example's.
    let seeded = emulator().request(
        "POST",
        "/_deckhand/seed",
        Some(&json!({"cluster": fx.id, "network": true, "services": []})),
    );
    let mut service = read("service.json");
    service["cluster"] = json!(fx.id);
    let network = &mut service["networkConfiguration"]["awsvpcConfiguration"];
    network["subnets"] = seeded["subnets"].clone();
    network["securityGroups"] = seeded["securityGroups"].clone();
    let created = emulator().ecs(&fx.key, "CreateService", &service);
    assert_eq!(created["service"]["serviceName"], "deckhand-controller");
    assert_eq!(created["service"]["desiredCount"], 1);
    // The execution role policy is valid IAM.
    let policy: Value = read("execution-role-policy.json");
    assert_eq!(policy["Version"], "2012-10-17");
}
