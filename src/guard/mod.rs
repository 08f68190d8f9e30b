//! What stops an environment's releases for a while, and why:
//!
//! - a **hold**, put by `rollback --now`: commits that render the image
//!   rolled back from are not applied by the controller until a commit
//!   renders another image or `release-hold` lifts it;
//! - a **freeze**, put by `deckhand freeze ENV --for D --reason R`: no
//!   release (controller, `apply`, `promote` into ENV) until it ends or
//!   `unfreeze`;
//! - a **window** of `sync.windows` ([`window`]): recurring (cron, duration,
//!   time zone) or fixed (from, until).
//!
//! Holds and freezes are cluster tags (`deckhand:<env>:hold`,
//! `deckhand:<env>:freeze`), so every process and replica sees the same
//! ones and they survive restarts. Encoding and judging are pure.

pub mod window;

use crate::ecs::{AwsError, Ecs};
use crate::tags;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// A hold: the image an environment was rolled back from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    /// The image rolled back from: commits rendering it are not applied.
    pub image: String,
    /// When (RFC 3339).
    pub since: String,
    /// Who (`user@host`).
    pub by: String,
}

/// A freeze of an environment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Freeze {
    /// When it ends (RFC 3339).
    pub until: String,
    /// Who (`user@host`).
    pub by: String,
    /// Why.
    pub reason: String,
}

/// The longest freeze reason kept (bytes): a tag value holds 256
/// characters.
pub const MAX_REASON: usize = 120;

/// A guard kept as a tag of its environment's cluster.
pub trait ClusterTag: Sized {
    /// Its tag key for `environment`.
    fn key(environment: &str) -> String;
    /// The tag value.
    fn to_tag(&self) -> String;
    /// A tag value; None for anything else.
    fn parse(value: &str) -> Option<Self>;
}

impl ClusterTag for Hold {
    fn key(environment: &str) -> String {
        tags::hold(environment)
    }

    /// `<since> <by> <image>` (images have no spaces).
    fn to_tag(&self) -> String {
        format!("{} {} {}", self.since, self.by, self.image)
    }

    fn parse(value: &str) -> Option<Hold> {
        let mut parts = value.splitn(3, ' ');
        let (since, by, image) = (parts.next()?, parts.next()?, parts.next()?);
        humantime::parse_rfc3339(since).ok()?;
        Some(Hold {
            image: image.to_owned(),
            since: since.to_owned(),
            by: by.to_owned(),
        })
    }
}

impl ClusterTag for Freeze {
    fn key(environment: &str) -> String {
        tags::freeze(environment)
    }

    /// `<until> <by> <reason in base64>` (tag values allow few punctuation
    /// characters; base64's all are allowed).
    fn to_tag(&self) -> String {
        format!(
            "{} {} {}",
            self.until,
            self.by,
            aws_smithy_types::base64::encode(clip(&self.reason, MAX_REASON).as_bytes())
        )
    }

    fn parse(value: &str) -> Option<Freeze> {
        let mut parts = value.splitn(3, ' ');
        let (until, by, reason) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
        humantime::parse_rfc3339(until).ok()?;
        Some(Freeze {
            until: until.to_owned(),
            by: by.to_owned(),
            reason: String::from_utf8(aws_smithy_types::base64::decode(reason).ok()?).ok()?,
        })
    }
}

impl Freeze {
    /// Whether it still holds at `now`.
    pub fn active(&self, now: SystemTime) -> bool {
        humantime::parse_rfc3339(&self.until).is_ok_and(|until| until > now)
    }
}

/// What the guards say of releasing an environment now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Go on; lift the hold first when it is `true` (a commit with another
    /// image than the one rolled back from arrived).
    Go {
        /// The hold is over.
        lift_hold: bool,
    },
    /// Not now, and why (for `/status`, the UI and the CLI).
    Blocked(String),
}

/// What stands in the way of an environment's releases.
#[derive(Debug, Clone, Copy, Default)]
pub struct Guards<'a> {
    /// Its hold.
    pub hold: Option<&'a Hold>,
    /// Its freeze (in force or not).
    pub freeze: Option<&'a Freeze>,
    /// Its deny windows.
    pub windows: &'a [window::Window],
}

