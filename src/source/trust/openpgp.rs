//! OpenPGP commit signatures (`gpg.format openpgp`, and GitHub's web-flow
//! key for merges made in its UI), verified against the armored public keys
//! of the trust file.
//!
//! rPGP (`pgp`) checks the cryptography: the key's self-signatures and
//! subkey bindings when the file is read, and each signature. It leaves the
//! key semantics to its user, so they are here, judged at the signature's
//! creation time:
//!
//! - only the keys in the file (their primary key, or a subkey bound to
//!   one): no web of trust, no keyserver;
//! - the key that signed must be signing-capable (key flags of its newest
//!   self-signature or binding);
//! - it must not be revoked, and must have been valid (created, not yet
//!   expired) when it signed.

use super::{TrustFileError, Untrusted};
use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::packet::{Signature, SignatureType};
use pgp::types::KeyDetails;

const KEY_BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const KEY_END: &str = "-----END PGP PUBLIC KEY BLOCK-----";
/// How an OpenPGP signature in a commit starts.
pub(super) const SIGNATURE_BEGIN: &str = "-----BEGIN PGP SIGNATURE-----";

/// One trusted certificate: a primary key, its subkeys, its user ids.
#[derive(Debug, Clone)]
pub(super) struct Certificate {
    key: SignedPublicKey,
    /// The primary user id, `Ada <ada@example.com>`.
    name: String,
}

/// Take the armored public-key blocks out of `text` (a trust file): the
/// certificates, and the text with each block's lines blanked (so the rest
/// keeps its line numbers).
pub(super) fn take_certificates(
    file: &str,
    text: &str,
) -> Result<(Vec<Certificate>, String), TrustFileError> {
    let mut certificates = Vec::new();
    let mut rest = Vec::new();
    let mut block: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        match &mut block {
            None if trimmed == KEY_BEGIN => block = Some((i + 1, format!("{trimmed}\n"))),
            None => {
                rest.push(line);
                continue;
            }
            Some((start, armored)) => {
                armored.push_str(trimmed);
                armored.push('\n');
                if trimmed == KEY_END {
                    certificates.extend(parse_block(file, *start, armored)?);
                    block = None;
                }
            }
        }
        rest.push("");
    }
    if let Some((start, _)) = block {
        return Err(TrustFileError::Line {
            file: file.to_owned(),
            line: start,
            why: format!("the OpenPGP key block has no {KEY_END} line"),
        });
    }
    Ok((certificates, rest.join("\n")))
}

/// The certificates of one armored block starting at line `line`.
fn parse_block(file: &str, line: usize, armored: &str) -> Result<Vec<Certificate>, TrustFileError> {
    let bad = |why: String| TrustFileError::Line {
        file: file.to_owned(),
        line,
        why,
    };
    let (keys, _) = SignedPublicKey::from_string_many(armored)
        .map_err(|e| bad(format!("not an OpenPGP public key ({e})")))?;
    let mut certificates = Vec::new();
    for key in keys {
        let key = key.map_err(|e| bad(format!("not an OpenPGP public key ({e})")))?;
        key.verify_bindings().map_err(|e| {
            bad(format!(
                "the key {:X} does not verify its own signatures ({e})",
                key.primary_key.fingerprint()
            ))
        })?;
        let name = primary_user(&key).unwrap_or_else(|| format!("{:X}", key.fingerprint()));
        certificates.push(Certificate { key, name });
    }
    if certificates.is_empty() {
        return Err(bad("the block holds no public key".into()));
    }
    Ok(certificates)
}

/// The primary user id, else the first.
fn primary_user(key: &SignedPublicKey) -> Option<String> {
    let users = &key.details.users;
    let user = users
        .iter()
        .find(|u| u.is_primary())
        .or_else(|| users.first())?;
    Some(String::from_utf8_lossy(user.id.id()).into_owned())
}

/// The newest of `signatures` of one of `types`.
fn newest<'s>(
    signatures: impl IntoIterator<Item = &'s Signature>,
    types: &[SignatureType],
) -> Option<&'s Signature> {
    signatures
        .into_iter()
        .filter(|s| s.typ().is_some_and(|t| types.contains(&t)))
        .max_by_key(|s| s.created().map(|t| t.as_secs()).unwrap_or(0))
}

const CERTIFICATIONS: &[SignatureType] = &[
    SignatureType::CertGeneric,
    SignatureType::CertPersona,
    SignatureType::CertCasual,
    SignatureType::CertPositive,
];

