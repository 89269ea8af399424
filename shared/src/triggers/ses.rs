//! The `delivery` function's edge: SES's reports on invitation emails
//! (delivered, delayed, bounced, complained, rejected), from EventBridge.

use serde_json::Value;

use crate::domain::{BounceType, DeliveryFeedback, Email, EmailDelivery, InvitationId};
use crate::error::Error;
use crate::mail::{TAG_GENERATION, TAG_INVITATION};
use crate::ports::DeliveryStore;
use crate::service::delivery::Deliveries;
use crate::time::parse_timestamp;

/// Applies one SES report (an EventBridge event) to its invitation.
pub struct DeliveryTrigger<S> {
    deliveries: Deliveries<S>,
    origin: Origin,
}

/// Where the reports this deployment applies come from: SES, in the stack's
/// account, about emails sent with its configuration set. The EventBridge
/// rule matches the same; the function checks again, since anyone allowed to
/// put events on the bus (or to invoke the function) can send SES-shaped ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub account: String,
    pub configuration_set: String,
}

impl Origin {
    /// Why `event` is not one of this deployment's SES reports, if it is not.
    pub fn refuses(&self, event: &Value) -> Option<&'static str> {
        let text = |pointer: &str| event.pointer(pointer).and_then(Value::as_str);
        if text("/source") != Some("aws.ses") {
            return Some("not from SES");
        }
        if text("/account") != Some(self.account.as_str()) {
            return Some("from another account");
        }
        if text("/detail/mail/tags/ses:configuration-set/0") != Some(self.configuration_set.as_str()) {
            return Some("about an email of another configuration set");
        }
        None
    }
}

/// What became of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The invitation shows it now.
    Recorded,
    /// Known already, or overtaken (a later report, a later send, the
    /// invitation purged): nothing to change.
    Stale,
    /// Not a report on an invitation email, or unreadable: dropped (logged).
    Ignored,
}

impl<S: DeliveryStore> DeliveryTrigger<S> {
    pub fn new(store: S, origin: Origin) -> Self {
        Self { deliveries: Deliveries::new(store), origin }
    }

    /// A store failure is an error, so that Lambda tries the event again (and
    /// then hands it to the dead-letter queue); an unreadable report is not:
    /// trying again would not help.
    pub async fn handle(&self, event: &Value) -> Result<Applied, Error> {
        if let Some(why) = self.origin.refuses(event) {
            tracing::warn!(why, "an event that is not this deployment's SES report, dropped");
            return Ok(Applied::Ignored);
        }
        let feedback = match feedback(event) {
            Ok(Some(feedback)) => feedback,
            Ok(None) => return Ok(Applied::Ignored),
            Err(e) => {
                tracing::error!(error = %e, "unreadable SES event");
                return Ok(Applied::Ignored);
            }
        };
        let applied = self.deliveries.record(&feedback).await?;
        tracing::info!(
            invitation = %feedback.invitation,
            delivery = feedback.delivery.as_str(),
            applied,
            "delivery report"
        );
        Ok(if applied { Applied::Recorded } else { Applied::Stale })
    }
}

