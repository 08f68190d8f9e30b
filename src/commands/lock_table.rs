//! `deckhand lock-table create|show`: the DynamoDB table of `--lock-table`.

use super::{CommandError, Context, Outcome, print, print_report};
use crate::cli::{StatusFormat, parse_table_name};
use crate::ecs::locks::{Created, LeaseRecord};
use crate::ecs::{DynamoLockTable, LockTable};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::fmt;

// `lock-table`'s arguments (its help is on `cli::Command::LockTable`).
#[derive(Debug, Args)]
pub struct LockTableArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LockTableCommand,
}

/// `lock-table` subcommands.
#[derive(Debug, Subcommand)]
pub enum LockTableCommand {
    /// Create the table (on-demand billing, key `id`, TTL on `expires`), or check the one that exists.
    Create {
        /// The table name.
        #[arg(value_parser = parse_table_name)]
        name: String,
    },
    /// Every lease in the table: what, who holds it, until when.
    Show {
        /// The table name.
        #[arg(value_parser = parse_table_name)]
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: StatusFormat,
    },
}

/// Create the table, or show its leases.
pub async fn exec(args: LockTableArgs, _context: Context) -> Result<Outcome, CommandError> {
    match args.command {
        LockTableCommand::Create { name } => {
            let table = DynamoLockTable::connect(&name, None).await?;
            let text = match table.create().await? {
                Created::Created => format!(
                    "Created lock table {name} (on-demand, TTL on `expires`). Use it with --lock-table {name} (or DECKHAND_LOCK_TABLE) on apply and on every controller replica.\n"
                ),
                Created::Existed => format!(
                    "Lock table {name} exists (key and TTL checked); nothing was changed.\n"
                ),
            };
            print(&text)?;
        }
        LockTableCommand::Show { name, format } => {
            let table = DynamoLockTable::connect(&name, None).await?;
            let mut records = table.list().await?;
            records.sort_by(|a, b| a.id.cmp(&b.id));
            let now = table.now();
            let report = LeasesReport {
                table: name,
                leases: records.iter().map(|r| Lease::of(r, now)).collect(),
            };
            print_report(&report, format)?;
        }
    }
    Ok(Outcome::Done)
}

/// The leases of a lock table.
#[derive(Debug, Serialize)]
pub struct LeasesReport {
    /// The table.
    pub table: String,
    /// Its items, by id.
    pub leases: Vec<Lease>,
}

/// One item of the table, as of now.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// What it is for (`env/<name>`, `shard/<n>`, `replica/<id>`, `repo`).
    pub id: String,
    /// Who holds it.
    pub holder: String,
    /// Seconds until it expires (negative: expired).
    pub expires_in: i64,
    /// Its fencing token.
    pub fence: u64,
    /// Not expired.
    pub live: bool,
}

impl Lease {
    fn of(record: &LeaseRecord, now: u64) -> Lease {
        Lease {
            id: record.id.clone(),
            holder: record.holder.clone(),
            expires_in: record.expires as i64 - now as i64,
            fence: record.fence,
            live: record.live_at(now),
        }
    }
}

impl fmt::Display for LeasesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.leases.is_empty() {
            return writeln!(
                f,
                "{}: no leases (nobody is releasing, no replica runs)",
                self.table
            );
        }
        for lease in &self.leases {
            if lease.id == crate::controller::replicas::REPO_ID {
                writeln!(
                    f,
                    "{:<28} {:<40} fetched the latest webhook's commit (notice {})",
                    lease.id, lease.holder, lease.fence
                )?;
                continue;
            }
            let state = if lease.live {
                format!("expires in {}s", lease.expires_in.max(0))
            } else {
                format!("expired {}s ago", (-lease.expires_in).max(0))
            };
            writeln!(
                f,
                "{:<28} {:<40} {state} (fence {})",
                lease.id, lease.holder, lease.fence
            )?;
        }
        Ok(())
    }
}