type Verify<'c> = dyn Fn(&Signature, &[u8]) -> pgp::errors::Result<()> + 'c;

/// What one trusted key (primary or subkey) needs for judging.
struct Candidate<'c> {
    certificate: &'c Certificate,
    /// The newest self-signature or binding that describes it.
    binding: Option<&'c Signature>,
    created: u32,
    revoked: bool,
    /// Verifies a signature with it.
    verify: Box<Verify<'c>>,
}

/// Judge an OpenPGP `signature` over `signed`: who signed it, or why not.
pub(super) fn judge(
    certificates: &[Certificate],
    file: &str,
    commit: &str,
    signature: &str,
    signed: &[u8],
) -> Result<String, Untrusted> {
    let unreadable = || Untrusted::Unreadable {
        commit: commit.to_owned(),
        why: "a malformed OpenPGP signature".into(),
    };
    let (detached, _) = DetachedSignature::from_string(signature).map_err(|_| unreadable())?;
    let sig = &detached.signature;
    let signed_at = sig.created().map(|t| t.as_secs()).ok_or_else(unreadable)?;
    let Some(candidate) = certificates.iter().find_map(|c| candidate(c, sig)) else {
        return Err(Untrusted::UnknownKey {
            commit: commit.to_owned(),
            fingerprint: issuer(sig),
            file: file.to_owned(),
            why: String::new(),
        });
    };
    decide(candidate, sig, signed, signed_at, commit, file)
}

/// The key of `certificate` that `sig` names as its issuer, if one does.
fn candidate<'c>(certificate: &'c Certificate, sig: &Signature) -> Option<Candidate<'c>> {
    let key = &certificate.key;
    let revoked = !key.details.revocation_signatures.is_empty();
    if names(sig, &key.primary_key) {
        let certifications = key.details.users.iter().flat_map(|u| &u.signatures);
        let binding = newest(certifications, CERTIFICATIONS)
            .or_else(|| newest(&key.details.direct_signatures, &[SignatureType::Key]));
        return Some(Candidate {
            certificate,
            binding,
            created: key.primary_key.created_at().as_secs(),
            revoked,
            verify: Box::new(|s: &Signature, data: &[u8]| s.verify(&key.primary_key, data)),
        });
    }
    let subkey = key.public_subkeys.iter().find(|k| names(sig, &k.key))?;
    Some(Candidate {
        certificate,
        binding: newest(&subkey.signatures, &[SignatureType::SubkeyBinding]),
        created: subkey.key.created_at().as_secs(),
        revoked: revoked
            || newest(&subkey.signatures, &[SignatureType::SubkeyRevocation]).is_some(),
        verify: Box::new(|s: &Signature, data: &[u8]| s.verify(&subkey.key, data)),
    })
}

/// The semantic checks, then the signature itself.
fn decide(
    candidate: Candidate<'_>,
    sig: &Signature,
    signed: &[u8],
    signed_at: u32,
    commit: &str,
    file: &str,
) -> Result<String, Untrusted> {
    let signer = candidate.certificate.name.clone();
    let fingerprint = issuer(sig);
    let unusable = |why: &str| Untrusted::KeyNotUsable {
        commit: commit.to_owned(),
        signer: signer.clone(),
        fingerprint: fingerprint.clone(),
        why: why.to_owned(),
        file: file.to_owned(),
    };
    if candidate.revoked {
        return Err(unusable("is revoked"));
    }
    let binding = candidate
        .binding
        .ok_or_else(|| unusable("no self-signature binds to its certificate"))?;
    if !binding.key_flags().sign() {
        return Err(unusable("may not sign (its key flags)"));
    }
    let expires = binding
        .key_expiration_time()
        .map(|d| u64::from(candidate.created) + u64::from(d.as_secs()));
    if signed_at < candidate.created || expires.is_some_and(|e| u64::from(signed_at) >= e) {
        return Err(unusable(
            "was not valid when it signed (created later, or expired)",
        ));
    }
    (candidate.verify)(sig, signed)
        .map(|()| signer.clone())
        .map_err(|_| Untrusted::BadSignature {
            commit: commit.to_owned(),
            signer: signer.clone(),
            fingerprint: fingerprint.clone(),
        })
}

