//! Signing the commits deckhand writes (`promote`, `rollback`) with an SSH
//! key given to it (`--sign-with FILE`), so that they pass the `--trust`
//! check of the controller that applies them.
//!
//! The signature is what `git commit -S` makes with `gpg.format ssh`: an
//! SSHSIG over the commit object in the `git` namespace, armored, in the
//! commit's `gpgsig` header. The key is an unencrypted OpenSSH private key
//! (a deploy key for a service has no one to type its passphrase).

use super::trust::NAMESPACE;
use ssh_key::{HashAlg, LineEnding, PrivateKey};
use std::path::Path;

/// A loaded signing key. Its Debug shows the file and fingerprint only.
pub struct CommitSigner {
    file: String,
    key: PrivateKey,
}

impl std::fmt::Debug for CommitSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitSigner")
            .field("file", &self.file)
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

/// Why a signing key cannot be used, or a commit not signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The file cannot be read.
    #[error("--sign-with {file}: {source}")]
    Unreadable {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an OpenSSH private key.
    #[error(
        "--sign-with {file} is not an OpenSSH private key ({why}): give the private key file (-----BEGIN OPENSSH PRIVATE KEY-----), e.g. one made with ssh-keygen -t ed25519"
    )]
    NotAKey {
        /// The file.
        file: String,
        /// The parser's words.
        why: String,
    },
    /// The key has a passphrase.
    #[error(
        "--sign-with {file} is encrypted with a passphrase, which deckhand cannot type: give it a key without one (ssh-keygen -t ed25519 -N ''), kept as a secret"
    )]
    Encrypted {
        /// The file.
        file: String,
    },
    /// Signing failed (an algorithm this build cannot sign with).
    #[error("--sign-with {file}: the commit could not be signed: {why}")]
    Sign {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
}

impl CommitSigner {
    /// Read the private key at `path`.
    pub fn load(path: &Path) -> Result<CommitSigner, SignError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SignError::Unreadable {
            file: file.clone(),
            source,
        })?;
        CommitSigner::parse(&file, &text)
    }

    /// Parse the OpenSSH private key `text` (from `file`).
    pub fn parse(file: &str, text: &str) -> Result<CommitSigner, SignError> {
        let key = PrivateKey::from_openssh(text.trim()).map_err(|e| SignError::NotAKey {
            file: file.to_owned(),
            why: e.to_string(),
        })?;
        if key.is_encrypted() {
            return Err(SignError::Encrypted {
                file: file.to_owned(),
            });
        }
        Ok(CommitSigner {
            file: file.to_owned(),
            key,
        })
    }

    /// The key's fingerprint, `SHA256:…`.
    pub fn fingerprint(&self) -> String {
        self.key
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }

    /// The armored signature of the commit object `content`.
    pub fn sign(&self, content: &[u8]) -> Result<String, SignError> {
        let failed = |e: ssh_key::Error| SignError::Sign {
            file: self.file.clone(),
            why: e.to_string(),
        };
        self.key
            .sign(NAMESPACE, HashAlg::Sha512, content)
            .map_err(failed)?
            .to_pem(LineEnding::LF)
            .map_err(failed)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An ed25519 key made for these tests (`ssh-keygen -t ed25519 -N ''`).
    pub(crate) const TEST_KEY: &str = include_str!("testdata/signing_key");
    /// Its public half.
    pub(crate) const TEST_KEY_PUB: &str = include_str!("testdata/signing_key.pub");

    #[test]
    fn signs_in_the_git_namespace_verifiably() {
        let signer = CommitSigner::parse("key", TEST_KEY).unwrap();
        let armored = signer.sign(b"tree 1234\n\nmessage\n").unwrap();
        assert!(
            armored.starts_with("-----BEGIN SSH SIGNATURE-----"),
            "{armored}"
        );
        let public: ssh_key::PublicKey = TEST_KEY_PUB.trim().parse().unwrap();
        let sig: ssh_key::SshSig = armored.parse().unwrap();
        public
            .verify("git", b"tree 1234\n\nmessage\n", &sig)
            .unwrap();
        assert!(
            public
                .verify("file", b"tree 1234\n\nmessage\n", &sig)
                .is_err()
        );
        assert_eq!(
            signer.fingerprint(),
            public.fingerprint(HashAlg::Sha256).to_string()
        );
    }

    #[test]
    fn a_key_with_a_passphrase_is_refused_with_the_fix() {
        let e = CommitSigner::parse("enc", include_str!("testdata/encrypted_key")).unwrap_err();
        assert!(matches!(e, SignError::Encrypted { .. }), "{e}");
        assert!(e.to_string().contains("-N ''"), "{e}");
    }

    #[test]
    fn a_public_key_or_garbage_is_refused_and_debug_never_shows_the_key() {
        let e = CommitSigner::parse("id.pub", TEST_KEY_PUB).unwrap_err();
        assert!(matches!(e, SignError::NotAKey { .. }), "{e}");
        assert!(e.to_string().contains("not an OpenSSH private key"), "{e}");
        let signer = CommitSigner::parse("key", TEST_KEY).unwrap();
        let shown = format!("{signer:?}");
        assert!(
            shown.contains("SHA256:") && !shown.contains("PRIVATE"),
            "{shown}"
        );
    }
}