/// Whether `environment`, whose commit renders `image`, may be released
/// now: a hold stops commits rendering the image rolled back from; a
/// freeze in force and an open deny window stop releases (`releasing`),
/// not drift repair or the completion of an interrupted release.
pub fn judge(
    environment: &str,
    image: &str,
    guards: Guards<'_>,
    releasing: bool,
    now: SystemTime,
) -> Verdict {
    let Guards {
        hold,
        freeze,
        windows,
    } = guards;
    if let Some(hold) = hold
        && hold.image == image
    {
        return Verdict::Blocked(format!(
            "held since {} by {}: {environment} was rolled back from {image}, and commits with that image are not applied; push a commit with another image, or run `deckhand release-hold {environment}`",
            hold.since, hold.by
        ));
    }
    if releasing && let Some(freeze) = freeze.filter(|f| f.active(now)) {
        return Verdict::Blocked(frozen_message(environment, freeze, now));
    }
    if releasing && let Some((window, end)) = window::blocking(windows, now) {
        return Verdict::Blocked(format!(
            "{environment}'s {} is open until {} (in {}): releases wait and go out when it closes; a release already started finishes",
            window.describe(),
            rfc3339(end),
            left(end, now)
        ));
    }
    Verdict::Go {
        lift_hold: hold.is_some(),
    }
}

/// Whether carrying out `plan` releases a commit: not when it repairs
/// drift, or finishes a release a stopped deckhand left.
pub fn is_release(plan: &crate::plan::Plan, drift: bool) -> bool {
    !drift
        && !matches!(
            plan.steps.first(),
            Some(crate::plan::Step::FinishRelease(_))
        )
}

/// Whether live ECS already runs `commit` everywhere, so that a change
/// planned now repairs drift (a console edit) rather than releases.
pub fn is_drift(live: &crate::live::LiveEnvironment, commit: Option<&str>) -> bool {
    let Some(commit) = commit else { return false };
    !live.services.is_empty()
        && live
            .services
            .values()
            .all(|s| s.service.tags.get(tags::COMMIT).map(String::as_str) == Some(commit))
}

/// "frozen until …": the message of a release a freeze stops.
pub fn frozen_message(environment: &str, freeze: &Freeze, now: SystemTime) -> String {
    let left = humantime::parse_rfc3339(&freeze.until)
        .map(|until| left(until, now))
        .unwrap_or_default();
    format!(
        "{environment} is frozen until {} (in {left}) by {}: {}; releases wait (`deckhand unfreeze {environment}` ends it)",
        freeze.until, freeze.by, freeze.reason
    )
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn clip(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The hold and the freeze of `environment` among a cluster's tags
/// (expired freezes included: [`Freeze::active`] tells).
pub fn read(
    cluster_tags: &BTreeMap<String, String>,
    environment: &str,
) -> (Option<Hold>, Option<Freeze>) {
    (
        find(cluster_tags, environment),
        find(cluster_tags, environment),
    )
}

/// `environment`'s guard `G` among a cluster's tags.
fn find<G: ClusterTag>(cluster_tags: &BTreeMap<String, String>, environment: &str) -> Option<G> {
    cluster_tags
        .get(&G::key(environment))
        .and_then(|v| G::parse(v))
}

/// Put `guard` on `environment`'s cluster (replacing one of its kind).
pub async fn put<G: ClusterTag>(
    ecs: &impl Ecs,
    cluster: &str,
    environment: &str,
    guard: &G,
) -> Result<(), AwsError> {
    let arn = ecs.describe_cluster(cluster).await?.arn;
    ecs.tag_resource(&arn, &[(G::key(environment), guard.to_tag())])
        .await
}

/// Lift `environment`'s guard `G`; returns the one there was.
pub async fn lift<G: ClusterTag>(
    ecs: &impl Ecs,
    cluster: &str,
    environment: &str,
) -> Result<Option<G>, AwsError> {
    let cluster = ecs.describe_cluster(cluster).await?;
    let key = G::key(environment);
    let Some(value) = cluster.tags.get(&key).cloned() else {
        return Ok(None);
    };
    ecs.untag_resource(&cluster.arn, &[key]).await?;
    Ok(G::parse(&value))
}

/// Who is acting: `$USER@host` (or the host alone).
pub fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty() && !u.contains(' '));
    let host = crate::apply::lease::hostname();
    match user {
        Some(user) => format!("{user}@{host}"),
        None => host,
    }
}

