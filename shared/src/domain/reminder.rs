//! The reminder before expiry, as a rule of the invitation: when a send's
//! reminder is due, and whether one scheduled then may still go out.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Invitation, Status};

impl Invitation {
    /// The current send with its reminder scheduled `lead` before it expires;
    /// none without a lead, or when the send keeps it open for `lead` or less
    /// (a reminder as early as the email itself would say nothing new).
    pub fn with_reminder(self, lead: Option<TimeDelta>) -> Self {
        let remind_at = lead
            .filter(|lead| *lead > TimeDelta::zero() && self.expires_at - self.sent_at > *lead)
            .map(|lead| self.expires_at - lead);
        Self { remind_at, ..self }
    }

    /// Whether the reminder scheduled for `due` goes out at `now`: it is still
    /// the current send's (not answered, withdrawn, resent or renewed since,
    /// nor sent already), due, the invitation unexpired, and its last email
    /// not refused for good (a reminder would not reach the person either).
    pub fn remindable(&self, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.remind_at == Some(due)
            && due <= now
            && self.status_at(now) == Status::Open
            && self.unreachable().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invitation::tests::invitation;
    use crate::domain::{BounceType, EmailDelivery, UserId};

    const LEAD: Option<TimeDelta> = Some(TimeDelta::hours(48));

    /// Sent at a fixed instant, open for `days`.
    fn sent(days: i64) -> Invitation {
        let week = invitation(DateTime::parse_from_rfc3339("2026-11-02T09:30:00Z").unwrap().to_utc());
        Invitation { expires_at: week.sent_at + TimeDelta::days(days), ..week }
    }

    #[test]
    fn a_send_is_reminded_the_lead_before_it_expires_when_it_lasts_longer() {
        let week = sent(7).with_reminder(LEAD);
        assert_eq!(week.remind_at, Some(week.expires_at - TimeDelta::hours(48)));
        assert_eq!(sent(2).with_reminder(LEAD).remind_at, None, "two days: the lead or less, none");
        let just_over = Invitation { expires_at: sent(2).expires_at + TimeDelta::milliseconds(1), ..sent(2) };
        assert!(just_over.with_reminder(LEAD).remind_at.is_some(), "a moment longer than the lead: one");
        assert_eq!(sent(7).with_reminder(None).remind_at, None, "no lead: no reminders");
        assert_eq!(sent(7).with_reminder(Some(TimeDelta::zero())).remind_at, None);
        // A resend's reminder is its own: the last one's goes with it.
        let resent =
            week.resend(week.sent_at + TimeDelta::days(1), TimeDelta::days(7), TimeDelta::zero()).unwrap();
        assert_eq!(resent.remind_at, None);
        let rescheduled = resent.with_reminder(LEAD);
        assert_eq!(rescheduled.remind_at, Some(week.remind_at.unwrap() + TimeDelta::days(1)));
    }

    #[test]
    fn a_reminder_goes_out_only_while_it_is_the_open_sends_own_and_due() {
        let inv = sent(7).with_reminder(LEAD);
        let due = inv.remind_at.unwrap();
        assert!(inv.remindable(due, due), "due exactly now");
        assert!(!inv.remindable(due, due - TimeDelta::milliseconds(1)), "not before");
        assert!(!inv.remindable(due - TimeDelta::minutes(1), due), "another time: an earlier send's");
        assert!(!inv.remindable(due, inv.expires_at), "not once expired");
        let by = UserId::parse("ada").unwrap();
        assert!(!inv.accept(by.clone(), due).unwrap().remindable(due, due));
        assert!(!inv.withdraw(by, due).unwrap().remindable(due, due));
        let bounced = Invitation {
            email_delivery: EmailDelivery::Bounced,
            bounce: Some(BounceType::Permanent),
            ..inv.clone()
        };
        assert!(!bounced.remindable(due, due), "an address that bounced for good");
        let delayed = Invitation { email_delivery: EmailDelivery::Delayed, ..inv.clone() };
        assert!(delayed.remindable(due, due));
        let sent_already = Invitation { remind_at: None, ..inv };
        assert!(!sent_already.remindable(due, due));
    }
}
