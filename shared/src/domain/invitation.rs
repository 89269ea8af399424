//! The invitation and its status machine, as pure functions of an injected `now`.
//!
//! Only `open` moves, and only to accepted, declined, withdrawn or expired; every
//! other status is final. `expired` is never written: it is what an open invitation
//! reads as once `now >= expires_at`, so it holds everywhere at once, whether or not
//! DynamoDB has purged the item yet.

use chrono::{DateTime, TimeDelta, Utc};
use std::fmt;

use super::{
    BounceType, Email, InvitationId, Locale, Metadata, Note, RoleName, Team, TeamId, TeamName, UserId,
    ValidDays,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Open,
    Expired,
    Accepted,
    Declined,
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("status must be one of open, expired, accepted, declined, withdrawn")]
pub struct UnknownStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("email delivery must be one of pending, sent, failed, delayed, delivered, bounced, complained")]
pub struct UnknownEmailDelivery;

impl Status {
    pub const ALL: [Status; 5] =
        [Status::Open, Status::Expired, Status::Accepted, Status::Declined, Status::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Expired => "expired",
            Status::Accepted => "accepted",
            Status::Declined => "declined",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or(UnknownStatus)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What has happened to an invitation, as stored. `Open` covers both open and
/// expired; the clock tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Open,
    Accepted {
        by: UserId,
        at: DateTime<Utc>,
    },
    /// Declining needs only the link, so the decliner may be anonymous.
    Declined {
        by: Option<UserId>,
        at: DateTime<Utc>,
    },
    Withdrawn {
        by: UserId,
        at: DateTime<Utc>,
    },
}

impl Resolution {
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self {
            Resolution::Open => None,
            Resolution::Accepted { at, .. }
            | Resolution::Declined { at, .. }
            | Resolution::Withdrawn { at, .. } => Some(*at),
        }
    }

    pub fn by(&self) -> Option<&UserId> {
        match self {
            Resolution::Open => None,
            Resolution::Accepted { by, .. } | Resolution::Withdrawn { by, .. } => Some(by),
            Resolution::Declined { by, .. } => by.as_ref(),
        }
    }

    /// The stored status word (never `expired`).
    pub fn stored_status(&self) -> Status {
        match self {
            Resolution::Open => Status::Open,
            Resolution::Accepted { .. } => Status::Accepted,
            Resolution::Declined { .. } => Status::Declined,
            Resolution::Withdrawn { .. } => Status::Withdrawn,
        }
    }
}

/// What the service knows of the invitation email. A new invitation is written
/// `Sent` in the same write that creates it (a delivered email then costs no
/// further round trip) and becomes `Failed` if SES refuses or does not answer.
/// SES's feedback (`domain::delivery`) then moves it on: `Delayed`, `Delivered`,
/// `Bounced`, `Complained` (or `Failed`, when SES rejects it after accepting).
/// `Pending` is what earlier versions wrote before SES answered: still read,
/// never written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailDelivery {
    Pending,
    Sent,
    Failed,
    Delayed,
    Delivered,
    Bounced,
    Complained,
}

