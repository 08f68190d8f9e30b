//! Where the AWS credentials come from, told before the first call, so that a
//! failure of the standard chain can be explained in the terms of the source
//! the user set up (an SSO profile wants `aws sso login`; a
//! `credential_process` wants running by hand) instead of a generic "no
//! credentials". The chain itself is the SDK's; this only reads the same
//! inputs (environment variables and the profile files) in the same order.

use aws_config::profile::ProfileSet;

/// The first source of the standard chain that is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and maybe a session token).
    Environment,
    /// A profile with `sso_session` or `sso_start_url` (IAM Identity Center).
    Sso {
        /// The profile.
        profile: String,
    },
    /// A profile with `credential_process`.
    Process {
        /// The profile.
        profile: String,
    },
    /// A profile with `role_arn` (assumed from `source_profile` or `credential_source`).
    AssumeRole {
        /// The profile.
        profile: String,
        /// The role.
        role: String,
    },
    /// A profile with static keys.
    StaticProfile {
        /// The profile.
        profile: String,
    },
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (EKS, GitHub Actions OIDC).
    WebIdentity {
        /// The role.
        role: String,
    },
    /// An environment's `roleArn`, assumed from deckhand's own credentials.
    EnvironmentRole {
        /// The role.
        role: String,
        /// The session name (`deckhand-<environment>`).
        session: String,
        /// Where deckhand's own credentials come from.
        own: Box<CredentialSource>,
    },
    /// The ECS task role (`AWS_CONTAINER_CREDENTIALS_*`).
    TaskRole,
    /// Nothing configured: only the EC2 instance role is left to try.
    InstanceRole,
}

/// The source the standard chain will use. `var` reads an environment variable.
pub fn source(var: &dyn Fn(&str) -> Option<String>, profiles: &ProfileSet) -> CredentialSource {
    if var("AWS_ACCESS_KEY_ID").is_some() {
        return CredentialSource::Environment;
    }
    let name = profiles.selected_profile().to_owned();
    if let Some(profile) = profiles.get_profile(&name) {
        if let Some(role) = profile.get("role_arn") {
            let federated = profile.get("web_identity_token_file").is_some();
            if !federated {
                return CredentialSource::AssumeRole {
                    profile: name,
                    role: role.to_owned(),
                };
            }
            return CredentialSource::WebIdentity {
                role: role.to_owned(),
            };
        }
        if profile.get("sso_session").is_some() || profile.get("sso_start_url").is_some() {
            return CredentialSource::Sso { profile: name };
        }
        if profile.get("credential_process").is_some() {
            return CredentialSource::Process { profile: name };
        }
        if profile.get("aws_access_key_id").is_some() {
            return CredentialSource::StaticProfile { profile: name };
        }
    }
    if var("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
        return CredentialSource::WebIdentity {
            role: var("AWS_ROLE_ARN").unwrap_or_else(|| "(AWS_ROLE_ARN is not set)".into()),
        };
    }
    if var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || var("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        return CredentialSource::TaskRole;
    }
    CredentialSource::InstanceRole
}

impl CredentialSource {
    /// What to tell the user when this source gave no credentials; `cause` is
    /// the innermost reason the SDK reported.
    pub fn advice(&self, cause: &str) -> String {
        match self {
            CredentialSource::Sso { profile } => format!(
                "the AWS SSO sign-in of profile '{profile}' is missing or has expired: run `aws sso login --profile {profile}` and try again"
            ),
            CredentialSource::Process { profile } => format!(
                "the credential_process of AWS profile '{profile}' failed ({cause}): run that command by hand to see why"
            ),
            CredentialSource::AssumeRole { profile, role } => format!(
                "could not assume role {role} for AWS profile '{profile}' ({cause}): check the profile's source credentials and that the role trusts them"
            ),
            CredentialSource::StaticProfile { profile } => format!(
                "AWS profile '{profile}' has no usable keys ({cause}): check aws_access_key_id and aws_secret_access_key in it"
            ),
            CredentialSource::WebIdentity { role } => format!(
                "could not exchange the web identity token (AWS_WEB_IDENTITY_TOKEN_FILE) for role {role} ({cause}): check the token file and the role's trust policy"
            ),
            CredentialSource::EnvironmentRole { role, session, .. } => format!(
                "could not assume role {role} (session {session}) ({cause}): the role's trust policy must let the credentials deckhand runs with call sts:AssumeRole on it (`deckhand iam-policy` prints what they need), and the roleArn in the spec (and roleExternalId, when the trust policy asks for one) must be right"
            ),
            CredentialSource::TaskRole => format!(
                "the ECS task role gave no credentials ({cause}): check the task definition's taskRoleArn"
            ),
            CredentialSource::Environment => format!(
                "the AWS keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are incomplete ({cause}): set both"
            ),
            CredentialSource::InstanceRole => "no AWS credentials found: sign in with `aws sso login --profile NAME` and set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with a task or instance role".to_owned(),
        }
    }

