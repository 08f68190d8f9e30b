//! Signed commits (`--trust FILE`): a commit is applied only when its
//! signature verifies against a key of the trust file, which holds SSH keys
//! as an allowed-signers file (the format git itself reads,
//! `gpg.ssh.allowedSignersFile`), armored OpenPGP public keys, or both:
//!
//! ```text
//! ada@example.com,release@example.com namespaces="git" ssh-ed25519 AAAA… comment
//! ops@example.com valid-after="20260101",valid-before="20270101" ssh-ed25519 AAAA…
//! -----BEGIN PGP PUBLIC KEY BLOCK-----
//! …
//! ```
//!
//! The signature is extracted by libgit2. An SSH signature must be in the
//! `git` namespace by a listed key whose `namespaces` allow `git` and whose
//! validity covers the commit's committer time; an OpenPGP one is judged in
//! [`openpgp`]. Parsing and judging are pure; [`check`] reads the commit.

mod openpgp;

use git2::{Oid, Repository};
use ssh_key::{PublicKey, SshSig};

/// The SSH signature namespace git signs commits in.
pub(super) const NAMESPACE: &str = "git";

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
struct Signer {
    principals: Vec<String>,
    namespaces: Option<Vec<String>>,
    valid_after: Option<i64>,
    valid_before: Option<i64>,
    key: PublicKey,
}

/// The keys whose signatures are trusted.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The file they came from.
    pub file: String,
    signers: Vec<Signer>,
    openpgp: Vec<openpgp::Certificate>,
}

/// Why a trust file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustFileError {
    /// A line is not `principals [options] keytype key [comment]`.
    #[error(
        "{file}:{line}: {why}; write `principal[,principal] [namespaces=\"git\"] ssh-ed25519 AAAA…`, as git's allowed-signers files are"
    )]
    Line {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// No key at all.
    #[error(
        "{file} names no key: --trust needs an allowed-signers file with at least one SSH key, or armored OpenPGP public keys (gpg --armor --export), or both"
    )]
    Empty {
        /// The file.
        file: String,
    },
    /// It cannot be read.
    #[error("{file}: {why}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
}

/// Why a commit is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    /// No signature.
    #[error(
        "commit {commit} is not signed, and --trust {file} applies only signed commits: sign it (git commit -S) with a key of that file"
    )]
    Unsigned {
        /// Short SHA.
        commit: String,
        /// The trust file.
        file: String,
    },
    /// A signature that is not an SSH signature of the `git` namespace.
    #[error(
        "commit {commit} has a signature deckhand cannot verify ({why}): sign it with an SSH or OpenPGP key of the trust file"
    )]
    Unreadable {
        /// Short SHA.
        commit: String,
        /// What it is.
        why: String,
    },
    /// Signed by a key the file does not list (or not for `git`, or not then).
    #[error(
        "commit {commit} is signed by key {fingerprint}, which {file} does not trust{why}: add the key to that file, or sign with a trusted one"
    )]
    UnknownKey {
        /// Short SHA.
        commit: String,
        /// The signing key's SHA256 fingerprint.
        fingerprint: String,
        /// The trust file.
        file: String,
        /// More, when the key is listed but not for this.
        why: String,
    },
    /// A listed OpenPGP key that could not sign then (revoked, expired, not
    /// a signing key).
    #[error(
        "commit {commit} is signed by {signer} with key {fingerprint}, which {why}: sign it again with a valid key of {file}"
    )]
    KeyNotUsable {
        /// Short SHA.
        commit: String,
        /// The key's primary user id.
        signer: String,
        /// The signing key's fingerprint.
        fingerprint: String,
        /// What is wrong with it.
        why: String,
        /// The trust file.
        file: String,
    },
    /// A listed key, and a signature that does not verify.
    #[error(
        "commit {commit} has a bad signature by {signer} (key {fingerprint}): the commit was changed after it was signed, or the signature is forged; it is not applied"
    )]
    BadSignature {
        /// Short SHA.
        commit: String,
        /// The principals of the key.
        signer: String,
        /// Its fingerprint.
        fingerprint: String,
    },
    /// A plain directory has no commits to verify.
    #[error("{repo} is a plain directory: under --trust only signed git commits are applied")]
    PlainDirectory {
        /// The directory.
        repo: String,
    },
    /// The commit cannot be read.
    #[error("commit {commit}: {why}")]
    Git {
        /// Short SHA.
        commit: String,
        /// Why.
        why: String,
    },
}