impl EmailDelivery {
    const ALL: [EmailDelivery; 7] = [
        Self::Pending,
        Self::Sent,
        Self::Failed,
        Self::Delayed,
        Self::Delivered,
        Self::Bounced,
        Self::Complained,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailDelivery::Pending => "pending",
            EmailDelivery::Sent => "sent",
            EmailDelivery::Failed => "failed",
            EmailDelivery::Delayed => "delayed",
            EmailDelivery::Delivered => "delivered",
            EmailDelivery::Bounced => "bounced",
            EmailDelivery::Complained => "complained",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownEmailDelivery> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw).ok_or(UnknownEmailDelivery)
    }

    /// The order feedback moves in: a report never replaces one of a higher
    /// rank, so feedback arriving out of order cannot move the status back (a
    /// delay reported after the delivery; a delivery after the complaint it
    /// led to). A send starts again at 0.
    pub fn rank(self) -> u8 {
        match self {
            EmailDelivery::Pending | EmailDelivery::Sent => 0,
            EmailDelivery::Delayed => 1,
            EmailDelivery::Delivered => 2,
            EmailDelivery::Failed | EmailDelivery::Bounced => 3,
            EmailDelivery::Complained => 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub team_id: TeamId,
    /// The team's name when the invitation was sent: what the invitee was shown.
    pub team_name: TeamName,
    pub email: Email,
    pub role: RoleName,
    pub invited_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub resolution: Resolution,
    pub email_delivery: EmailDelivery,
    /// Why the email bounced, when it did.
    pub bounce: Option<BounceType>,
    /// When the email last went out: `created_at`, or the latest resend.
    pub sent_at: DateTime<Utc>,
    /// Raised by each resend; only a link of this generation works (`token`).
    pub link_generation: u32,
    /// The language of its email and of the page its link opens.
    pub locale: Locale,
    /// The inviter's address, as the email and the preview name them (None on
    /// invitations made before it was kept).
    pub invited_by_email: Option<Email>,
    /// How long it stays open, where the inviter chose (None: the deployment's
    /// validity): each send opens it for as long.
    pub valid_days: Option<ValidDays>,
    /// The inviter's personal note, shown in the email and on its page.
    pub note: Option<Note>,
    /// The platform's or the frontend's own data, never shown to the invitee.
    pub metadata: Option<Metadata>,
    /// When the reminder of the current send is due, while it is pending
    /// (scheduled, and neither sent nor dropped): see `with_reminder`.
    pub remind_at: Option<DateTime<Utc>>,
}

/// The most emails one invitation sends over its life: the first and four
/// resends. Resending renews the validity, so without a cap an invitation
/// need never end, and one address could be mailed from the operator's sender
/// indefinitely. It also bounds the invitation's history, and so its item.
pub const MAX_SENDS: u32 = 5;

/// Why an invitation cannot be sent again now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResendError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Sent less than the cooldown ago; this long until it may be.
    #[error("sent too recently to send again")]
    TooSoon(TimeDelta),
    /// Sent `MAX_SENDS` times already; waiting does not help.
    #[error("sent as many times as an invitation may be")]
    SendLimit,
    /// The last email bounced permanently or was marked as spam: sending
    /// again would not reach the person, and would count against the sender.
    #[error("the last email was {0}")]
    Unreachable(Unreachable),
}

/// What the last email's fate says about sending another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// A permanent bounce: the address does not exist or refuses mail.
    Bounced,
    /// The recipient marked it as spam.
    Complained,
}

impl Unreachable {
    pub fn as_str(self) -> &'static str {
        match self {
            Unreachable::Bounced => "bounced",
            Unreachable::Complained => "complained",
        }
    }
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unreachable::Bounced => "bounced permanently",
            Unreachable::Complained => "marked as spam",
        })
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the invitation has expired")]
    Expired,
    #[error("the invitation is {0}, not open")]
    NotOpen(Status),
}

impl Invitation {
    pub fn new(
        team: &Team,
        email: Email,
        role: RoleName,
        invited_by: UserId,
        now: DateTime<Utc>,
        valid_for: TimeDelta,
    ) -> Self {
        Self {
            id: InvitationId::new_random(),
            team_id: team.id.clone(),
            team_name: team.name.clone(),
            email,
            role,
            invited_by,
            created_at: now,
            expires_at: now + valid_for,
            resolution: Resolution::Open,
            email_delivery: EmailDelivery::Sent,
            bounce: None,
            sent_at: now,
            link_generation: 0,
            locale: Locale::default(),
            invited_by_email: None,
            valid_days: None,
            note: None,
            metadata: None,
            remind_at: None,
        }
    }

    /// How long each send keeps it open: its own days, else `default`.
    pub fn validity(&self, default: TimeDelta) -> TimeDelta {
        self.valid_days.map_or(default, ValidDays::duration)
    }

    /// The invitation sent again at `now`: a new link (the old one stops
    /// working) and a new validity period, its own (`validity`, else
    /// `default_validity`). While open, or once expired (a renewal: the same
    /// invitation, open again); never once answered or withdrawn, nor within
    /// `cooldown` of the last send.
    pub fn resend(
        &self,
        now: DateTime<Utc>,
        default_validity: TimeDelta,
        cooldown: TimeDelta,
    ) -> Result<Self, ResendError> {
        match self.status_at(now) {
            Status::Open | Status::Expired => {}
            answered => return Err(TransitionError::NotOpen(answered).into()),
        }
        if let Some(why) = self.unreachable() {
            return Err(ResendError::Unreachable(why));
        }
        if self.sends() >= MAX_SENDS {
            return Err(ResendError::SendLimit);
        }
        let ready_at = self.sent_at + cooldown;
        if now < ready_at {
            return Err(ResendError::TooSoon(ready_at - now));
        }
        Ok(Self {
            sent_at: now,
            expires_at: now + self.validity(default_validity),
            link_generation: self.link_generation + 1,
            email_delivery: EmailDelivery::Sent,
            bounce: None,
            // The last send's reminder goes with it (`with_reminder` schedules the new one's).
            remind_at: None,
            ..self.clone()
        })
    }

    /// How many emails it has sent: the first, and one per resend.
    pub fn sends(&self) -> u32 {
        self.link_generation.saturating_add(1)
    }