    /// What to tell the user when AWS says the credentials have expired.
    pub fn expired_advice(&self) -> String {
        match self {
            CredentialSource::Sso { profile } => format!(
                "the AWS SSO session of profile '{profile}' has expired: run `aws sso login --profile {profile}` and try again"
            ),
            CredentialSource::Environment => {
                "the AWS session token in AWS_SESSION_TOKEN has expired: get fresh credentials and set them again".to_owned()
            }
            _ => "the AWS credentials have expired: sign in again and retry".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runtime::env_config::file::EnvConfigFiles as ProfileFiles;
    use aws_types::os_shim_internal::{Env, Fs};

    fn profiles(config: &str, selected: &str) -> ProfileSet {
        let fs = Fs::from_slice(&[("/cfg", config), ("/creds", "")]);
        let env = Env::from_slice(&[
            ("AWS_CONFIG_FILE", "/cfg"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
            ("AWS_PROFILE", selected),
        ]);
        let files = ProfileFiles::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(aws_config::profile::load(&fs, &env, &files, None))
            .unwrap()
    }

    const CONFIG: &str = "
[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Deploy
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
[profile legacy-sso]
sso_start_url = https://example.awsapps.com/start
[profile proc]
credential_process = /usr/local/bin/get-creds
[profile deploy]
role_arn = arn:aws:iam::123456789012:role/deploy
source_profile = keys
[profile keys]
aws_access_key_id = AKIA
aws_secret_access_key = s
";

    #[test]
    fn the_first_configured_source_is_named() {
        let none = |_: &str| None;
        let cases = [
            (
                "sso",
                CredentialSource::Sso {
                    profile: "sso".into(),
                },
            ),
            (
                "legacy-sso",
                CredentialSource::Sso {
                    profile: "legacy-sso".into(),
                },
            ),
            (
                "proc",
                CredentialSource::Process {
                    profile: "proc".into(),
                },
            ),
            (
                "deploy",
                CredentialSource::AssumeRole {
                    profile: "deploy".into(),
                    role: "arn:aws:iam::123456789012:role/deploy".into(),
                },
            ),
            (
                "keys",
                CredentialSource::StaticProfile {
                    profile: "keys".into(),
                },
            ),
            ("default", CredentialSource::InstanceRole),
        ];
        for (profile, expected) in cases {
            assert_eq!(source(&none, &profiles(CONFIG, profile)), expected);
        }
    }

    #[test]
    fn environment_keys_win_and_containers_use_their_role() {
        let set = profiles(CONFIG, "sso");
        let keys = |v: &str| (v == "AWS_ACCESS_KEY_ID").then(|| "AKIA".to_owned());
        assert_eq!(source(&keys, &set), CredentialSource::Environment);
        let default = profiles(CONFIG, "default");
        let task = |v: &str| {
            (v == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").then(|| "/v2/credentials/x".to_owned())
        };
        assert_eq!(source(&task, &default), CredentialSource::TaskRole);
        let oidc = |v: &str| match v {
            "AWS_WEB_IDENTITY_TOKEN_FILE" => Some("/token".to_owned()),
            "AWS_ROLE_ARN" => Some("arn:aws:iam::1:role/ci".to_owned()),
            _ => None,
        };
        assert_eq!(
            source(&oidc, &default),
            CredentialSource::WebIdentity {
                role: "arn:aws:iam::1:role/ci".into()
            }
        );
    }

    #[test]
    fn an_environment_role_that_cannot_be_assumed_names_it_and_the_way_out() {
        let advice = CredentialSource::EnvironmentRole {
            role: "arn:aws:iam::210987654321:role/deckhand".into(),
            session: "deckhand-production".into(),
            own: Box::new(CredentialSource::Environment),
        }
        .advice("AccessDenied: not authorized to perform sts:AssumeRole");
        assert!(
            advice.starts_with("could not assume role arn:aws:iam::210987654321:role/deckhand (session deckhand-production) (AccessDenied"),
            "{advice}"
        );
        assert!(
            advice.contains("trust policy") && advice.contains("deckhand iam-policy"),
            "{advice}"
        );
    }

    #[test]
    fn an_sso_profile_is_told_to_sign_in() {
        let advice = CredentialSource::Sso {
            profile: "prod".into(),
        }
        .advice("failed to read the cached SSO token");
        assert!(advice.contains("aws sso login --profile prod"), "{advice}");
    }
}