impl Trust {
    /// Read and parse the trust file at `path`.
    pub fn load(path: &std::path::Path) -> Result<Trust, TrustFileError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| TrustFileError::Read {
            file: file.clone(),
            why: e.to_string(),
        })?;
        Trust::parse(&file, &text)
    }

    /// Parse a trust file: allowed-signers lines and armored OpenPGP
    /// public-key blocks, in any mix.
    pub fn parse(file: &str, text: &str) -> Result<Trust, TrustFileError> {
        let (openpgp, text) = openpgp::take_certificates(file, text)?;
        let mut signers = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let signer = parse_line(line).map_err(|why| TrustFileError::Line {
                file: file.to_owned(),
                line: i + 1,
                why,
            })?;
            signers.push(signer);
        }
        if signers.is_empty() && openpgp.is_empty() {
            return Err(TrustFileError::Empty {
                file: file.to_owned(),
            });
        }
        Ok(Trust {
            file: file.to_owned(),
            signers,
            openpgp,
        })
    }

    /// Judge one signature over `signed` made at `time` (seconds since the
    /// epoch): the principals of the key that made it, or why not.
    pub fn judge(
        &self,
        commit: &str,
        signature: Option<&str>,
        signed: &[u8],
        time: i64,
    ) -> Result<String, Untrusted> {
        let Some(signature) = signature else {
            return Err(Untrusted::Unsigned {
                commit: commit.to_owned(),
                file: self.file.clone(),
            });
        };
        let unreadable = |why: &str| Untrusted::Unreadable {
            commit: commit.to_owned(),
            why: why.to_owned(),
        };
        if signature.trim_start().starts_with(openpgp::SIGNATURE_BEGIN) {
            return openpgp::judge(&self.openpgp, &self.file, commit, signature, signed);
        }
        if !signature
            .trim_start()
            .starts_with("-----BEGIN SSH SIGNATURE-----")
        {
            return Err(unreadable("an X.509 or unknown kind of signature"));
        }
        let sig = SshSig::from_pem(signature.trim())
            .map_err(|_| unreadable("a malformed SSH signature"))?;
        if sig.namespace() != NAMESPACE {
            return Err(unreadable(&format!(
                "signed for namespace {:?}, not \"git\"",
                sig.namespace()
            )));
        }
        let fingerprint = PublicKey::from(sig.public_key().clone())
            .fingerprint(Default::default())
            .to_string();
        let same_key: Vec<&Signer> = self
            .signers
            .iter()
            .filter(|s| s.key.key_data() == sig.public_key())
            .collect();
        let usable: Vec<&&Signer> = same_key
            .iter()
            .filter(|s| {
                s.namespaces
                    .as_ref()
                    .is_none_or(|n| n.iter().any(|n| n == NAMESPACE))
            })
            .filter(|s| {
                s.valid_after.is_none_or(|t| time >= t) && s.valid_before.is_none_or(|t| time < t)
            })
            .collect();
        let Some(signer) = usable.first() else {
            return Err(Untrusted::UnknownKey {
                commit: commit.to_owned(),
                fingerprint,
                file: self.file.clone(),
                why: if same_key.is_empty() {
                    String::new()
                } else {
                    " for git commits at that time (namespaces, valid-after, valid-before)".into()
                },
            });
        };
        signer
            .key
            .verify(NAMESPACE, signed, &sig)
            .map(|()| signer.principals.join(","))
            .map_err(|_| Untrusted::BadSignature {
                commit: commit.to_owned(),
                signer: signer.principals.join(","),
                fingerprint,
            })
    }
}