/// Now as RFC 3339, seconds.
pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// How long from `now` until `until`, rounded to seconds, for messages.
pub fn left(until: SystemTime, now: SystemTime) -> String {
    let secs = until.duration_since(now).unwrap_or_default().as_secs();
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_and_freezes_round_trip_through_tag_values_tags_allow() {
        let hold = Hold {
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop@sha256:ab".into(),
            since: "2026-12-07T10:00:00Z".into(),
            by: "ada@ci-1".into(),
        };
        assert_eq!(Hold::parse(&hold.to_tag()), Some(hold));
        let freeze = Freeze {
            until: "2026-12-24T00:00:00Z".into(),
            by: "ada@laptop".into(),
            reason: "Incident #4711: DB failover, ümlauts & all".into(),
        };
        let value = freeze.to_tag();
        // ECS tag values: letters, digits, spaces and + - = . _ : / @ only.
        assert!(
            value
                .chars()
                .all(|c| c.is_alphanumeric() || " +-=._:/@".contains(c)),
            "{value}"
        );
        assert!(value.len() <= 256);
        assert_eq!(Freeze::parse(&value), Some(freeze));
        for junk in ["", "soon ada x", "2026-12-24T00:00:00Z"] {
            assert_eq!(Freeze::parse(junk), None, "{junk}");
            assert_eq!(Hold::parse(junk), None, "{junk}");
        }
    }

    #[test]
    fn a_long_reason_is_clipped_to_fit_a_tag() {
        let freeze = Freeze {
            until: "2026-12-24T00:00:00Z".into(),
            by: "someone-with-a-long-name@build-host-0042.internal".into(),
            reason: "é".repeat(200),
        };
        let value = freeze.to_tag();
        assert!(value.len() <= 256, "{}", value.len());
        let back = Freeze::parse(&value).unwrap();
        assert_eq!(back.reason, "é".repeat(MAX_REASON / 2));
    }

    #[test]
    fn a_hold_stops_its_image_and_a_freeze_stops_releases_only() {
        let now = humantime::parse_rfc3339("2026-12-07T12:00:00Z").unwrap();
        let hold = Hold {
            image: "shop:bad".into(),
            since: "2026-12-07T11:00:00Z".into(),
            by: "ada@laptop".into(),
        };
        let freeze = Freeze {
            until: "2026-12-07T14:30:00Z".into(),
            by: "bob@laptop".into(),
            reason: "incident 4711".into(),
        };
        let judge = |image, hold, freeze, releasing| {
            let guards = Guards {
                hold,
                freeze,
                windows: &[],
            };
            judge("production", image, guards, releasing, now)
        };
        match judge("shop:bad", Some(&hold), None, true) {
            Verdict::Blocked(why) => assert!(
                why.starts_with("held since 2026-12-07T11:00:00Z by ada@laptop: production was rolled back from shop:bad"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        // Held on the bad image even for drift repair.
        assert!(matches!(
            judge("shop:bad", Some(&hold), None, false),
            Verdict::Blocked(_)
        ));
        // Another image: go, and the hold is over.
        assert_eq!(
            judge("shop:good", Some(&hold), None, true),
            Verdict::Go { lift_hold: true }
        );
        match judge("shop:good", None, Some(&freeze), true) {
            Verdict::Blocked(why) => assert_eq!(
                why,
                "production is frozen until 2026-12-07T14:30:00Z (in 2h 30m) by bob@laptop: incident 4711; releases wait (`deckhand unfreeze production` ends it)"
            ),
            other => panic!("{other:?}"),
        }
        // Drift repair and finishing an interrupted release go on.
        assert_eq!(
            judge("shop:good", None, Some(&freeze), false),
            Verdict::Go { lift_hold: false }
        );
        // An expired freeze stops nothing.
        let over = Freeze {
            until: "2026-12-07T11:59:59Z".into(),
            ..freeze.clone()
        };
        assert_eq!(
            judge("shop:good", None, Some(&over), true),
            Verdict::Go { lift_hold: false }
        );
    }

    #[test]
    fn an_open_deny_window_stops_releases_and_says_when_it_closes() {
        let now = humantime::parse_rfc3339("2026-12-05T12:00:00Z").unwrap();
        let weekend = window::Window::recurring(
            "0 18 * * FRI",
            Duration::from_secs(62 * 3600),
            "Europe/Berlin",
        )
        .unwrap();
        let windows = [weekend];
        let guards = Guards {
            windows: &windows,
            ..Guards::default()
        };
        match judge("production", "shop:1", guards, true, now) {
            Verdict::Blocked(why) => assert_eq!(
                why,
                "production's deny window \"0 18 * * FRI\" (Europe/Berlin, 2days 14h) is open until 2026-12-07T07:00:00Z (in 1day 19h): releases wait and go out when it closes; a release already started finishes"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            judge("production", "shop:1", guards, false, now),
            Verdict::Go { lift_hold: false }
        );
    }
}
