//! Each team's limits as stored: its open count and its send instant.

use chrono::{DateTime, TimeDelta, Utc};
use std::future::Future;

use super::{InsertError, StoreError};
use crate::domain::{open_places, SendClaim, TeamId, TeamLimits};

/// Why a per-team limit refused a write (see `domain::limits`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitRefusal {
    /// The team's usage moved since it was read (another request sent, or
    /// opened an invitation): read it again and decide anew.
    #[error("the team's usage of its limits changed meanwhile")]
    Changed,
    /// The team was closed.
    #[error("the team is closed")]
    TeamClosed,
    /// The address was sent its most emails of the day (by every team together).
    #[error("the address was sent its most emails of the day")]
    RecipientDaily,
    /// The team's members fill its seats: no acceptance adds one more.
    #[error("the team's members fill its seats")]
    Seats,
}

/// Which of a team's limits leaves no room now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    OpenInvitations,
    /// Members and open invitations take every seat.
    Seats,
    /// Room for one more send after this long.
    EmailsPerHour(TimeDelta),
}

/// What one write takes of its team's limits, decided in that write: it is
/// refused (`LimitRefusal::Changed`) if the stored usage moved past what this
/// was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Places {
    /// New invitations, each a place in the open count (none for a resend).
    pub invitations: u32,
    /// The most the stored count of opened invitations may be for them to fit
    /// (those that left the count, as read, added back).
    pub opened_at_most: i64,
    pub sends: SendClaim,
}

/// How a send takes its places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// In its own write.
    Now(Places),
    /// Beforehand, by its batch's reservation (`LimitStore::reserve`): its
    /// write only checks that the team is still open.
    Reserved,
}

/// What a send must stay within, decided in its write (`domain::limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendQuota {
    pub taken: Taken,
    /// The most emails one mailbox (`Email::mailbox`) may be sent in a UTC
    /// day, by every team together.
    pub per_recipient_per_day: u32,
}

/// A team's use of its limits, as stored. The open count is kept in two
/// parts, so that answers never write the item that invites write: the
/// invitations opened (on the limits item) and those that left the count since
/// (answered, withdrawn, released after expiry; spread over the team's
/// counters of leaving).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub opened: i64,
    pub left: i64,
    /// The team's send instant (`domain::SendClaim`), once it sent.
    pub sends_until: Option<DateTime<Utc>>,
    /// The team was closed: nothing more is sent or accepted in it.
    pub closed: bool,
    /// The team's own limits, where the platform set them.
    pub limits: Option<TeamLimits>,
    /// The team's members, as counted on its seats item.
    pub members: i64,
    /// The team's seat limit, where the platform set one: members and open
    /// invitations together stay within it.
    pub seats: Option<u32>,
    /// Where the release of expired invitations resumes: every expired
    /// invitation before it was released (the store's own position).
    pub release_from: Option<String>,
    /// When the open count was last counted again from the invitations.
    pub recounted_at: Option<DateTime<Utc>>,
}

impl Usage {
    /// Open invitations counted (those expired are counted until released).
    pub fn open(&self) -> i64 {
        self.opened - self.left
    }

    /// Seats neither a member nor an open invitation takes, where the team
    /// has a seat limit (none when a lowered limit is already exceeded).
    pub fn seats_free(&self) -> Option<i64> {
        self.seats.map(|seats| (i64::from(seats) - self.members - self.open()).max(0))
    }

    /// The limits the team is held to: its own, or the deployment's `defaults`.
    pub fn limits_or(&self, defaults: TeamLimits) -> TeamLimits {
        TeamLimits { seats: self.seats, ..self.limits.unwrap_or(defaults) }
    }

    /// What a join through an invite link must stay within: with a seat
    /// limit, the most the stored count of opened invitations may be for one
    /// more member (`LinkStore::join_link`); without one, nothing (None). A
    /// join sends no email and leaves the open count as it was, so the
    /// team's open and email limits do not apply.
    pub fn join_opened_at_most(&self) -> Result<Option<i64>, Exceeded> {
        match self.seats {
            None => Ok(None),
            Some(_) if self.seats_free() == Some(0) => Err(Exceeded::Seats),
            Some(seats) => Ok(Some(i64::from(seats) + self.left - self.members - 1)),
        }
    }

    /// How many of `wanted` new invitations fit under the open limit, and
    /// how many under the seats (all of them without a seat limit).
    pub fn fits(&self, limits: TeamLimits, wanted: u32) -> (u32, u32) {
        let open = open_places(self.open(), limits.max_open, wanted);
        let seats =
            limits.seats.map_or(wanted, |seats| open_places(self.members + self.open(), seats, wanted));
        (open, seats)
    }

    /// Up to `wanted` new invitations with their emails (as many as the
    /// limits leave room for, at least one), or with none a resend's one
    /// email; or the limit that leaves no room.
    ///
    /// The write is conditioned on the opened count alone: an acceptance
    /// meanwhile adds a member and takes an invitation out of the count
    /// (seats taken stay the same), and any other change frees room, so a
    /// count as read is never short of the seats taken.
    pub fn places(&self, limits: TeamLimits, now: DateTime<Utc>, wanted: u32) -> Result<Places, Exceeded> {
        let sends = match wanted {
            0 => 1,
            _ => match self.fits(limits, wanted) {
                (_, 0) => return Err(Exceeded::Seats),
                (0, _) => return Err(Exceeded::OpenInvitations),
                (open_fit, seat_fit) => open_fit.min(seat_fit),
            },
        };
        let claim = SendClaim::take(self.sends_until, now, limits.emails_per_hour, sends)
            .map_err(Exceeded::EmailsPerHour)?;
        let invitations = if wanted == 0 { 0 } else { claim.count };
        let mut opened_at_most = i64::from(limits.max_open) + self.left - i64::from(invitations);
        if let Some(seats) = limits.seats {
            let seat_most = i64::from(seats) + self.left - self.members - i64::from(invitations);
            opened_at_most = opened_at_most.min(seat_most);
        }
        Ok(Places { invitations, opened_at_most, sends: claim })
    }
}