/// Check commit `sha` of `repo` against `trust`: who signed it.
pub fn check(trust: &Trust, repo: &Repository, sha: &str) -> Result<String, Untrusted> {
    let short = super::short_sha(sha).to_owned();
    let git = |e: git2::Error| Untrusted::Git {
        commit: short.clone(),
        why: e.message().to_owned(),
    };
    let oid = Oid::from_str(sha).map_err(git)?;
    let time = repo
        .find_commit(oid)
        .map_err(git)?
        .committer()
        .when()
        .seconds();
    match repo.extract_signature(&oid, None) {
        Ok((signature, signed)) => {
            let signature = String::from_utf8_lossy(&signature).into_owned();
            trust.judge(&short, Some(&signature), &signed, time)
        }
        Err(e) if e.code() == git2::ErrorCode::NotFound => trust.judge(&short, None, &[], time),
        Err(e) => Err(git(e)),
    }
}

/// `principals [options] keytype base64 [comment]`.
fn parse_line(line: &str) -> Result<Signer, String> {
    let (principals, rest) = line
        .split_once(char::is_whitespace)
        .ok_or("a principal and a key are needed")?;
    let rest = rest.trim_start();
    // Options come before the key type, when the next word is not one.
    let (options, key) =
        if rest.starts_with("ssh-") || rest.starts_with("ecdsa-") || rest.starts_with("sk-") {
            ("", rest)
        } else {
            split_options(rest)?
        };
    let (mut namespaces, mut valid_after, mut valid_before) = (None, None, None);
    for option in unquoted_commas(options) {
        let (name, value) = option.split_once('=').unwrap_or((option, ""));
        let value = value.trim_matches('"');
        match name.to_ascii_lowercase().as_str() {
            "namespaces" => namespaces = Some(value.split(',').map(str::to_owned).collect()),
            "valid-after" => valid_after = Some(timestamp(value)?),
            "valid-before" => valid_before = Some(timestamp(value)?),
            "cert-authority" => return Err("cert-authority keys are not supported".into()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let key =
        PublicKey::from_openssh(key.trim()).map_err(|e| format!("the key does not parse ({e})"))?;
    Ok(Signer {
        principals: principals.split(',').map(str::to_owned).collect(),
        namespaces,
        valid_after,
        valid_before,
        key,
    })
}

/// `a="x,y",b` → `a="x,y"`, `b`.
fn unquoted_commas(options: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted) = (Vec::new(), 0, false);
    for (i, c) in options.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&options[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&options[start..]);
    out.into_iter().filter(|o| !o.is_empty()).collect()
}

/// The options field (up to the first space outside quotes) and the rest.
fn split_options(rest: &str) -> Result<(&str, &str), String> {
    let mut quoted = false;
    for (i, c) in rest.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Ok((&rest[..i], &rest[i..])),
            _ => {}
        }
    }
    Err("a key is needed after the options".into())
}

