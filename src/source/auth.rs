//! How deckhand signs in to a git server, in a container as on a laptop:
//! an HTTPS access token from `DECKHAND_GIT_TOKEN` (GitHub, GitLab and
//! Bitbucket style: any user name with the token as password), an SSH deploy
//! key file checked against a known_hosts file, or else what the machine
//! has (ssh-agent, git's credential helper).
//!
//! Each way is tried once per fetch: libgit2 asks again after every refusal,
//! and a callback that always answers would loop forever. What was tried is
//! kept so a refusal can be explained in terms of it.

use git2::{CertificateCheckStatus, Cred, CredentialType, RemoteCallbacks};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The user name sent with a token when `DECKHAND_GIT_USERNAME` is unset
/// (GitHub accepts any; GitLab wants any non-empty one).
pub const DEFAULT_TOKEN_USER: &str = "x-access-token";

/// Git credentials deckhand was given.
#[derive(Clone, Default)]
pub struct GitAuth {
    /// HTTPS access token (`DECKHAND_GIT_TOKEN`). Never printed.
    pub token: Option<String>,
    /// User name sent with the token (`DECKHAND_GIT_USERNAME`).
    pub token_user: Option<String>,
    /// SSH private key file (`--git-ssh-key`, `DECKHAND_GIT_SSH_KEY`).
    pub ssh_key: Option<PathBuf>,
    /// Passphrase of the key (`DECKHAND_GIT_SSH_KEY_PASSPHRASE`). Never printed.
    pub ssh_passphrase: Option<String>,
    /// known_hosts file the server's host key must be in
    /// (`--git-known-hosts`, `DECKHAND_GIT_KNOWN_HOSTS`).
    pub known_hosts: Option<PathBuf>,
}

impl std::fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitAuth")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_user", &self.token_user)
            .field("ssh_key", &self.ssh_key)
            .field(
                "ssh_passphrase",
                &self.ssh_passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("known_hosts", &self.known_hosts)
            .finish()
    }
}

impl GitAuth {
    /// The token and passphrase from the environment (never from flags:
    /// flags show in the process list); key files from flags, else env.
    pub fn from_env(ssh_key: Option<PathBuf>, known_hosts: Option<PathBuf>) -> GitAuth {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        GitAuth {
            token: var("DECKHAND_GIT_TOKEN"),
            token_user: var("DECKHAND_GIT_USERNAME"),
            ssh_key: ssh_key.or_else(|| var("DECKHAND_GIT_SSH_KEY").map(PathBuf::from)),
            ssh_passphrase: var("DECKHAND_GIT_SSH_KEY_PASSPHRASE"),
            known_hosts: known_hosts.or_else(|| var("DECKHAND_GIT_KNOWN_HOSTS").map(PathBuf::from)),
        }
    }
}

/// What one fetch tried, to explain a refusal.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Attempts {
    /// The token was sent.
    pub token: bool,
    /// git's credential helper was asked.
    pub helper: bool,
    /// The key file was offered.
    pub ssh_key: bool,
    /// ssh-agent was asked.
    pub agent: bool,
    /// Every way was tried and refused: the fetch was stopped.
    pub exhausted: bool,
    /// The server's host key was not in the known_hosts file (its host).
    pub unknown_host: Option<String>,
}

/// Callbacks for one fetch of `url`; `attempts` records what they tried.
pub fn callbacks<'a>(
    auth: &'a GitAuth,
    url: &str,
    attempts: Rc<RefCell<Attempts>>,
) -> RemoteCallbacks<'a> {
    let mut callbacks = RemoteCallbacks::new();
    let tried = attempts.clone();
    callbacks.credentials(move |url, username, allowed| {
        let mut tried = tried.borrow_mut();
        if allowed.contains(CredentialType::USERNAME) {
            return Cred::username(username.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            let user = username.unwrap_or("git");
            if let Some(key) = &auth.ssh_key {
                if !tried.ssh_key {
                    tried.ssh_key = true;
                    return Cred::ssh_key(user, None, key, auth.ssh_passphrase.as_deref());
                }
            } else if !tried.agent {
                tried.agent = true;
                return Cred::ssh_key_from_agent(user);
            }
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            if let Some(token) = &auth.token {
                if !tried.token {
                    tried.token = true;
                    let user = auth.token_user.as_deref().unwrap_or(DEFAULT_TOKEN_USER);
                    return Cred::userpass_plaintext(user, token);
                }
            } else if !tried.helper {
                tried.helper = true;
                if let Ok(config) = git2::Config::open_default()
                    && let Ok(cred) = Cred::credential_helper(&config, url, username)
                {
                    return Ok(cred);
                }
            }
        }
        tried.exhausted = true;
        Err(git2::Error::from_str(
            "deckhand: no more credentials to try",
        ))
    });
    if let Some(file) = auth.known_hosts.clone() {
        let port = ssh_port(url);
        callbacks.certificate_check(move |cert, host| {
            let Some(hostkey) = cert.as_hostkey() else {
                return Ok(CertificateCheckStatus::CertificatePassthrough);
            };
            let Some(key) = hostkey.hostkey() else {
                return Ok(CertificateCheckStatus::CertificatePassthrough);
            };
            let known = std::fs::read_to_string(&file).unwrap_or_default();
            if known_host(&known, host, port, key) {
                Ok(CertificateCheckStatus::CertificateOk)
            } else {
                attempts.borrow_mut().unknown_host = Some(match port {
                    Some(p) => format!("[{host}]:{p}"),
                    None => host.to_owned(),
                });
                Err(git2::Error::from_str(
                    "deckhand: host key not in known_hosts",
                ))
            }
        });
    }
    callbacks
}

