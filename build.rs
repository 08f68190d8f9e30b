//! Puts the git commit the binary is built from into `deckhand --version`
//! (`DECKHAND_BUILD_COMMIT`, or `git rev-parse`; "unknown" outside a git
//! checkout, e.g. a container build without `.git`).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=DECKHAND_BUILD_COMMIT");
    println!("cargo:rerun-if-changed=.git/HEAD");
    if let Ok(head) = std::fs::read_to_string(".git/HEAD")
        && let Some(reference) = head.trim().strip_prefix("ref: ")
    {
        println!("cargo:rerun-if-changed=.git/{reference}");
        println!("cargo:rerun-if-changed=.git/packed-refs");
    }
    let commit = std::env::var("DECKHAND_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=DECKHAND_COMMIT={commit}");
}