/// `YYYYMMDD[HHMM[SS]][Z]` as seconds since the epoch (UTC).
fn timestamp(value: &str) -> Result<i64, String> {
    let digits = value.trim_end_matches(['Z', 'z']);
    let bad = || format!("{value:?} is not a time (YYYYMMDD[HHMM[SS]])");
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let part =
        |range: std::ops::Range<usize>| digits.get(range).map_or(Ok(0), |s| s.parse::<i64>());
    let text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        part(0..4).map_err(|_| bad())?,
        part(4..6).map_err(|_| bad())?,
        part(6..8).map_err(|_| bad())?,
        part(8..10).map_err(|_| bad())?,
        part(10..12).map_err(|_| bad())?,
        part(12..14).map_err(|_| bad())?,
    );
    let t = humantime::parse_rfc3339(&text).map_err(|_| bad())?;
    Ok(t.duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| bad())?
        .as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1gYpvqW8BB6Rm3e2SqbYwRfY8r2ILCf8ZmVkmfYB7J ada";

    #[test]
    fn allowed_signers_lines_are_read_as_git_reads_them() {
        let text = format!(
            "# team\n\nada@example.com,release@example.com namespaces=\"git,file\",valid-after=\"20260101\",valid-before=\"202701010000Z\" {KEY}\nops@example.com {KEY}\n"
        );
        let trust = Trust::parse("allowed_signers", &text).unwrap();
        assert_eq!(trust.signers.len(), 2);
        let ada = &trust.signers[0];
        assert_eq!(ada.principals, ["ada@example.com", "release@example.com"]);
        assert_eq!(
            ada.namespaces.as_deref(),
            Some(&["git".to_owned(), "file".to_owned()][..])
        );
        assert_eq!(ada.valid_after, Some(1_767_225_600));
        assert_eq!(ada.valid_before, Some(1_798_761_600));
        assert!(trust.signers[1].namespaces.is_none());
    }

    #[test]
    fn a_bad_line_names_its_line_and_an_unsigned_commit_is_refused() {
        let e = Trust::parse(
            "f",
            &format!("ok@example.com {KEY}\nbad@example.com foo=1 {KEY}\n"),
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("f:2: unknown option \"foo\""),
            "{e}"
        );
        let trust = Trust::parse("f", &format!("ok@example.com {KEY}\n")).unwrap();
        assert_eq!(
            trust.judge("abc", None, b"", 0).unwrap_err().to_string(),
            "commit abc is not signed, and --trust f applies only signed commits: sign it (git commit -S) with a key of that file"
        );
        let pgp = "-----BEGIN PGP SIGNATURE-----\nx\n-----END PGP SIGNATURE-----\n";
        assert!(matches!(
            trust.judge("abc", Some(pgp), b"", 0),
            Err(Untrusted::Unreadable { .. })
        ));
        let x509 = "-----BEGIN SIGNED MESSAGE-----\nx\n-----END SIGNED MESSAGE-----\n";
        assert!(matches!(
            trust.judge("abc", Some(x509), b"", 0),
            Err(Untrusted::Unreadable { .. })
        ));
    }

    #[test]
    fn a_listed_key_signs_only_within_its_window_and_namespaces() {
        use crate::source::sign::{CommitSigner, tests::TEST_KEY, tests::TEST_KEY_PUB};
        let content = b"tree 0\nauthor A <a@example.com> 1767225600 +0000\n\nrelease\n";
        let signature = CommitSigner::parse("key", TEST_KEY)
            .unwrap()
            .sign(content)
            .unwrap();
        let public = TEST_KEY_PUB.trim();
        // 2026-01-01 and 2027-01-01, UTC.
        let (in_2026, in_2027) = (1_767_225_600 + 86_400, 1_798_761_600 + 86_400);
        let trust = |options: &str| {
            Trust::parse("f", &format!("bot@example.com {options} {public}\n")).unwrap()
        };
        let judged = |trust: &Trust, time| trust.judge("abc", Some(&signature), content, time);

        let window = trust("valid-after=\"20260101\",valid-before=\"20270101\"");
        assert_eq!(judged(&window, in_2026).unwrap(), "bot@example.com");
        let outside = judged(&window, in_2027).unwrap_err().to_string();
        assert!(
            outside.contains("for git commits at that time"),
            "{outside}"
        );
        let elsewhere = judged(&trust("namespaces=\"file\""), in_2026)
            .unwrap_err()
            .to_string();
        assert!(
            elsewhere.contains("for git commits at that time"),
            "{elsewhere}"
        );
        let changed = trust("").judge("abc", Some(&signature), b"another commit", in_2026);
        assert!(
            matches!(changed, Err(Untrusted::BadSignature { .. })),
            "{changed:?}"
        );
    }

    #[test]
    fn a_bad_time_or_a_file_without_keys_is_refused() {
        let e =
            Trust::parse("f", &format!("ok@example.com valid-after=\"soon\" {KEY}\n")).unwrap_err();
        assert!(
            e.to_string().starts_with("f:1: \"soon\" is not a time"),
            "{e}"
        );
        let e = Trust::parse("f", "# nobody yet\n\n").unwrap_err();
        assert_eq!(e, TrustFileError::Empty { file: "f".into() });
    }
}
