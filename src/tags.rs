//! Every `deckhand:*` tag key, in one place: what deckhand writes on ECS
//! resources so that the next run (any machine, any replica) knows what the
//! last one did. Tags are deckhand's only state besides the history family
//! and an optional lock table.
//!
//! On a service: [`COMMIT`], and while it is quiesced for a migration
//! [`QUIESCED_FROM`] and [`SCALING_SUSPENDED_FROM`]. On a migration task:
//! [`REVISION`] and [`RELEASE`]. On the cluster, one key of each kind per
//! environment: [`schema_revision`], [`last_release`], [`release_in_progress`]
//! and (without a lock table) [`lease`].

/// Service tag: the config commit last applied to it.
pub const COMMIT: &str = "deckhand:commit";
/// Service tag: the count before deckhand scaled it to 0 for a migration.
pub const QUIESCED_FROM: &str = "deckhand:quiesced-from";
/// Service tag: the scaling state to resume while deckhand holds a quiesced
/// service's Application Auto Scaling suspended.
pub const SCALING_SUSPENDED_FROM: &str = "deckhand:scaling-suspended-from";
/// Migration task tag: the schema revision it applies.
pub const REVISION: &str = "deckhand:revision";
/// Migration task tag: the release that started it (`<started> <owner>`).
pub const RELEASE: &str = "deckhand:release";

/// Cluster tag: `environment`'s applied schema revision.
pub fn schema_revision(environment: &str) -> String {
    format!("deckhand:{environment}:schema-revision")
}

/// Cluster tag: `environment`'s hold (after `rollback --now`): see
/// [`crate::guard::Hold`].
pub fn hold(environment: &str) -> String {
    format!("deckhand:{environment}:hold")
}

/// Cluster tag: `environment`'s freeze: see [`crate::guard::Freeze`].
pub fn freeze(environment: &str) -> String {
    format!("deckhand:{environment}:freeze")
}

/// Cluster tag: `environment`'s last release result (`<result> <commit> <time>`).
pub fn last_release(environment: &str) -> String {
    format!("deckhand:{environment}:last-release")
}

/// Cluster tag: `environment`'s release in progress (`<commit> <started>
/// <owner>`), written before its first change and removed with its lease.
pub fn release_in_progress(environment: &str) -> String {
    format!("deckhand:{environment}:release")
}

/// Cluster tag: `environment`'s release lease (`<owner> <expires>`).
pub fn lease(environment: &str) -> String {
    format!("deckhand:{environment}:lease")
}

/// The longest of the per-environment cluster keys less the name, for the
/// environment name's length limit (ECS tag keys: 128 characters).
pub const LONGEST_CLUSTER_KEY_WITHOUT_NAME: usize = "deckhand::schema-revision".len();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_length_limit_leaves_room_for_every_cluster_key() {
        let longest = [
            schema_revision(""),
            last_release(""),
            release_in_progress(""),
            lease(""),
        ]
        .iter()
        .map(String::len)
        .max();
        assert_eq!(longest, Some(LONGEST_CLUSTER_KEY_WITHOUT_NAME));
    }
}