/// Whether `sig` names `key` as its issuer (by fingerprint or key id).
fn names(sig: &Signature, key: &impl KeyDetails) -> bool {
    let fingerprint = key.fingerprint();
    let id = key.legacy_key_id();
    sig.issuer_fingerprint().iter().any(|f| **f == fingerprint)
        || sig.issuer_key_id().iter().any(|k| **k == id)
}

/// The issuer as shown: its fingerprint, else its key id.
fn issuer(sig: &Signature) -> String {
    match (
        sig.issuer_fingerprint().first(),
        sig.issuer_key_id().first(),
    ) {
        (Some(f), _) => format!("{f:X}"),
        (None, Some(id)) => hex::encode_upper(id.as_ref()),
        (None, None) => "(none named)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Trust, TrustFileError, Untrusted};

    // Made with gpg 2.2 at fixed (faked) times: keys on 2026-01-01, the
    // signatures of `commit.txt` on 2026-01-10.
    const ADA: &str = include_str!("../testdata/openpgp/ada.asc");
    const ADA_EXPIRED: &str = include_str!("../testdata/openpgp/ada-expired.asc");
    const ADA_REVOKED: &str = include_str!("../testdata/openpgp/ada-revoked.asc");
    const BOB: &str = include_str!("../testdata/openpgp/bob.asc");
    const COMMIT: &[u8] = include_bytes!("../testdata/openpgp/commit.txt");
    const BY_ADA: &str = include_str!("../testdata/openpgp/commit.ada.sig");
    const BY_BOB: &str = include_str!("../testdata/openpgp/commit.bob.sig");
    const BY_MALLORY: &str = include_str!("../testdata/openpgp/commit.mallory.sig");

    fn judge(keys: &str, signature: &str, signed: &[u8]) -> Result<String, Untrusted> {
        let trust = Trust::parse("trusted", keys).unwrap();
        trust.judge("abc1234", Some(signature), signed, 0)
    }

    #[test]
    fn a_trusted_key_or_its_signing_subkey_verifies() {
        assert_eq!(judge(ADA, BY_ADA, COMMIT).unwrap(), "Ada <ada@example.com>");
        assert_eq!(judge(BOB, BY_BOB, COMMIT).unwrap(), "Bob <bob@example.com>");
        // Both in one file, with an SSH line between them.
        let mixed = format!(
            "{ADA}\nci@example.com {}\n{BOB}",
            crate::source::sign::tests::TEST_KEY_PUB
        );
        assert_eq!(
            judge(&mixed, BY_BOB, COMMIT).unwrap(),
            "Bob <bob@example.com>"
        );
    }

    #[test]
    fn an_unknown_key_a_changed_commit_a_revoked_or_expired_key_are_refused() {
        let e = judge(ADA, BY_MALLORY, COMMIT).unwrap_err();
        assert!(matches!(e, Untrusted::UnknownKey { .. }), "{e}");
        let e = judge(ADA, BY_ADA, b"tree 0000\n\nsomething else\n").unwrap_err();
        assert!(matches!(e, Untrusted::BadSignature { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("bad signature by Ada <ada@example.com>"),
            "{e}"
        );
        let e = judge(ADA_REVOKED, BY_ADA, COMMIT).unwrap_err();
        assert!(matches!(e, Untrusted::KeyNotUsable { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("commit abc1234 is signed by Ada <ada@example.com> with key ")
                && e.to_string()
                    .ends_with(", which is revoked: sign it again with a valid key of trusted"),
            "{e}"
        );
        let e = judge(ADA_EXPIRED, BY_ADA, COMMIT).unwrap_err();
        assert!(
            e.to_string().contains("was not valid when it signed"),
            "{e}"
        );
        // An SSH-only file does not know OpenPGP keys.
        let ssh = format!(
            "ci@example.com {}",
            crate::source::sign::tests::TEST_KEY_PUB
        );
        let e = judge(&ssh, BY_ADA, COMMIT).unwrap_err();
        assert!(matches!(e, Untrusted::UnknownKey { .. }), "{e}");
    }

    #[test]
    fn a_broken_key_block_names_its_line() {
        let cut = ADA.replace("-----END PGP PUBLIC KEY BLOCK-----", "");
        let e = Trust::parse("trusted", &format!("# keys\n{cut}")).unwrap_err();
        assert!(matches!(e, TrustFileError::Line { line: 2, .. }), "{e}");
        let garbled = ADA.replacen("m", "M", 3);
        let e = Trust::parse("trusted", &garbled).unwrap_err();
        assert!(e.to_string().starts_with("trusted:1: "), "{e}");
    }
}
