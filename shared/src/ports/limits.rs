//! Each team's limits as stored: its open count and its send log.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::StoreError;
use crate::domain::{SendLog, SendSlot, TeamId, TeamLimits};

/// Why a per-team limit refused a write (see `domain::limits`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitRefusal {
    /// The team has its most open invitations.
    #[error("the team has its most open invitations")]
    TooManyOpen,
    /// The send slot claimed was taken meanwhile: the log as it now is.
    #[error("the send slot was taken meanwhile")]
    SlotTaken(SendLog),
    /// The team was closed.
    #[error("the team is closed")]
    TeamClosed,
    /// The address was sent its most emails of the day (by every team together).
    #[error("the address was sent its most emails of the day")]
    RecipientDaily,
}

/// What a send must stay within, decided in its write (`domain::limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendQuota {
    /// The team's send slot it takes.
    pub slot: SendSlot,
    /// The most emails one mailbox (`Email::mailbox`) may be sent in a UTC
    /// day, by every team together.
    pub per_recipient_per_day: u32,
}

/// A team's use of its limits, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Open invitations counted (those expired are counted until released).
    pub open: i64,
    pub sends: SendLog,
    /// The team was closed: nothing more is sent or accepted in it.
    pub closed: bool,
    /// The team's own limits, where the platform set them.
    pub limits: Option<TeamLimits>,
}

impl Usage {
    /// The limits the team is held to: its own, or the deployment's `defaults`.
    pub fn limits_or(&self, defaults: TeamLimits) -> TeamLimits {
        self.limits.unwrap_or(defaults)
    }
}

/// What releasing a team's expired invitations from its open count found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// Some expired invitations left the count (by this call or a concurrent one).
    pub freed: bool,
    /// When the next open invitation expires, if any is open.
    pub next_expiry: Option<DateTime<Utc>>,
}

/// Each team's use of its limits (`domain::limits`).
pub trait LimitStore: Send + Sync {
    /// A team's use of its limits (none yet: zero).
    fn usage(&self, team: &TeamId) -> impl Future<Output = Result<Usage, StoreError>> + Send;

    /// Releases from the team's open count the invitations that expired by
    /// `now` (each at most once; the most recently expired first, a bounded
    /// number per call), and says when the next open one expires.
    fn release_expired(
        &self,
        team: &TeamId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Released, StoreError>> + Send;
}
