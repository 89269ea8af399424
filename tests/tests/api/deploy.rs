//! What `sam deploy` would create, read from template.yaml and samconfig.toml:
//! least-privilege roles, the API's edge settings, secrets, observability and the
//! table's safety settings. A change that weakens any of them fails here.

use serde_json::json;
use serde_yaml_ng::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};

use integration_tests::changes::{passes, stream_filters};
use integration_tests::template::{functions, list, parsed, render, resources, root, s};

/// Every resource a function may touch. Which actions each function gets is held
/// to what its code does in tests/tests/api/round_trips.rs.
const RESOURCES: [&str; 14] = [
    "!GetAtt InvitationsTable.Arn",
    "!Sub ${InvitationsTable.Arn}/index/byTeam",
    "!Sub ${InvitationsTable.Arn}/index/byStatus",
    "!Sub ${InvitationsTable.Arn}/index/byEmail",
    // Any identity (SES checks the recipient's too in the sandbox), but only
    // with the sender as From: the one wildcard, held to that condition below.
    "!Sub arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*",
    // The link secret: its ARN ends in six random characters Secrets Manager adds.
    "!Sub arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${LinkSigningSecretName}-??????",
    // Sending with the configuration set is authorised on it too.
    "!Sub arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${EmailConfigurationSet}",
    // The events function: the bus, the table's stream, its dead-letter queue.
    "!If [CreateEventBus, !GetAtt EventBus.Arn, !Sub arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}]",
    "!GetAtt InvitationsTable.StreamArn",
    "!Sub ${InvitationsTable.Arn}/stream/*",
    "!GetAtt EventsDeadLetterQueue.Arn",
    // The delivery function's dead-letter queue.
    "!GetAtt DeliveryDeadLetterQueue.Arn",
    // The closing function's.
    "!GetAtt ClosingDeadLetterQueue.Arn",
    // The schedule of reminders (the remind function).
    "!Sub ${InvitationsTable.Arn}/index/byReminder",
];
const SES_CONDITION: &str = "{StringEquals: {ses:FromAddress: !Ref SenderEmail}}";

fn strings(v: &Yaml) -> Vec<Yaml> {
    match v {
        Yaml::Sequence(items) => items.clone(),
        other => vec![other.clone()],
    }
}