/// What releasing a team's expired invitations from its open count found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// Some expired invitations left the count (by this call or a concurrent one).
    pub freed: bool,
    /// When the next open one expires, if any is open.
    pub next_expiry: Option<DateTime<Utc>>,
}

/// Each team's use of its limits (`domain::limits`).
pub trait LimitStore: Send + Sync {
    /// A team's use of its limits (none yet: zero), read consistently.
    fn usage(&self, team: &TeamId) -> impl Future<Output = Result<Usage, StoreError>> + Send;

    /// Releases from the team's open count the invitations that expired by
    /// `now` (each at most once; the earliest expired first, from where the
    /// last release stopped, a bounded number per call), and says when the
    /// next open one expires. With nothing to release, the open count is
    /// counted again from the invitations, at most once per `RECOUNT_EVERY`
    /// (the count drifts only when an item disappears unreleased).
    fn release_expired(
        &self,
        team: &TeamId,
        usage: &Usage,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Released, StoreError>> + Send;

    /// Takes a batch's places in one write, for its entries' writes to
    /// insert with `Taken::Reserved`.
    fn reserve(&self, team: &TeamId, places: Places) -> impl Future<Output = Result<(), InsertError>> + Send;

    /// Gives back what a reservation took and did not use: `invitations`
    /// places in the open count, and `sends` of the send instant.
    fn give_back(
        &self,
        team: &TeamId,
        invitations: u32,
        sends: TimeDelta,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::minutes(minutes)
    }

    const LIMITS: TeamLimits = TeamLimits { max_open: 5, emails_per_hour: 4, seats: None };

    #[test]
    fn new_invitations_take_what_both_limits_leave() {
        let usage = Usage { opened: 10, left: 7, ..Usage::default() };
        let places = usage.places(LIMITS, at(0), 9).unwrap();
        assert_eq!((places.invitations, places.sends.count), (2, 2), "two open places left");
        assert_eq!(places.opened_at_most, 5 + 7 - 2, "the write needs the count as read");
        let busy = Usage { sends_until: Some(at(45)), ..Usage::default() };
        assert_eq!(busy.places(LIMITS, at(0), 9).map(|p| p.invitations), Ok(1), "one send left this hour");
    }

    #[test]
    fn a_full_team_is_refused_by_the_limit_that_binds() {
        let full = Usage { opened: 5, ..Usage::default() };
        assert_eq!(full.places(LIMITS, at(0), 1), Err(Exceeded::OpenInvitations));
        assert_eq!(full.places(LIMITS, at(0), 0).map(|p| p.invitations), Ok(0), "a resend opens nothing");
        let busy = Usage { sends_until: Some(at(60)), ..Usage::default() };
        assert_eq!(busy.places(LIMITS, at(0), 0), Err(Exceeded::EmailsPerHour(TimeDelta::minutes(15))));
    }

    #[test]
    fn members_and_open_invitations_share_the_seats() {
        // 3 seats: 1 member and 1 open invitation leave one.
        let usage = Usage { opened: 4, left: 3, members: 1, seats: Some(3), ..Usage::default() };
        assert_eq!(usage.seats_free(), Some(1));
        let limits = usage.limits_or(LIMITS);
        assert_eq!(limits.seats, Some(3), "the seats item's limit, whatever the others");
        let places = usage.places(limits, at(0), 9).unwrap();
        assert_eq!(places.invitations, 1, "one seat left");
        assert_eq!(places.opened_at_most, 3 + 3 - 1 - 1, "the seats bind before the open limit");
        let full = Usage { members: 2, ..usage.clone() };
        assert_eq!(full.places(limits, at(0), 1), Err(Exceeded::Seats));
        assert_eq!(full.places(limits, at(0), 0).map(|p| p.invitations), Ok(0), "a resend takes no seat");
        let over = Usage { members: 5, ..usage };
        assert_eq!(over.seats_free(), Some(0), "a lowered limit leaves none, never fewer");
        assert_eq!(Usage::default().seats_free(), None, "no limit, no seats to count");
    }

    #[test]
    fn a_join_through_a_link_takes_a_seat_and_nothing_of_the_open_or_email_limits() {
        // 3 seats: 1 member and 1 open invitation leave one, for a join too.
        let usage = Usage { opened: 4, left: 3, members: 1, seats: Some(3), ..Usage::default() };
        assert_eq!(usage.join_opened_at_most(), Ok(Some(3 + 3 - 1 - 1)), "the count as read fits one more");
        let full = Usage { members: 2, ..usage.clone() };
        assert_eq!(full.join_opened_at_most(), Err(Exceeded::Seats));
        // No seat limit: a full open count or a spent email hour do not stop it.
        let busy = Usage { opened: 500, sends_until: Some(at(600)), ..Usage::default() };
        assert_eq!(busy.join_opened_at_most(), Ok(None));
    }
}
