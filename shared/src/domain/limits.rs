//! Per-team limits against abuse: invitation emails come from the operator's
//! one verified sender, so no team may burn the account's SES reputation or
//! quota. A team has at most `max_open` open invitations and sends invitation
//! emails at a sustained rate of at most `emails_per_hour` (resends and batch
//! entries count), in bursts of at most that many.
//!
//! The rate is a generic cell rate algorithm: a team's sends are one instant,
//! its theoretical arrival time (`tat`). Each email moves it `send_interval`
//! on from itself or from now, whichever is later, and a send is allowed while
//! that keeps it within an hour of now. So a team that sent nothing for an
//! hour may send `emails_per_hour` at once, and then one per interval; the
//! state is one number, whatever the limit. The store writes the new instant
//! conditioned on the stored one being no later than the one it was computed
//! from: two sends that read the same instant race in DynamoDB, and the loser
//! reads again.

use chrono::{DateTime, TimeDelta, Utc};

/// The window of the emails-per-hour limit: how far ahead of now a team's
/// sends may reach (`SendClaim`).
pub const SEND_WINDOW: TimeDelta = TimeDelta::hours(1);

/// How long after its expiry an unanswered invitation still holds its place
/// in the open count: longer than any request runs, so that an answer judged
/// just before the expiry has committed (and left the count) first.
pub const RELEASE_GRACE: TimeDelta = TimeDelta::minutes(5);

/// How often a team at its open limit, with nothing to release, has its open
/// invitations counted again: a count reads every open invitation (about 0.5
/// read units per 7 of them), and it corrects only what DynamoDB's TTL did to
/// an invitation never released (its item purged while it still counted).
pub const RECOUNT_EVERY: TimeDelta = TimeDelta::days(1);

/// A team's limits: its own where the platform set them, else the deployment's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamLimits {
    /// The most open invitations a team may have at once.
    pub max_open: u32,
    /// The invitation emails a team may send an hour, sustained, in bursts of
    /// at most as many.
    pub emails_per_hour: u32,
    /// The most members and open invitations the team may have together,
    /// where the platform set a seat limit (the deployment sets none).
    pub seats: Option<u32>,
}

/// Which limit refused a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    OpenInvitations,
    EmailsPerHour,
    /// The deployment's cap on emails to one mailbox per UTC day, whichever
    /// teams send them: no team, nor several together, can mail one person
    /// without end from the operator's sender.
    EmailsPerRecipientPerDay,
    /// Joins through one invite link in one minute (`LINK_JOINS_PER_MINUTE`):
    /// a leaked link lets people in no faster than this, which leaves its
    /// team's managers time to revoke it.
    LinkJoinsPerMinute,
}

/// The most joins through one invite link in one UTC minute.
pub const LINK_JOINS_PER_MINUTE: u32 = 60;

/// The minute a join at `now` counts in (minutes since the epoch), and the
/// whole seconds until the next one starts (at least 1).
pub fn join_minute(now: DateTime<Utc>) -> (i64, u64) {
    let minute = now.timestamp().div_euclid(60);
    let next = DateTime::from_timestamp((minute + 1) * 60, 0).unwrap_or(now);
    (minute, retry_after_seconds(next - now))
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::OpenInvitations => "openInvitations",
            Limit::EmailsPerHour => "emailsPerHour",
            Limit::EmailsPerRecipientPerDay => "emailsPerRecipientPerDay",
            Limit::LinkJoinsPerMinute => "linkJoinsPerMinute",
        }
    }
}

/// The UTC day a send at `now` counts in, for the cap per recipient.
pub fn send_day(now: DateTime<Utc>) -> chrono::NaiveDate {
    now.date_naive()
}

/// How long from `now` until the next UTC day, when a recipient's count starts again.
pub fn until_next_day(now: DateTime<Utc>) -> TimeDelta {
    let next = send_day(now).succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc());
    next.map_or(TimeDelta::days(1), |next| next - now)
}

/// How far one email moves a team's send instant at `per_hour`: an hour
/// divided evenly, rounded down to the millisecond (never zero), so that
/// `per_hour` emails fit in an hour.
pub fn send_interval(per_hour: u32) -> TimeDelta {
    TimeDelta::milliseconds((SEND_WINDOW.num_milliseconds() / i64::from(per_hour.max(1))).max(1))
}

/// Sends taken at once: written as the team's send instant `until`, on the
/// condition that the stored one is absent or no later than `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendClaim {
    pub count: u32,
    pub after: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl SendClaim {
    /// Up to `wanted` sends at `now` (as many as fit, at least one), from the
    /// team's send instant `tat` as read; or how long until one fits.
    pub fn take(
        tat: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        per_hour: u32,
        wanted: u32,
    ) -> Result<Self, TimeDelta> {
        let interval = send_interval(per_hour);
        let after = tat.map_or(now, |t| t.max(now));
        let room = (now + SEND_WINDOW - after).num_milliseconds() / interval.num_milliseconds();
        let count = room.min(i64::from(wanted));
        if count < 1 {
            return Err(after + interval - (now + SEND_WINDOW));
        }
        Ok(Self { count: count as u32, after, until: after + interval * count as i32 })
    }

    /// How much of the claim `unused` sends give back.
    pub fn refund(per_hour: u32, unused: u32) -> TimeDelta {
        send_interval(per_hour) * unused as i32
    }
}

