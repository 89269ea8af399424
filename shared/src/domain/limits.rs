//! Per-team limits against abuse: invitation emails come from the operator's
//! one verified sender, so no team may burn the account's SES reputation or
//! quota. A team has at most `max_open` open invitations and sends at most
//! `emails_per_hour` invitation emails in any rolling hour (resends and batch
//! entries count).
//!
//! The hourly limit is a ring of send slots, each holding the time of the send
//! that last used it: a send takes a slot whose time is at least an hour old
//! (or never used), so any hour holds at most as many sends as there are slots.
//! The store writes the claim conditioned on the slot being as free as it was
//! when read; two requests that claim the same slot race in DynamoDB, and the
//! loser claims another from the log as the refusal returned it.

use chrono::{DateTime, TimeDelta, Utc};

/// The window of the emails-per-hour limit.
pub const SEND_WINDOW: TimeDelta = TimeDelta::hours(1);

/// How long after its expiry an unanswered invitation still holds its place
/// in the open count: longer than any request runs, so that an answer judged
/// just before the expiry has committed (and left the count) first.
pub const RELEASE_GRACE: TimeDelta = TimeDelta::minutes(5);

/// A team's limits, the same for every team of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamLimits {
    /// The most open invitations a team may have at once.
    pub max_open: u32,
    /// The most invitation emails a team may send in any rolling hour.
    pub emails_per_hour: u32,
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
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::OpenInvitations => "openInvitations",
            Limit::EmailsPerHour => "emailsPerHour",
            Limit::EmailsPerRecipientPerDay => "emailsPerRecipientPerDay",
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

/// The times of a team's recent sends, by slot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendLog {
    slots: Vec<Option<DateTime<Utc>>>,
}

/// A slot to write a send into: free (unused, or last used at or before
/// `free_if_at_or_before`) when the write arrives, or the write is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSlot {
    pub index: usize,
    pub free_if_at_or_before: DateTime<Utc>,
    /// When it was last used before this claim.
    pub previous: Option<DateTime<Utc>>,
}

impl SendLog {
    /// `slots[i]`: when slot `i` was last used, if ever.
    pub fn new(slots: Vec<Option<DateTime<Utc>>>) -> Self {
        Self { slots }
    }

    pub fn used_at(&self, index: usize) -> Option<DateTime<Utc>> {
        self.slots.get(index).copied().flatten()
    }

    /// Takes a slot for a send at `now` among the first `capacity` (the first
    /// free one from `start` on, wrapping: requests that read the same log
    /// start at random places so that they rarely claim the same one), marking
    /// it used; or says how long until the oldest send leaves the window.
    pub fn claim(&mut self, now: DateTime<Utc>, capacity: u32, start: usize) -> Result<SendSlot, TimeDelta> {
        let free_if_at_or_before = now - SEND_WINDOW;
        let capacity = capacity as usize;
        if self.slots.len() < capacity {
            self.slots.resize(capacity, None);
        }
        let slots = &mut self.slots[..capacity];
        let free = |i: &usize| slots[*i].is_none_or(|t| t <= free_if_at_or_before);
        let start = start % capacity.max(1);
        match (start..capacity).chain(0..start).find(free) {
            Some(index) => {
                let previous = slots[index].replace(now);
                Ok(SendSlot { index, free_if_at_or_before, previous })
            }
            None => {
                let oldest = slots.iter().flatten().min().copied().unwrap_or(now);
                Err((oldest + SEND_WINDOW - now).max(TimeDelta::zero()))
            }
        }
    }
}

impl SendLog {
    /// Gives back a claim whose send was not written (refused for another
    /// reason), so that the next claim may take the slot.
    pub fn unclaim(&mut self, slot: SendSlot) {
        if let Some(t) = self.slots.get_mut(slot.index) {
            *t = slot.previous;
        }
    }
}

/// Whole seconds to wait, rounded up (retrying at once would be refused again),
/// at least one.
pub fn retry_after_seconds(wait: TimeDelta) -> u64 {
    (wait.num_milliseconds().max(0) as u64).div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::minutes(minutes)
    }

    #[test]
    fn a_slot_is_reused_only_once_its_send_is_an_hour_old() {
        let mut log = SendLog::default();
        assert_eq!(log.claim(at(0), 2, 0).map(|s| s.index), Ok(0));
        assert_eq!(log.claim(at(10), 2, 0).map(|s| s.index), Ok(1));
        assert_eq!(log.claim(at(59), 2, 0), Err(TimeDelta::minutes(1)));
        let slot = log.claim(at(60), 2, 0).unwrap();
        assert_eq!((slot.index, slot.free_if_at_or_before, slot.previous), (0, at(0), Some(at(0))));
        assert_eq!(log.claim(at(61), 2, 0), Err(TimeDelta::minutes(9)));
        log.unclaim(slot);
        assert_eq!(log.claim(at(61), 2, 0).map(|s| s.index), Ok(0), "an unwritten claim is given back");
    }

    #[test]
    fn no_rolling_hour_holds_more_sends_than_slots() {
        // Sends attempted every 7 minutes for a day, at 5 slots.
        let mut log = SendLog::default();
        let sent: Vec<_> = (0..24 * 60 / 7)
            .map(|i| at(i * 7))
            .filter(|&t| log.claim(t, 5, t.timestamp() as usize).is_ok())
            .collect();
        for start in &sent {
            let within = sent.iter().filter(|t| **t >= *start && **t < *start + SEND_WINDOW).count();
            assert!(within <= 5, "{within} sends in the hour from {start}");
        }
        assert!(sent.len() >= 5 * 23, "the limit still lets the rate through: {}", sent.len());
    }

    #[test]
    fn a_claim_takes_the_first_free_slot_from_its_start_wrapping() {
        let mut log = SendLog::new(vec![None, Some(at(0)), None]);
        assert_eq!(log.claim(at(1), 3, 1).map(|s| s.index), Ok(2));
        assert_eq!(log.claim(at(1), 3, 5).map(|s| s.index), Ok(0));
        assert!(log.claim(at(1), 3, 0).is_err());
    }

    #[test]
    fn a_smaller_capacity_ignores_slots_beyond_it_and_a_larger_one_adds_free_slots() {
        let mut log = SendLog::new(vec![Some(at(0)), Some(at(0)), Some(at(0))]);
        assert!(log.claim(at(1), 2, 0).is_err());
        assert_eq!(log.claim(at(1), 4, 1).map(|s| s.index), Ok(3));
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