    /// Whether the last email's fate rules out another (`ResendError::Unreachable`).
    pub fn unreachable(&self) -> Option<Unreachable> {
        match (self.email_delivery, self.bounce) {
            (EmailDelivery::Complained, _) => Some(Unreachable::Complained),
            (EmailDelivery::Bounced, Some(BounceType::Permanent)) => Some(Unreachable::Bounced),
            _ => None,
        }
    }

    pub fn status_at(&self, now: DateTime<Utc>) -> Status {
        match self.resolution {
            Resolution::Open if now >= self.expires_at => Status::Expired,
            ref r => r.stored_status(),
        }
    }

    /// Ok when the invitation can still be answered or withdrawn at `now`.
    pub fn ensure_open(&self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        match self.status_at(now) {
            Status::Open => Ok(()),
            Status::Expired => Err(TransitionError::Expired),
            other => Err(TransitionError::NotOpen(other)),
        }
    }

    fn resolve(&self, now: DateTime<Utc>, resolution: Resolution) -> Result<Self, TransitionError> {
        self.ensure_open(now)?;
        Ok(Self { resolution, ..self.clone() })
    }

    pub fn accept(&self, by: UserId, now: DateTime<Utc>) -> Result<Self, TransitionError> {
        self.resolve(now, Resolution::Accepted { by, at: now })
    }

    /// Withdraw is written without reading the invitation first, so for it the
    /// store's write condition is this rule (open and unexpired at `now`);
    /// `adapters::dynamo::changes` tests that the two agree.
    pub fn decline(&self, by: Option<UserId>, now: DateTime<Utc>) -> Result<Self, TransitionError> {
        self.resolve(now, Resolution::Declined { by, at: now })
    }

    pub fn withdraw(&self, by: UserId, now: DateTime<Utc>) -> Result<Self, TransitionError> {
        self.resolve(now, Resolution::Withdrawn { by, at: now })
    }