#[test]
fn each_function_has_its_own_role_scoped_to_the_table_its_index_and_the_sender() {
    let t = parsed();
    let mut binaries = BTreeSet::new();
    for (binary, id, f) in functions(&t) {
        let props = &f["Properties"];
        // No shared or pre-made role: SAM creates one role per function from Policies.
        assert!(props["Role"].is_null(), "{id} must not use a shared role");
        let policies = list(&props["Policies"]);
        assert_eq!(policies.len(), 1, "{id}: one inline policy, no managed or SAM policy templates");
        let statements = list(&policies[0]["Statement"]);
        assert!(!statements.is_empty(), "{id} has no statements");
        for st in statements {
            let keys: BTreeSet<String> = st.as_mapping().unwrap().keys().map(s).collect();
            let plain: BTreeSet<String> = ["Effect", "Action", "Resource"].map(String::from).into();
            let conditioned: BTreeSet<String> =
                ["Effect", "Action", "Resource", "Condition"].map(String::from).into();
            assert!(keys == plain || keys == conditioned, "{id}: no NotAction, NotResource or other keys");
            assert_eq!(s(&st["Effect"]), "Allow");
            for action in strings(&st["Action"]) {
                let action = s(&action);
                assert!(!action.contains('*'), "{id}: wildcard action {action}");
                for resource in strings(&st["Resource"]) {
                    let resource = render(&resource);
                    assert!(RESOURCES.contains(&resource.as_str()), "{id}: {action} on {resource}");
                    if action.starts_with("ses:") {
                        assert!(
                            ["invite", "remind"].contains(&binary.as_str()),
                            "only invite and remind send email"
                        );
                        assert_eq!(action, "ses:SendEmail");
                        assert!([RESOURCES[4], RESOURCES[6]].contains(&resource.as_str()), "{resource}");
                        assert_eq!(render(&st["Condition"]), SES_CONDITION, "only from the sender address");
                    } else if action.starts_with("events:") {
                        assert_eq!(binary, "events", "only the events function publishes");
                        assert_eq!((action.as_str(), resource.as_str()), ("events:PutEvents", RESOURCES[7]));
                    } else if action.starts_with("sqs:") {
                        assert_eq!(action, "sqs:SendMessage");
                        let own = match binary.as_str() {
                            "events" => RESOURCES[10],
                            "closing" => RESOURCES[12],
                            _ => RESOURCES[11],
                        };
                        assert_eq!(resource, own, "{id}: its own dead-letter queue only");
                    } else if resource.contains("stream") {
                        assert!(
                            ["events", "closing"].contains(&binary.as_str()),
                            "only the events and closing functions read the stream"
                        );
                        let allowed: &[&str] = match resource.as_str() {
                            r if r == RESOURCES[9] => &["dynamodb:ListStreams"],
                            _ => &[
                                "dynamodb:DescribeStream",
                                "dynamodb:GetRecords",
                                "dynamodb:GetShardIterator",
                            ],
                        };
                        assert!(allowed.contains(&action.as_str()), "{id}: {action} on {resource}");
                    } else if action.starts_with("secretsmanager:") {
                        assert!(
                            !["withdraw", "platform"].contains(&binary.as_str()),
                            "withdraw and platform neither sign nor verify links"
                        );
                        assert_eq!(
                            (action.as_str(), resource.as_str()),
                            ("secretsmanager:GetSecretValue", RESOURCES[5]),
                            "{id}: reads the link secret, nothing else"
                        );
                    } else {
                        assert!(!resource.contains('*'), "{id}: wildcard resource {resource}");
                        assert!(st["Condition"].is_null(), "{id}: {action} has no condition to rely on");
                    }
                }
            }
        }
        binaries.insert(binary);
    }
    assert_eq!(binaries.len(), 10, "ten functions, ten roles");
}

#[test]
fn the_api_checks_jwts_allows_only_the_frontend_origin_is_throttled_and_logs_json() {
    let t = parsed();
    let api = &t["Resources"]["HttpApi"]["Properties"];
    let stage = &t["Resources"]["ApiStage"]["Properties"];
    assert_eq!(s(&stage["StageName"]), "$default");
    assert_eq!(stage["AutoDeploy"], Yaml::Bool(true));
    let authorizer = &t["Resources"]["JwtAuthorizer"]["Properties"];
    assert_eq!(s(&authorizer["AuthorizerType"]), "JWT");
    assert_eq!(render(&authorizer["IdentitySource"]), "[$request.header.Authorization]");
    assert_eq!(render(&authorizer["JwtConfiguration"]["Issuer"]), "!Ref JwtIssuer");
    assert_eq!(render(&authorizer["JwtConfiguration"]["Audience"]), "!Ref JwtAudience");

    let cors = &api["CorsConfiguration"];
    assert_eq!(render(&cors["AllowOrigins"]), "[!Ref FrontendOrigin]");
    assert!(cors["AllowCredentials"].is_null() || cors["AllowCredentials"] == Yaml::Bool(false));
    assert_eq!(render(&cors["AllowMethods"]), "[GET, POST, PATCH, DELETE]");

    let limits = &stage["DefaultRouteSettings"];
    assert_eq!(render(&limits["ThrottlingRateLimit"]), "!Ref ApiThrottleRateLimit");
    assert_eq!(render(&limits["ThrottlingBurstLimit"]), "!Ref ApiThrottleBurstLimit");
    for p in ["ApiThrottleRateLimit", "ApiThrottleBurstLimit"] {
        assert!(t["Parameters"][p]["Default"].as_u64().is_some_and(|n| n > 0), "{p} has a default");
    }
    // Every route without the authorizer has limits of its own, below the
    // signed-in routes', so anonymous callers cannot starve signed-in users.
    let default = |p: &str| t["Parameters"][p]["Default"].as_u64().unwrap();
    assert!(default("AnonymousThrottleRateLimit") < default("ApiThrottleRateLimit"));
    assert!(default("AnonymousThrottleBurstLimit") < default("ApiThrottleBurstLimit"));
    let per_route = stage["RouteSettings"].as_mapping().expect("RouteSettings");
    let anonymous: BTreeSet<String> = integration_tests::template::routes(&t)
        .into_iter()
        .filter(|r| r.auth == integration_tests::template::RouteAuth::None)
        .map(|r| r.key())
        .collect();
    assert_eq!(anonymous.len(), 2, "preview and decline");
    let limited: BTreeSet<String> = per_route.keys().map(s).collect();
    assert_eq!(limited, anonymous, "route limits exactly on the routes without sign-in");
    for (route, settings) in per_route {
        assert_eq!(
            render(&settings["ThrottlingRateLimit"]),
            "!Ref AnonymousThrottleRateLimit",
            "{}",
            s(route)
        );
        assert_eq!(
            render(&settings["ThrottlingBurstLimit"]),
            "!Ref AnonymousThrottleBurstLimit",
            "{}",
            s(route)
        );
    }

    let logs = &stage["AccessLogSettings"];
    assert_eq!(render(&logs["DestinationArn"]), "!GetAtt ApiAccessLogs.Arn");
    let format: serde_json::Value =
        serde_json::from_str(&s(&logs["Format"])).expect("the access log format is one JSON object");
    for key in ["requestId", "routeKey", "status", "latencyMs"] {
        assert!(format.get(key).is_some(), "access logs lack {key}");
    }
    // The preview link's token travels in the query string: it must never be logged.
    let fields = format.to_string();
    for leak in ["$context.path", "querystring", "$context.identity.userAgent"] {
        assert!(!fields.contains(leak), "access logs include {leak}");
    }
    assert_eq!(
        render(&t["Resources"]["ApiAccessLogs"]["Properties"]["RetentionInDays"]),
        "!Ref LogRetentionDays"
    );
}

