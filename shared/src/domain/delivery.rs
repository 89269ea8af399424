//! What SES reports about an invitation email after accepting it: delivered,
//! delayed, bounced, complained about, or rejected.

use chrono::{DateTime, Utc};

use super::{Email, EmailDelivery, InvitationId};

/// SES's bounce types: a permanent bounce means the address is wrong (or
/// suppressed), so sending again will not help; a transient one may pass later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceType {
    Permanent,
    Transient,
    Undetermined,
}

impl BounceType {
    pub fn as_str(self) -> &'static str {
        match self {
            BounceType::Permanent => "permanent",
            BounceType::Transient => "transient",
            BounceType::Undetermined => "undetermined",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Permanent, Self::Transient, Self::Undetermined]
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(raw))
    }
}

/// One report about the email of invitation `invitation`, sent for its link
/// generation `generation` (a report about an earlier send of a resent
/// invitation no longer applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFeedback {
    pub invitation: InvitationId,
    pub generation: u32,
    pub delivery: EmailDelivery,
    pub bounce: Option<BounceType>,
    /// When SES says it happened.
    pub at: DateTime<Utc>,
    /// The address the email went to: a report applies only to the invitation
    /// of that address (a forged or misrouted one cannot mark another's).
    pub recipient: Email,
}

impl DeliveryFeedback {
    /// Whether this report moves an email now known as `current` forward: only
    /// to a higher rank (`EmailDelivery::rank`). The store applies the same
    /// rule as its write condition.
    pub fn advances(&self, current: EmailDelivery) -> bool {
        self.delivery.rank() > current.rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_only_moves_forward_whatever_order_it_arrives_in() {
        use EmailDelivery::*;
        let report = |delivery| DeliveryFeedback {
            invitation: InvitationId::new_random(),
            generation: 0,
            delivery,
            bounce: None,
            at: Utc::now(),
            recipient: Email::parse("ada@example.com").unwrap(),
        };
        // Every order of the reports one email can get ends at the same status.
        let reports = [Delayed, Delivered, Complained];
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        for order in orders {
            let mut status = Sent;
            for i in order {
                let r = report(reports[i]);
                if r.advances(status) {
                    status = r.delivery;
                }
            }
            assert_eq!(status, Complained, "{order:?}");
        }
        assert!(!report(Delivered).advances(Bounced));
        assert!(report(Bounced).advances(Delivered), "a late bounce after a delivery report still counts");
        assert!(report(Delayed).advances(Sent));
        // SES delivers a report at least once: the same one again changes
        // nothing (no second history entry, no second event).
        for status in [Delayed, Delivered, Bounced, Complained] {
            assert!(!report(status).advances(status), "{status:?} twice");
        }
    }

    #[test]
    fn bounce_types_parse_as_ses_writes_them() {
        assert_eq!(BounceType::parse("Permanent"), Some(BounceType::Permanent));
        assert_eq!(BounceType::parse("Transient"), Some(BounceType::Transient));
        assert_eq!(BounceType::parse("Undetermined"), Some(BounceType::Undetermined));
        assert_eq!(BounceType::parse("Soft"), None);
    }
}