/// SES's report in an EventBridge event (its `detail` is the SES event
/// record), as feedback on an invitation email. `Ok(None)`: a report this
/// service does not track (a send, an open, a click) or about an email that
/// names no invitation; `Err`: a report that cannot be read (the text is for
/// logs).
pub fn feedback(event: &Value) -> Result<Option<DeliveryFeedback>, String> {
    let detail = event.get("detail").unwrap_or(event);
    let kind = detail.get("eventType").and_then(Value::as_str).ok_or("no eventType")?;
    let (delivery, section) = match kind {
        "Delivery" => (EmailDelivery::Delivered, "delivery"),
        "DeliveryDelay" => (EmailDelivery::Delayed, "deliveryDelay"),
        "Bounce" => (EmailDelivery::Bounced, "bounce"),
        "Complaint" => (EmailDelivery::Complained, "complaint"),
        "Reject" => (EmailDelivery::Failed, "reject"),
        _ => return Ok(None),
    };
    let tag = |name: &str| {
        detail.pointer(&format!("/mail/tags/{name}/0")).and_then(Value::as_str).map(str::to_owned)
    };
    let Some(invitation) = tag(TAG_INVITATION) else { return Ok(None) };
    let invitation = InvitationId::parse(&invitation).map_err(|_| format!("bad {TAG_INVITATION} tag"))?;
    // The one address an invitation email goes to.
    let recipient = match detail.pointer("/mail/destination").and_then(Value::as_array).map(Vec::as_slice) {
        Some([one]) => one.as_str().and_then(|a| Email::parse(a).ok()).ok_or("a bad mail.destination")?,
        _ => return Err("mail.destination is not one address".into()),
    };
    let generation = match tag(TAG_GENERATION) {
        Some(g) => g.parse().map_err(|_| format!("bad {TAG_GENERATION} tag"))?,
        None => 0,
    };
    let bounce = match delivery {
        EmailDelivery::Bounced => Some(
            detail
                .pointer("/bounce/bounceType")
                .and_then(Value::as_str)
                .and_then(BounceType::parse)
                .unwrap_or(BounceType::Undetermined),
        ),
        _ => None,
    };
    // The moment of the report; a reject has none of its own: the send's.
    let at = detail
        .get(section)
        .and_then(|s| s.get("timestamp"))
        .or_else(|| detail.pointer("/mail/timestamp"))
        .and_then(Value::as_str)
        .and_then(parse_timestamp)
        .ok_or("no timestamp")?;
    Ok(Some(DeliveryFeedback { invitation, generation, delivery, bounce, at, recipient }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, section: &str, extra: Value) -> Value {
        let mut detail = json!({
            "eventType": kind,
            "mail": {
                "timestamp": "2026-11-30T10:00:00.000Z",
                "messageId": "0100019",
                "destination": ["Ada@Example.com"],
                "tags": {
                    "invitationId": ["0b5e3c8e-58b5-4ba3-9d5b-0b7c1a7f8b11"],
                    "linkGeneration": ["2"],
                    "ses:configuration-set": ["invitations"],
                },
            },
        });
        let mut body = json!({"timestamp": "2026-11-30T10:00:05.000Z"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        detail[section] = body;
        json!({"source": "aws.ses", "account": "123456789012", "detail-type": "Email Bounced", "detail": detail})
    }

    #[test]
    fn each_report_ses_sends_becomes_feedback_on_its_invitations_send() {
        let cases = [
            ("Delivery", "delivery", EmailDelivery::Delivered, None),
            ("DeliveryDelay", "deliveryDelay", EmailDelivery::Delayed, None),
            ("Complaint", "complaint", EmailDelivery::Complained, None),
            ("Reject", "reject", EmailDelivery::Failed, None),
            ("Bounce", "bounce", EmailDelivery::Bounced, Some(BounceType::Permanent)),
        ];
        for (kind, section, delivery, bounce) in cases {
            let f = feedback(&event(kind, section, json!({"bounceType": "Permanent"}))).unwrap().unwrap();
            assert_eq!(f.delivery, delivery, "{kind}");
            assert_eq!(f.bounce, bounce, "{kind}");
            assert_eq!(f.generation, 2);
            assert_eq!(f.invitation.to_string(), "0b5e3c8e-58b5-4ba3-9d5b-0b7c1a7f8b11");
            assert_eq!(f.at, parse_timestamp("2026-11-30T10:00:05.000Z").unwrap(), "{kind}");
            assert_eq!(f.recipient.as_str(), "ada@example.com");
        }
        let transient =
            feedback(&event("Bounce", "bounce", json!({"bounceType": "Transient"}))).unwrap().unwrap();
        assert_eq!(transient.bounce, Some(BounceType::Transient));
    }

    #[test]
    fn reports_not_tracked_or_about_other_emails_are_ignored_and_garbage_refused() {
        assert_eq!(feedback(&event("Open", "open", json!({}))), Ok(None));
        let mut untagged = event("Delivery", "delivery", json!({}));
        untagged["detail"]["mail"]["tags"] = json!({"ses:configuration-set": ["invitations"]});
        assert_eq!(feedback(&untagged), Ok(None));
        let mut bad = event("Delivery", "delivery", json!({}));
        bad["detail"]["mail"]["tags"]["invitationId"] = json!(["not-an-id"]);
        assert!(feedback(&bad).is_err());
        assert!(feedback(&json!({"detail": {}})).is_err());
        for destination in
            [json!([]), json!(["a@example.com", "b@example.com"]), json!(["nobody"]), json!(null)]
        {
            let mut odd = event("Delivery", "delivery", json!({}));
            odd["detail"]["mail"]["destination"] = destination.clone();
            assert!(feedback(&odd).is_err(), "{destination}");
        }
    }

    #[test]
    fn only_ses_reports_from_the_stacks_account_about_its_configuration_set_are_applied() {
        let origin = Origin { account: "123456789012".into(), configuration_set: "invitations".into() };
        let report = event("Delivery", "delivery", json!({}));
        assert_eq!(origin.refuses(&report), None);
        let changed = |pointer: &str, value: Value| {
            let mut e = report.clone();
            *e.pointer_mut(pointer).unwrap() = value;
            origin.refuses(&e)
        };
        assert_eq!(changed("/source", json!("my.app")), Some("not from SES"));
        assert_eq!(changed("/account", json!("210987654321")), Some("from another account"));
        assert!(changed("/detail/mail/tags/ses:configuration-set/0", json!("other")).is_some());
        let mut untagged = report.clone();
        untagged["detail"]["mail"]["tags"] = json!({});
        assert!(origin.refuses(&untagged).is_some());
    }
}