#[test]
fn the_link_secret_is_read_at_run_time_by_the_functions_that_sign_or_verify_links() {
    let t = parsed();
    let name = &t["Parameters"]["LinkSigningSecretName"];
    assert!(name["Default"].is_null(), "no default secret name: every deploy names its own");
    // No value in any function's configuration (GetFunctionConfiguration would show it).
    let text = integration_tests::template::text();
    assert!(!text.contains("resolve:secretsmanager"), "the secret is never resolved into the configuration");
    assert!(t["Globals"]["Function"]["Environment"]["Variables"]["LINK_SIGNING_SECRET_ID"].is_null());
    let mut with_id = BTreeSet::new();
    for (binary, _, f) in functions(&t) {
        let vars = &f["Properties"]["Environment"]["Variables"];
        assert!(vars["LINK_SIGNING_SECRET"].is_null());
        if !vars["LINK_SIGNING_SECRET_ID"].is_null() {
            assert_eq!(render(&vars["LINK_SIGNING_SECRET_ID"]), "!Ref LinkSigningSecretName");
            with_id.insert(binary);
        }
    }
    assert_eq!(
        with_id,
        ["invite", "list", "respond", "remind", "links"].map(String::from).into(),
        "withdraw gets no secret"
    );
    let samconfig = std::fs::read_to_string(root().join("samconfig.toml")).unwrap();
    assert!(!samconfig.contains("LINK_SIGNING_SECRET") && !samconfig.contains("LinkSigningSecretVersionId"));
}