    /// When the item may be purged: it stays visible as history for `retention`
    /// after it was answered or withdrawn, or after it expired.
    pub fn purge_at(&self, retention: TimeDelta) -> DateTime<Utc> {
        self.resolution.at().unwrap_or(self.expires_at) + retention
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn week() -> TimeDelta {
        TimeDelta::days(7)
    }

    /// A week's invitation sent at `now` (the domain's tests share it).
    pub(in crate::domain) fn invitation(now: DateTime<Utc>) -> Invitation {
        let team = Team {
            id: TeamId::parse("acme").unwrap(),
            name: TeamName::parse("Acme").unwrap(),
            created_at: now,
        };
        Invitation::new(
            &team,
            Email::parse("ada@example.com").unwrap(),
            RoleName::parse("member").unwrap(),
            UserId::parse("owner-1").unwrap(),
            now,
            week(),
        )
    }

    fn user(s: &str) -> UserId {
        UserId::parse(s).unwrap()
    }

    #[test]
    fn an_invitation_sends_at_most_max_sends_emails() {
        let cooldown = TimeDelta::seconds(60);
        let mut at = t("2026-03-01T12:00:00Z");
        let mut inv = invitation(at);
        for _ in 1..MAX_SENDS {
            at += cooldown;
            inv = inv.resend(at, week(), cooldown).unwrap();
        }
        assert_eq!(inv.sends(), MAX_SENDS);
        assert_eq!(inv.resend(at + TimeDelta::days(1), week(), cooldown), Err(ResendError::SendLimit));
        assert!(inv.accept(user("ada"), at).is_ok(), "the last link still answers");
    }

    #[test]
    fn no_resend_once_the_last_email_bounced_permanently_or_was_marked_as_spam() {
        let at = t("2026-03-01T12:00:00Z");
        let later = at + TimeDelta::hours(1);
        let cooldown = TimeDelta::seconds(60);
        let with = |delivery, bounce| Invitation { email_delivery: delivery, bounce, ..invitation(at) };
        let refused = |inv: Invitation| inv.resend(later, week(), cooldown).err();
        assert_eq!(
            refused(with(EmailDelivery::Bounced, Some(BounceType::Permanent))),
            Some(ResendError::Unreachable(Unreachable::Bounced))
        );
        assert_eq!(
            refused(with(EmailDelivery::Complained, None)),
            Some(ResendError::Unreachable(Unreachable::Complained))
        );
        for delivery in
            [EmailDelivery::Sent, EmailDelivery::Delivered, EmailDelivery::Delayed, EmailDelivery::Failed]
        {
            assert_eq!(refused(with(delivery, None)), None, "{delivery:?}");
        }
        assert_eq!(refused(with(EmailDelivery::Bounced, Some(BounceType::Transient))), None);
        assert_eq!(refused(with(EmailDelivery::Bounced, Some(BounceType::Undetermined))), None);
    }

    #[test]
    fn a_resend_renews_the_link_and_the_week_but_not_too_often_and_never_once_answered() {
        let sent = t("2026-03-01T12:00:00Z");
        let inv = invitation(sent);
        let cooldown = TimeDelta::seconds(60);
        let early = sent + TimeDelta::seconds(45);
        assert_eq!(inv.resend(early, week(), cooldown), Err(ResendError::TooSoon(TimeDelta::seconds(15))));
        let later = t("2026-03-07T12:00:00Z");
        let again = inv.resend(later, week(), cooldown).unwrap();
        assert_eq!((again.link_generation, again.sent_at), (1, later));
        assert_eq!(again.expires_at, t("2026-03-14T12:00:00Z"), "a new week from the resend");
        assert_eq!((again.id, again.created_at), (inv.id, inv.created_at));
        assert_eq!(again.status_at(t("2026-03-10T12:00:00Z")), Status::Open, "past the first week");
        assert_eq!(again.resend(later, week(), cooldown), Err(ResendError::TooSoon(cooldown)));
        assert_eq!(again.resend(later + cooldown, week(), cooldown).unwrap().link_generation, 2);

        // Expired, it is renewed: the same invitation, open for a new week.
        let expired = t("2026-03-09T12:00:00Z");
        let renewed = inv.resend(expired, week(), cooldown).unwrap();
        assert_eq!((renewed.id, renewed.link_generation), (inv.id, 1));
        assert_eq!(renewed.status_at(expired), Status::Open);
        assert_eq!(renewed.expires_at, t("2026-03-16T12:00:00Z"));
        let declined = inv.decline(None, later).unwrap();
        assert_eq!(
            declined.resend(later + cooldown, week(), cooldown),
            Err(TransitionError::NotOpen(Status::Declined).into())
        );
    }

    #[test]
    fn an_invitation_is_open_for_exactly_one_week() {
        let sent = t("2026-03-01T12:00:00Z");
        let inv = invitation(sent);
        assert_eq!(inv.expires_at, t("2026-03-08T12:00:00Z"));
        assert_eq!(inv.status_at(sent), Status::Open);
        assert_eq!(inv.status_at(t("2026-03-08T11:59:59.999Z")), Status::Open);
        assert_eq!(inv.status_at(t("2026-03-08T12:00:00Z")), Status::Expired);
    }

    #[test]
    fn only_open_moves() {
        let sent = t("2026-03-01T12:00:00Z");
        let later = sent + TimeDelta::hours(1);
        let inv = invitation(sent);

        let accepted = inv.accept(user("u1"), later).unwrap();
        assert_eq!(accepted.status_at(later), Status::Accepted);
        let declined = inv.decline(None, later).unwrap();
        assert_eq!(declined.status_at(later), Status::Declined);
        let withdrawn = inv.withdraw(user("owner-1"), later).unwrap();
        assert_eq!(withdrawn.status_at(later), Status::Withdrawn);

        for done in [&accepted, &declined, &withdrawn] {
            let status = done.status_at(later);
            assert_eq!(done.accept(user("u2"), later), Err(TransitionError::NotOpen(status)));
            assert_eq!(done.decline(None, later), Err(TransitionError::NotOpen(status)));
            assert_eq!(done.withdraw(user("o"), later), Err(TransitionError::NotOpen(status)));
        }
    }

    #[test]
    fn answered_statuses_do_not_turn_into_expired() {
        let sent = t("2026-03-01T12:00:00Z");
        let accepted = invitation(sent).accept(user("u1"), sent).unwrap();
        assert_eq!(accepted.status_at(sent + TimeDelta::days(30)), Status::Accepted);
    }

    #[test]
    fn an_expired_invitation_cannot_be_answered_or_withdrawn() {
        let sent = t("2026-03-01T12:00:00Z");
        let inv = invitation(sent);
        let late = sent + week();
        assert_eq!(inv.accept(user("u1"), late), Err(TransitionError::Expired));
        assert_eq!(inv.decline(None, late), Err(TransitionError::Expired));
        assert_eq!(inv.withdraw(user("o"), late), Err(TransitionError::Expired));
    }

    #[test]
    fn history_is_kept_for_the_retention_period_after_the_last_change() {
        let sent = t("2026-03-01T12:00:00Z");
        let retention = TimeDelta::days(90);
        let inv = invitation(sent);
        assert_eq!(inv.purge_at(retention), inv.expires_at + retention);
        let answered_at = sent + TimeDelta::days(2);
        let declined = inv.decline(None, answered_at).unwrap();
        assert_eq!(declined.purge_at(retention), answered_at + retention);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        assert_eq!(Status::parse("OPEN"), Err(UnknownStatus));
    }
}
