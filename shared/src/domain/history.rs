//! What has happened to an invitation, in order. Each entry is written in the
//! same write as the change it records, so the history holds exactly the
//! committed changes; it is kept on the invitation and purged with it. The
//! table's change stream turns each new entry into one event for the rest of
//! the platform (`service::events`).

use chrono::{DateTime, Utc};

use super::{BounceType, EmailDelivery, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Created {
        by: UserId,
    },
    Resent {
        by: UserId,
    },
    Accepted {
        by: UserId,
    },
    /// Declining needs only the link: the decliner may be anonymous.
    Declined {
        by: Option<UserId>,
    },
    Withdrawn {
        by: UserId,
    },
    /// The reminder before expiry went out (the service's own doing).
    Reminded,
    /// What SES said of the email (or that it refused it).
    Delivery {
        delivery: EmailDelivery,
        bounce: Option<BounceType>,
    },
}

impl Change {
    /// The kind of change: the event's `detail-type` and the history entry's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Created { .. } => "invitation.created",
            Change::Resent { .. } => "invitation.resent",
            Change::Accepted { .. } => "invitation.accepted",
            Change::Declined { .. } => "invitation.declined",
            Change::Withdrawn { .. } => "invitation.withdrawn",
            Change::Reminded => "invitation.reminded",
            Change::Delivery { .. } => "invitation.delivery_changed",
        }
    }

    /// Who made the change; None for a reminder, the email's fate and anonymous declines.
    pub fn actor(&self) -> Option<&UserId> {
        match self {
            Change::Created { by }
            | Change::Resent { by }
            | Change::Accepted { by }
            | Change::Withdrawn { by } => Some(by),
            Change::Declined { by } => by.as_ref(),
            Change::Reminded | Change::Delivery { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub change: Change,
}