#[test]
fn every_function_logs_json_to_a_retained_group_and_has_error_and_throttle_alarms() {
    let t = parsed();
    let alarms = resources(&t, "AWS::CloudWatch::Alarm");
    for (binary, id, f) in functions(&t) {
        let logging = &f["Properties"]["LoggingConfig"];
        assert_eq!(s(&logging["LogFormat"]), "JSON", "{id}");
        let group = render(&logging["LogGroup"]);
        let group = group.strip_prefix("!Ref ").unwrap_or_else(|| panic!("{id} logs to its own group"));
        let g = &t["Resources"][group];
        assert_eq!(s(&g["Type"]), "AWS::Logs::LogGroup");
        assert_eq!(render(&g["Properties"]["RetentionInDays"]), "!Ref LogRetentionDays");
        // X-Ray is deliberately off (docs/deploy.md says why).
        assert!(f["Properties"]["Tracing"].is_null() && t["Globals"]["Function"]["Tracing"].is_null());

        for metric in ["Errors", "Throttles"] {
            let watching = alarms.iter().filter(|(_, a)| {
                let p = &a["Properties"];
                p["Namespace"] == "AWS/Lambda"
                    && p["MetricName"] == metric
                    && render(&p["Dimensions"]) == format!("[{{Name: FunctionName, Value: !Ref {id}}}]")
            });
            assert_eq!(watching.count(), 1, "one {metric} alarm for {binary}");
        }
    }
    let api_5xx = alarms.iter().filter(|(_, a)| {
        list(&a["Properties"]["Metrics"]).iter().any(|m| {
            let metric = &m["MetricStat"]["Metric"];
            metric["Namespace"] == "AWS/ApiGateway"
                && metric["MetricName"] == "5xx"
                && render(&metric["Dimensions"]) == "[{Name: ApiId, Value: !Ref HttpApi}]"
        })
    });
    assert_eq!(api_5xx.count(), 1, "an alarm on the API's 5xx rate");
    // A dead-letter queue that holds anything means something was lost to
    // consumers or to the invitations: each has an alarm.
    for (queue, _) in resources(&t, "AWS::SQS::Queue") {
        let watching = alarms.iter().filter(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == "AWS/SQS"
                && p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && render(&p["Dimensions"])
                    == format!("[{{Name: QueueName, Value: !GetAtt {queue}.QueueName}}]")
        });
        assert_eq!(watching.count(), 1, "an alarm on {queue}");
    }
    // Changes later than the stream's retention are lost: how far behind each
    // function reading it is has an alarm too.
    for function in ["EventsFunction", "ClosingFunction"] {
        let iterator_age = alarms.iter().filter(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"] == "AWS/Lambda"
                && p["MetricName"] == "IteratorAge"
                && render(&p["Dimensions"]) == format!("[{{Name: FunctionName, Value: !Ref {function}}}]")
        });
        assert_eq!(iterator_age.count(), 1, "an alarm on {function}'s iterator age");
    }
    // Invitation links refused with 429 (the anonymous routes' shared throttle
    // used up, issue 20, L-4): counted from the access log, by route and status.
    let filters = resources(&t, "AWS::Logs::MetricFilter");
    let throttled = filters
        .iter()
        .find(|(_, f)| f["Properties"]["MetricTransformations"][0]["MetricName"] == "AnonymousThrottled");
    let (_, filter) = throttled.expect("a metric of the anonymous routes' 429s");
    assert_eq!(render(&filter["Properties"]["LogGroupName"]), "!Ref ApiAccessLogs");
    let pattern = s(&filter["Properties"]["FilterPattern"]);
    for needle in
        [r#"$.status = "429""#, "GET /invitations/{invitationId}", "POST /invitations/{invitationId}/decline"]
    {
        assert!(pattern.contains(needle), "{pattern}");
    }
    let format = s(&t["Resources"]["ApiStage"]["Properties"]["AccessLogSettings"]["Format"]);
    assert!(
        format.contains(r#""routeKey":"$context.routeKey""#)
            && format.contains(r#""status":"$context.status""#)
    );
    let watching = alarms.iter().filter(|(_, a)| a["Properties"]["MetricName"] == "AnonymousThrottled");
    assert_eq!(watching.count(), 1, "an alarm on the anonymous routes' 429s");
    assert_eq!(
        alarms.len(),
        27,
        "two per function, the API's 5xx rate, one per dead-letter queue, each stream reader's iterator age, the anonymous routes' 429s"
    );
    for (id, a) in &alarms {
        for key in ["AlarmActions", "OKActions"] {
            assert_eq!(
                render(&a["Properties"][key]),
                "!If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]",
                "{id} notifies the optional topic"
            );
        }
    }
    assert_eq!(t["Parameters"]["AlarmTopicArn"]["Default"], Yaml::String(String::new()));
}

#[test]
fn changes_are_published_from_the_stream_with_retries_and_a_dead_letter_queue() {
    let t = parsed();
    let r = &t["Resources"];
    assert_eq!(
        s(&r["InvitationsTable"]["Properties"]["StreamSpecification"]["StreamViewType"]),
        "NEW_AND_OLD_IMAGES"
    );
    let mapping = &r["EventsStreamMapping"]["Properties"];
    assert_eq!(render(&mapping["FunctionName"]), "!Ref EventsFunction");
    assert_eq!(render(&mapping["EventSourceArn"]), "!GetAtt InvitationsTable.StreamArn");
    assert_eq!(
        render(&mapping["FunctionResponseTypes"]),
        "[ReportBatchItemFailures]",
        "the first failed record, not the batch"
    );
    assert_eq!(mapping["BisectBatchOnFunctionError"], Yaml::Bool(true));
    let retries = mapping["MaximumRetryAttempts"].as_u64().expect("bounded retries");
    assert!((1..=10).contains(&retries), "retried, then dead-lettered rather than blocking the shard");
    assert_eq!(
        render(&mapping["DestinationConfig"]["OnFailure"]["Destination"]),
        "!GetAtt EventsDeadLetterQueue.Arn"
    );
    // No SAM event source: it would attach a managed policy reading every stream.
    assert!(r["EventsFunction"]["Properties"]["Events"].is_null());
    // Lambda hands over the records that can publish, and none of the rest
    // (the tests read the stream through the same filter: changes.rs).
    let filters = stream_filters();
    assert!(!filters.is_empty(), "the mapping filters the stream");
    let record = |event: &str, entity: Option<&str>| {
        let mut image = json!({"pk": {"S": "TEAM#t"}, "sk": {"S": "x"}});
        if let Some(entity) = entity {
            image["entity"] = json!({"S": entity});
        }
        match event {
            "REMOVE" => json!({"eventName": event, "dynamodb": {"OldImage": image}}),
            _ => json!({"eventName": event, "dynamodb": {"NewImage": image}}),
        }
    };
    for (event, entity) in [("INSERT", "invitation"), ("MODIFY", "invitation"), ("INSERT", "membership")] {
        assert!(passes(&filters, &record(event, Some(entity))), "{event} {entity} reaches the function");
    }
    assert!(passes(&filters, &record("INSERT", Some("ended-membership"))));
    for (event, entity) in
        [("INSERT", "invite-link"), ("MODIFY", "invite-link"), ("INSERT", "invite-link-use")]
    {
        assert!(passes(&filters, &record(event, Some(entity))), "{event} {entity} reaches the function");
    }
    for (event, entity) in [
        ("MODIFY", None),
        ("INSERT", Some("team")),
        ("REMOVE", Some("invitation")),
        ("INSERT", Some("my-join-request")),
    ] {
        assert!(!passes(&filters, &record(event, entity)), "{event} {entity:?} is filtered out");
    }
    assert_eq!(
        render(&r["EventsFunction"]["Properties"]["Environment"]["Variables"]["EVENT_BUS_NAME"]),
        "!If [CreateEventBus, !Ref EventBus, !Ref EventBusName]"
    );
    assert_eq!(t["Parameters"]["EventBusName"]["Default"], Yaml::String(String::new()));
    // (An empty string renders as nothing.)
    assert_eq!(render(&t["Conditions"]["CreateEventBus"]), "!Equals [!Ref EventBusName, ]");
}

/// A closing's steps reach the closing function one at a time, retried, then
/// dead-lettered; nothing else of the stream does.
#[test]
fn a_closed_teams_steps_reach_the_closing_function_and_nothing_else_does() {
    let t = parsed();
    let r = &t["Resources"];
    let mapping = &r["ClosingStreamMapping"]["Properties"];
    assert_eq!(render(&mapping["FunctionName"]), "!Ref ClosingFunction");
    assert_eq!(render(&mapping["EventSourceArn"]), "!GetAtt InvitationsTable.StreamArn");
    assert_eq!(mapping["BatchSize"].as_u64(), Some(1), "a step per invocation");
    assert_eq!(render(&mapping["FunctionResponseTypes"]), "[ReportBatchItemFailures]");
    let retries = mapping["MaximumRetryAttempts"].as_u64().expect("bounded retries");
    assert!((1..=10).contains(&retries));
    assert_eq!(
        render(&mapping["DestinationConfig"]["OnFailure"]["Destination"]),
        "!GetAtt ClosingDeadLetterQueue.Arn"
    );
    assert!(r["ClosingFunction"]["Properties"]["Events"].is_null());
    let filters = integration_tests::changes::closing_filters();
    let team = |stage: Option<&str>| {
        let mut image = json!({"pk": {"S": "TEAM#t"}, "sk": {"S": "TEAM"}, "entity": {"S": "team"}});
        if let Some(stage) = stage {
            image["closeStage"] = json!({"S": stage});
        }
        json!({"eventName": "MODIFY", "dynamodb": {"NewImage": image}})
    };
    for stage in ["invitations", "members", "recheck"] {
        assert!(passes(&filters, &team(Some(stage))), "{stage} reaches the function");
    }
    assert!(!passes(&filters, &team(Some("done"))), "a finished closing does not");
    assert!(!passes(&filters, &team(None)), "an open team does not");
    let invitation =
        json!({"eventName": "MODIFY", "dynamodb": {"NewImage": {"entity": {"S": "invitation"}}}});
    assert!(!passes(&filters, &invitation));
    // A step is taken well inside the function's time.
    let timeout = r["ClosingFunction"]["Properties"]["Timeout"].as_u64().unwrap();
    assert!(timeout >= 30, "{timeout}");
}

#[test]
fn ses_reports_each_emails_fate_to_the_delivery_function() {
    let t = parsed();
    let r = &t["Resources"];
    let invite = &r["InviteFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(render(&invite["SES_CONFIGURATION_SET"]), "!Ref EmailConfigurationSet");
    let destination = &r["EmailEventDestination"]["Properties"];
    assert_eq!(render(&destination["ConfigurationSetName"]), "!Ref EmailConfigurationSet");
    // Addresses that bounced for good or complained are suppressed by SES itself
    // (issue 20, M-1): the account's reputation is every team's.
    let set = &t["Resources"]["EmailConfigurationSet"]["Properties"];
    assert_eq!(render(&set["SuppressionOptions"]["SuppressedReasons"]), "[BOUNCE, COMPLAINT]");
    let d = &destination["EventDestination"];
    assert_eq!(d["Enabled"], Yaml::Bool(true));
    assert_eq!(render(&d["MatchingEventTypes"]), "[delivery, deliveryDelay, bounce, complaint, reject]");
    // SES sends its events to the default bus only.
    assert_eq!(
        render(&d["EventBridgeDestination"]["EventBusArn"]),
        "!Sub arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
    );
    let delivery = &r["DeliveryFunction"]["Properties"];
    let rule = &delivery["Events"]["SesReports"];
    assert_eq!(s(&rule["Type"]), "EventBridgeRule");
    let pattern = &rule["Properties"]["Pattern"];
    assert_eq!(render(&pattern["source"]), "[aws.ses]");
    // SES's reports in this account only; the function checks the same again
    // (issue 20, L-6), so it is told the account and the set.
    assert_eq!(render(&pattern["account"]), "[!Ref AWS::AccountId]");
    let vars = &delivery["Environment"]["Variables"];
    assert_eq!(render(&vars["STACK_ACCOUNT_ID"]), "!Ref AWS::AccountId");
    assert_eq!(render(&vars["SES_CONFIGURATION_SET"]), "!Ref EmailConfigurationSet");
    // Exactly the reports `triggers::ses::feedback` reads, of this stack's set only.
    assert_eq!(
        render(&pattern["detail"]["eventType"]),
        "[Delivery, DeliveryDelay, Bounce, Complaint, Reject]"
    );
    assert_eq!(
        render(&pattern["detail"]["mail"]["tags"]["ses:configuration-set"]),
        "[!Ref EmailConfigurationSet]"
    );
    assert_eq!(render(&delivery["DeadLetterQueue"]["TargetArn"]), "!GetAtt DeliveryDeadLetterQueue.Arn");
    // A burst of reports neither takes the API's concurrency nor is starved by it.
    let reserved = delivery["ReservedConcurrentExecutions"].as_u64().expect("reserved concurrency");
    assert!((1..=20).contains(&reserved), "{reserved}");
}

#[test]
fn the_templates_bounds_on_settings_are_the_ones_the_functions_enforce() {
    use invitations_core::config::{
        EXPIRY_SECONDS_RANGE, MAX_EMAILS_PER_HOUR_RANGE, MAX_EMAILS_PER_RECIPIENT_PER_DAY_RANGE,
        MAX_OPEN_INVITATIONS_RANGE, REMINDER_LEAD_SECONDS_RANGE, RESEND_COOLDOWN_SECONDS_RANGE,
        RETENTION_DAYS_RANGE,
    };
    let t = parsed();
    for (name, range) in [
        ("InvitationExpirySeconds", EXPIRY_SECONDS_RANGE),
        ("HistoryRetentionDays", RETENTION_DAYS_RANGE),
        ("ResendCooldownSeconds", RESEND_COOLDOWN_SECONDS_RANGE),
        ("ReminderLeadSeconds", REMINDER_LEAD_SECONDS_RANGE),
        ("MaxOpenInvitations", MAX_OPEN_INVITATIONS_RANGE),
        ("MaxEmailsPerHour", MAX_EMAILS_PER_HOUR_RANGE),
        ("MaxEmailsPerRecipientPerDay", MAX_EMAILS_PER_RECIPIENT_PER_DAY_RANGE),
    ] {
        let p = &t["Parameters"][name];
        assert_eq!(p["MinValue"].as_i64(), Some(*range.start()), "{name} MinValue");
        assert_eq!(p["MaxValue"].as_i64(), Some(*range.end()), "{name} MaxValue");
    }
    let lead = &t["Parameters"]["ReminderLeadSeconds"]["Default"];
    assert_eq!(
        lead.as_i64(),
        Some(invitations_core::config::DEFAULT_REMINDER_LEAD_SECONDS),
        "the code's default"
    );
    // Trusting an absent email_verified claim is an explicit, documented opt-in.
    let trust = &t["Parameters"]["TrustUnverifiedEmail"];
    assert_eq!(trust["Default"].as_str(), Some("false"));
    let respond = &t["Resources"]["RespondFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(render(&respond["TRUST_UNVERIFIED_EMAIL"]), "!Ref TrustUnverifiedEmail");
    // Federated providers are trusted without the link only when named (L-2):
    // by the functions that list and accept without it.
    assert_eq!(t["Parameters"]["LinklessAcceptProviders"]["Default"], Yaml::String(String::new()));
    let list = &t["Resources"]["ListFunction"]["Properties"]["Environment"]["Variables"];
    for vars in [respond, list] {
        assert_eq!(render(&vars["LINKLESS_ACCEPT_PROVIDERS"]), "!Ref LinklessAcceptProviders");
    }
    // The email's branding reaches the function that sends it, in the shapes it accepts.
    let invite = &t["Resources"]["InviteFunction"]["Properties"]["Environment"]["Variables"];
    for (var, param) in [
        ("PRODUCT_NAME", "ProductName"),
        ("LOGO_URL", "LogoUrl"),
        ("ACCENT_COLOR", "AccentColor"),
        ("MAX_OPEN_INVITATIONS", "MaxOpenInvitations"),
        ("MAX_EMAILS_PER_HOUR", "MaxEmailsPerHour"),
        ("MAX_EMAILS_PER_RECIPIENT_PER_DAY", "MaxEmailsPerRecipientPerDay"),
    ] {
        assert_eq!(render(&invite[var]), format!("!Ref {param}"), "{var}");
    }
    assert_eq!(t["Parameters"]["AccentColor"]["AllowedPattern"].as_str(), Some("^#[0-9a-fA-F]{6}$"));
    // The sender the SES permission names is the one the functions send from:
    // lowercase on both sides (issue 20, L-8; the functions refuse capitals too).
    assert_eq!(t["Parameters"]["SenderEmail"]["AllowedPattern"].as_str(), Some(r"^[^A-Z\s@]+@[^A-Z\s@]+$"));
}

#[test]
fn the_table_survives_mistakes() {
    let t = parsed();
    let table = &t["Resources"]["InvitationsTable"];
    assert_eq!(s(&table["DeletionPolicy"]), "Retain");
    assert_eq!(s(&table["UpdateReplacePolicy"]), "Retain");
    let p = &table["Properties"];
    assert_eq!(s(&p["BillingMode"]), "PAY_PER_REQUEST");
    assert_eq!(p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], Yaml::Bool(true));
    assert_eq!(p["DeletionProtectionEnabled"], Yaml::Bool(true));
    assert_eq!(p["SSESpecification"]["SSEEnabled"], Yaml::Bool(true));
    assert_eq!(p["TimeToLiveSpecification"]["Enabled"], Yaml::Bool(true));
}

/// `Name=value` overrides of one samconfig environment.
fn overrides(config: &toml::Table, env: &str) -> BTreeMap<String, String> {
    let deploy = config[env]["deploy"]["parameters"].as_table().unwrap_or_else(|| panic!("[{env}.deploy]"));
    deploy["parameter_overrides"]
        .as_array()
        .expect("parameter_overrides is a list")
        .iter()
        .map(|o| {
            let (k, v) = o.as_str().unwrap().split_once('=').expect("Name=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn samconfig_has_dev_and_prod_with_every_required_parameter() {
    let config: toml::Table =
        std::fs::read_to_string(root().join("samconfig.toml")).unwrap().parse().expect("samconfig is TOML");
    let t = parsed();
    let params = t["Parameters"].as_mapping().unwrap();
    let required: BTreeSet<String> =
        params.iter().filter(|(_, p)| p["Default"].is_null()).map(|(k, _)| s(k)).collect();
    let mut stacks = BTreeSet::new();
    for env in ["default", "prod"] {
        let given = overrides(&config, env);
        for name in given.keys() {
            assert!(params.contains_key(name.as_str()), "[{env}] overrides unknown parameter {name}");
        }
        let missing: Vec<&String> = required.iter().filter(|p| !given.contains_key(*p)).collect();
        assert!(missing.is_empty(), "[{env}] does not set {missing:?}");
        let global = &config[env]["global"]["parameters"];
        stacks.insert(global["stack_name"].as_str().unwrap().to_owned());
        assert!(global["region"].as_str().is_some(), "[{env}] names a region");
        let deploy = &config[env]["deploy"]["parameters"];
        assert_eq!(deploy["resolve_s3"].as_bool(), Some(true));
        assert_eq!(
            config[env]["build"]["parameters"]["beta_features"].as_bool(),
            Some(true),
            "[{env}] build"
        );
    }
    assert_eq!(stacks.len(), 2, "dev and prod are different stacks");
    assert_eq!(config["prod"]["deploy"]["parameters"]["confirm_changeset"].as_bool(), Some(true));
}

#[test]
fn the_platform_function_admits_only_the_listed_principals() {
    let t = parsed();
    let platform = &t["Resources"]["PlatformFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(render(&platform["PLATFORM_ROLE_ARNS"]), "!Ref PlatformRoleArns");
    // No one until the operator names the platform's role.
    assert_eq!(t["Parameters"]["PlatformRoleArns"]["Default"], Yaml::String(String::new()));
    for (binary, id, function) in functions(&t) {
        if binary != "platform" {
            let vars = &function["Properties"]["Environment"]["Variables"];
            assert!(vars["PLATFORM_ROLE_ARNS"].is_null(), "{id}");
        }
    }
}
