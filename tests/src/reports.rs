//! SES's event reports, as EventBridge hands them to the delivery function.

use serde_json::Value;

/// SES's report on invitation `id`'s email to `to`, as EventBridge hands it over.
pub fn ses_report(kind: &str, id: &str, to: &str, generation: u32) -> Value {
    let section = match kind {
        "Delivery" => "delivery",
        "DeliveryDelay" => "deliveryDelay",
        "Bounce" => "bounce",
        "Complaint" => "complaint",
        _ => "reject",
    };
    let mut detail = serde_json::json!({
        "eventType": kind,
        "mail": {
            "timestamp": "2026-11-02T09:30:01.000Z",
            "messageId": format!("msg-{id}"),
            "destination": [to],
            "tags": {
                "invitationId": [id],
                "linkGeneration": [generation.to_string()],
                "ses:configuration-set": [crate::world::CONFIGURATION_SET],
            },
        },
    });
    detail[section] = serde_json::json!({"timestamp": "2026-11-02T09:31:00.000Z"});
    if kind == "Bounce" {
        detail["bounce"]["bounceType"] = "Permanent".into();
        detail["bounce"]["bounceSubType"] = "General".into();
    }
    let account = crate::world::ACCOUNT;
    serde_json::json!({"version": "0", "source": "aws.ses", "account": account, "detail-type": "Email event", "detail": detail})
}

/// SES's report of a transient bounce (the address may take mail later).
pub fn transient_bounce(id: &str, to: &str, generation: u32) -> Value {
    let mut report = ses_report("Bounce", id, to, generation);
    report["detail"]["bounce"]["bounceType"] = "Transient".into();
    report
}
