//! `deckhand iam-policy`: the least-privilege IAM policy for applying environments.

use super::{CommandError, Context, Outcome, print_json};
use crate::cli::{RepoArgs, parse_table_name};
use crate::iam;
use clap::Args;

// `iam-policy`'s arguments (its help is on `cli::Command::IamPolicy`).
#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Environments (default: all of environments/*.yaml).
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
    /// AWS account ID for the ARNs (default: the account of the task definitions' role ARNs, else `*`).
    #[arg(long)]
    pub account: Option<String>,
    /// Also allow the lease calls on this lock table (`--lock-table` of apply and controller).
    #[arg(long, value_name = "TABLE", env = "DECKHAND_LOCK_TABLE", value_parser = parse_table_name)]
    pub lock_table: Option<String>,
}

/// Print the policy document.
pub async fn exec(args: IamPolicyArgs, _context: Context) -> Result<Outcome, CommandError> {
    let environments = args.repo.load_all(args.envs).await?;
    let default_region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok();
    let policy = iam::policy(
        &environments,
        args.account.as_deref(),
        default_region.as_deref(),
        args.lock_table.as_deref(),
    );
    print_json(&policy)?;
    if let Some(assume) = iam::assume_roles(&environments) {
        // The printed policy is for the roles; deckhand's own credentials
        // need only to assume them.
        eprintln!(
            "note: these environments are reached through roleArn: attach the policy above to those roles, and give the credentials deckhand runs with (the controller's own role) this statement:\n{}",
            serde_json::to_string_pretty(&assume).expect("a statement serializes")
        );
        for env in &environments {
            if let (Some(role), Some(id)) = (&env.role_arn, &env.role_external_id) {
                eprintln!(
                    "note: {} assumes {role} with external id {id:?}: the role's trust policy can require it with \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": {id:?}}}}}",
                    env.name
                );
            }
        }
    }
    Ok(Outcome::Done)
}