/// The port of an `ssh://host:port/…` URL, when it is not 22.
fn ssh_port(url: &str) -> Option<u16> {
    let rest = url.strip_prefix("ssh://")?;
    let authority = rest.split('/').next()?;
    let host_port = authority.rsplit('@').next()?;
    let (_, port) = host_port.rsplit_once(':')?;
    port.parse().ok().filter(|p| *p != 22)
}

/// Is `key` (the raw host key) listed for `host` in `known_hosts` text?
/// Plain host patterns only (`host`, `[host]:port`, comma-separated);
/// hashed entries (`|1|…`, from `ssh-keyscan -H`) are not read.
pub fn known_host(known_hosts: &str, host: &str, port: Option<u16>, key: &[u8]) -> bool {
    let wanted = match port {
        Some(p) => format!("[{host}]:{p}"),
        None => host.to_owned(),
    };
    known_hosts.lines().any(|line| {
        let mut fields = line.split_whitespace();
        let (Some(hosts), Some(_kind), Some(encoded)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        if hosts.starts_with('#') || hosts.starts_with('@') {
            return false;
        }
        hosts.split(',').any(|h| h == wanted) && base64_decode(encoded).as_deref() == Some(key)
    })
}

/// Standard base64 (as known_hosts writes keys).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Why the server refused, and what to do, from what was tried.
pub fn refusal(auth: &GitAuth, attempts: &Attempts) -> Option<String> {
    if let Some(host) = &attempts.unknown_host {
        let file = auth.known_hosts.as_deref().map_or_else(
            || "the known_hosts file".to_owned(),
            |p| p.display().to_string(),
        );
        return Some(format!(
            "the SSH host key of {host} is not in {file}: add it (e.g. `ssh-keyscan {} >> {file}`) after checking it with the server's owner",
            host.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or(host)
        ));
    }
    if !attempts.exhausted {
        return None;
    }
    if attempts.token {
        let user = auth.token_user.as_deref().unwrap_or(DEFAULT_TOKEN_USER);
        return Some(format!(
            "the git server refused the token in DECKHAND_GIT_TOKEN (sent as user '{user}'): check that it has not expired and may read the repository (GitHub: contents read; GitLab: read_repository)"
        ));
    }
    if attempts.ssh_key {
        let key = auth.ssh_key.as_deref().map(Path::display);
        return Some(format!(
            "the git server refused the SSH key {}: add its public key to the repository as a deploy key, or check DECKHAND_GIT_SSH_KEY_PASSPHRASE",
            key.map(|k| k.to_string()).unwrap_or_default()
        ));
    }
    if attempts.agent {
        return Some(
            "the git server refused every ssh-agent key: set DECKHAND_GIT_SSH_KEY (or --git-ssh-key) to a deploy key file".to_owned(),
        );
    }
    Some("the git server asks for credentials: set DECKHAND_GIT_TOKEN to an access token that may read the repository".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_match_host_port_and_key() {
        let key = b"\x00\x00\x00\x13ecdsa-sha2-nistp256";
        let encoded = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=";
        assert_eq!(base64_decode(encoded).unwrap(), key);
        let file = format!(
            "# comment\ngithub.com,140.82.112.3 ecdsa-sha2-nistp256 {encoded}\n[127.0.0.1]:2222 ecdsa-sha2-nistp256 {encoded}\n"
        );
        assert!(known_host(&file, "github.com", None, key));
        assert!(known_host(&file, "140.82.112.3", None, key));
        assert!(known_host(&file, "127.0.0.1", Some(2222), key));
        assert!(!known_host(&file, "127.0.0.1", None, key));
        assert!(!known_host(&file, "github.com", None, b"another key"));
        assert!(!known_host(&file, "gitlab.com", None, key));
    }

    #[test]
    fn ports_come_from_ssh_urls() {
        assert_eq!(
            ssh_port("ssh://git@127.0.0.1:2222/srv/repo.git"),
            Some(2222)
        );
        assert_eq!(ssh_port("ssh://git@github.com/acme/config.git"), None);
        assert_eq!(ssh_port("ssh://git@github.com:22/acme/config.git"), None);
        assert_eq!(ssh_port("git@github.com:acme/config.git"), None);
    }

    #[test]
    fn refusals_name_what_was_tried_and_never_the_token() {
        let auth = GitAuth {
            token: Some("ghp_secret".into()),
            ..GitAuth::default()
        };
        let tried = Attempts {
            token: true,
            exhausted: true,
            ..Attempts::default()
        };
        let text = refusal(&auth, &tried).unwrap();
        assert!(
            text.contains("DECKHAND_GIT_TOKEN") && !text.contains("ghp_secret"),
            "{text}"
        );
        assert!(!format!("{auth:?}").contains("ghp_secret"));
        let nothing = Attempts {
            helper: true,
            exhausted: true,
            ..Attempts::default()
        };
        assert!(
            refusal(&GitAuth::default(), &nothing)
                .unwrap()
                .contains("set DECKHAND_GIT_TOKEN")
        );
        assert_eq!(refusal(&auth, &Attempts::default()), None);
    }
}