/// How many of `wanted` new invitations fit under `max_open` with `open` counted.
pub fn open_places(open: i64, max_open: u32, wanted: u32) -> u32 {
    (i64::from(max_open) - open).clamp(0, i64::from(wanted)) as u32
}

/// Whole seconds to wait, rounded up (retrying at once would be refused again),
/// at least one.
pub fn retry_after_seconds(wait: TimeDelta) -> u64 {
    (wait.num_milliseconds().max(0) as u64).div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_join_counts_in_its_utc_minute_and_waits_for_the_next() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let (minute, wait) = join_minute(t("2026-12-01T09:00:00Z"));
        assert_eq!((minute, wait), (t("2026-12-01T09:00:00Z").timestamp() / 60, 60));
        assert_eq!(join_minute(t("2026-12-01T09:00:59.999Z")), (minute, 1), "never 0 s");
        assert_eq!(join_minute(t("2026-12-01T09:00:30.5Z")), (minute, 30));
        assert_eq!(join_minute(t("2026-12-01T09:01:00Z")).0, minute + 1, "the next minute at the instant");
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::minutes(minutes)
    }

    #[test]
    fn a_quiet_team_sends_its_hourly_limit_at_once_then_one_per_interval() {
        let mut tat = None;
        for _ in 0..4 {
            let claim = SendClaim::take(tat, at(0), 4, 1).unwrap();
            assert_eq!(claim.after, tat.unwrap_or(at(0)), "each send is conditioned on the instant it read");
            tat = Some(claim.until);
        }
        assert_eq!(tat, Some(at(60)));
        assert_eq!(
            SendClaim::take(tat, at(0), 4, 1),
            Err(TimeDelta::minutes(15)),
            "the fifth waits an interval"
        );
        assert_eq!(SendClaim::take(tat, at(14), 4, 1), Err(TimeDelta::minutes(1)));
        let next = SendClaim::take(tat, at(15), 4, 1).unwrap();
        assert_eq!((next.after, next.until), (at(60), at(75)));
        assert_eq!(
            SendClaim::take(Some(at(-600)), at(0), 4, 9).map(|c| c.count),
            Ok(4),
            "idle time does not pile up"
        );
    }

    #[test]
    fn a_batch_takes_as_many_sends_as_fit() {
        let claim = SendClaim::take(Some(at(30)), at(0), 60, 50).unwrap();
        assert_eq!((claim.count, claim.after, claim.until), (30, at(30), at(60)));
        assert_eq!(SendClaim::take(Some(at(30)), at(0), 60, 10).map(|c| c.count), Ok(10));
        assert_eq!(SendClaim::refund(60, 3), TimeDelta::minutes(3));
    }

    #[test]
    fn the_sustained_rate_never_exceeds_the_limit() {
        // Sends attempted every 7 seconds for a day, at 50 an hour: the first
        // hour holds the burst and the rate, every later hour the rate alone.
        let (mut tat, mut sent) = (None, Vec::new());
        for i in 0..24 * 3600 / 7 {
            let now = at(0) + TimeDelta::seconds(i * 7);
            if let Ok(claim) = SendClaim::take(tat, now, 50, 1) {
                tat = Some(claim.until);
                sent.push(now);
            }
        }
        for start in &sent {
            let within = sent.iter().filter(|t| **t >= *start && **t < *start + SEND_WINDOW).count();
            assert!(within <= 2 * 50, "{within} sends in the hour from {start}");
        }
        let later = sent.iter().filter(|t| **t >= at(120)).count() as i64;
        assert!((later - 22 * 50).abs() <= 1, "the rate holds at 50 an hour: {later} in 22 hours");
    }

    #[test]
    fn any_hourly_limit_keeps_whole_milliseconds() {
        assert_eq!(send_interval(3), TimeDelta::minutes(20));
        assert_eq!(send_interval(7), TimeDelta::milliseconds(514_285));
        assert_eq!(send_interval(u32::MAX), TimeDelta::milliseconds(1));
        assert!(send_interval(7) * 7 <= SEND_WINDOW);
    }

    #[test]
    fn open_places_are_what_the_limit_leaves() {
        assert_eq!(open_places(3, 5, 1), 1);
        assert_eq!(open_places(3, 5, 9), 2);
        assert_eq!(open_places(7, 5, 1), 0, "a count over a lowered limit leaves none");
    }

    #[test]
    fn a_recipients_day_ends_at_utc_midnight() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T23:59:30Z").unwrap().to_utc();
        assert_eq!(until_next_day(now), TimeDelta::seconds(30));
        assert_eq!(send_day(now).to_string(), "2026-03-01");
        let midnight = DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z").unwrap().to_utc();
        assert_eq!(until_next_day(midnight), TimeDelta::days(1));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(TimeDelta::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(TimeDelta::milliseconds(1001)), 2);
        assert_eq!(retry_after_seconds(TimeDelta::zero()), 1);
    }
}
