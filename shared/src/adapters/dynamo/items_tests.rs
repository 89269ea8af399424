//! `items`: every item round-trips, and lands where the table layout says.

use super::*;
use crate::adapters::dynamo::teams::*;
use crate::ports::{Closing, ClosingStage, Usage};
use chrono::TimeDelta;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn a_teams_usage_reads_its_counts_and_send_instant() {
    let at = t("2026-11-02T09:30:00Z");
    let limits = item([
        ("pk", s("TEAM#acme")),
        ("sk", s(LIMITS_SK)),
        (OPEN_COUNT, n(9)),
        (SENDS_UNTIL, n(at.timestamp_millis())),
        (CLOSED_AT, s("2026-11-02T10:00:00Z")),
        // A send slot of before the send instant: ignored.
        ("send2", n(1)),
    ]);
    let left = |shard: usize, count: i64| {
        item([("pk", s("TEAM#acme")), ("sk", s(left_sk(shard))), (LEFT_COUNT, n(count))])
    };
    let usage = parse_usage(&[limits, left(0, 2), left(7, 4)]).unwrap();
    assert_eq!((usage.opened, usage.left, usage.open()), (9, 6, 3));
    assert_eq!((usage.sends_until, usage.closed, usage.limits), (Some(at), true, None));
    assert_eq!(parse_usage(&[]).unwrap(), Usage::default());
    assert_eq!(parse_usage(&[left(3, 1)]).unwrap().open(), -1, "counters may exist before the limits item");
    assert!(parse_usage(&[item([(OPEN_COUNT, s("x"))])]).is_err());
}

#[test]
fn an_invitation_leaves_the_count_on_its_own_counter() {
    let id = InvitationId::new_random();
    assert_eq!(left_sk_of(id), left_sk_of(id));
    assert!(left_sk_of(id).starts_with("LIMITS#LEFT#"));
    let used: std::collections::BTreeSet<_> =
        (0..200).map(|_| left_sk_of(InvitationId::new_random())).collect();
    assert_eq!(used.len(), LEFT_SHARDS, "random ids spread over every counter");
}

fn open() -> Invitation {
    let team = Team {
        id: TeamId::parse("acme").unwrap(),
        name: TeamName::parse("Acme <Rockets>").unwrap(),
        created_at: t("2026-01-01T00:00:00Z"),
    };
    Invitation::new(
        &team,
        Email::parse("Ada@Example.com").unwrap(),
        RoleName::parse("member").unwrap(),
        UserId::parse("owner-1").unwrap(),
        t("2026-11-02T09:30:00.123Z"),
        TimeDelta::days(7),
    )
}

/// An item as an index holds it: the table's and the indexes' keys, and the
/// attributes the indexes project (`table::INDEX_ATTRIBUTES`).
fn indexed(item: &Item) -> Item {
    let table = &super::super::table::TABLE;
    let keys = [table.hash_key, table.range_key].into_iter().chain(table.string_attributes.iter().copied());
    let kept: Vec<&str> = keys.chain(super::super::table::INDEX_ATTRIBUTES.iter().copied()).collect();
    item.iter().filter(|(k, _)| kept.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[test]
fn the_indexes_hold_what_the_open_counts_queries_filter_on_and_not_the_history() {
    let attributes = super::super::table::INDEX_ATTRIBUTES;
    assert!(attributes.contains(&RELEASED_AT));
    assert!(!attributes.contains(&HISTORY));
}

#[test]
fn every_state_of_an_invitation_survives_the_round_trip() {
    let inv = open();
    let at = t("2026-11-03T10:00:00Z");
    let by = UserId::parse("u-2").unwrap();
    let states = [
        inv.clone(),
        inv.accept(by.clone(), at).unwrap(),
        inv.decline(None, at).unwrap(),
        inv.decline(Some(by.clone()), at).unwrap(),
        inv.withdraw(by, at).unwrap(),
        Invitation { email_delivery: EmailDelivery::Failed, ..inv.clone() },
        Invitation {
            email_delivery: EmailDelivery::Bounced,
            bounce: Some(BounceType::Permanent),
            ..inv.clone()
        },
        inv.resend(at, TimeDelta::days(7), TimeDelta::seconds(60)).unwrap(),
        Invitation {
            locale: Locale::parse("de-CH").unwrap(),
            invited_by_email: Some(Email::parse("grace@example.com").unwrap()),
            ..inv.clone()
        },
    ];
    for state in states {
        let item = invitation_item(&state, t("2027-02-01T00:00:00Z"));
        assert_eq!(parse_invitation(&item).unwrap(), state);
        // What an index copies is enough to read it back (the lists read indexes).
        assert_eq!(parse_invitation(&indexed(&item)).unwrap(), state, "from an index");
        assert_eq!(item["purgeAt"], n(t("2027-02-01T00:00:00Z").timestamp()));
        assert_eq!(item["expiresAtMs"], n(state.expires_at.timestamp_millis()));
    }
    // What the inviter adds for the invitee and for the platform is kept on
    // the item, and not copied into the indexes (the lists leave it out).
    let added = Invitation {
        note: Note::parse("See you Monday").unwrap(),
        metadata: Metadata::parse(&serde_json::json!({"plan": "pro", "seats": [1, 2]})).unwrap(),
        ..inv.clone()
    };
    let item = invitation_item(&added, t("2027-02-01T00:00:00Z"));
    assert_eq!(parse_invitation(&item).unwrap(), added);
    let listed = parse_invitation(&indexed(&item)).unwrap();
    assert_eq!((listed.note, listed.metadata), (None, None));
}

#[test]
fn keys_place_each_item_where_the_table_layout_says() {
    let inv = open();
    let item = invitation_item(&inv, inv.expires_at);
    assert_eq!(item["pk"], s(format!("INV#{}", inv.id)));
    assert_eq!(item["gsi1pk"], s("TEAM#acme#INV"));
    assert_eq!(item["gsi1sk"], s(format!("2026-11-02T09:30:00.123Z#{}", inv.id)));
    assert_eq!(item["gsi3pk"], s("EMAIL#ada@example.com"), "open: in the addressee's index");
    let answered = invitation_item(&inv.decline(None, inv.created_at).unwrap(), inv.expires_at);
    assert!(!answered.contains_key("gsi3pk"), "answered: out of it");
    let lock = open_lock_item(&inv);
    assert_eq!((&lock["pk"], &lock["sk"]), (&s("TEAM#acme"), &s("OPEN#ada@example.com")));
    assert_eq!(lock_holder(&lock).unwrap(), inv.id);
}

#[test]
fn memberships_teams_and_cursors_round_trip() {
    let m = Membership {
        team_id: TeamId::parse("acme").unwrap(),
        user_id: UserId::parse("u-1").unwrap(),
        email: Email::parse("u1@example.com").unwrap(),
        role: RoleName::parse("administrator").unwrap(),
        joined_at: t("2026-11-02T09:30:00Z"),
        metadata: None,
    };
    assert_eq!(parse_membership(&membership_item(&m)).unwrap(), m);
    let joined =
        Membership { metadata: Metadata::parse(&serde_json::json!({"plan": "pro"})).unwrap(), ..m.clone() };
    assert_eq!(parse_membership(&membership_item(&joined)).unwrap(), joined);
    assert_eq!(member_email_item(&m)["sk"], s("EMAIL#u1@example.com"));
    let team =
        Team { id: m.team_id.clone(), name: TeamName::parse("Acme").unwrap(), created_at: m.joined_at };
    assert_eq!(parse_team(&team.id, &team_item(&team)).unwrap(), team);
    let inv = open();
    let cursor = PageCursor { at: inv.created_at, id: inv.id };
    for stored in [None, Some(Status::Open), Some(Status::Declined)] {
        let key = exclusive_start_key(&inv.team_id, stored, &cursor);
        assert_eq!(cursor_from_key(&key).unwrap(), cursor);
    }
}

#[test]
fn each_status_is_one_key_range_parted_at_now_as_the_write_condition_parts_it() {
    let inv = open();
    let sk = |inv: &Invitation| invitation_item(inv, inv.expires_at)["gsi2sk"].as_s().unwrap().clone();
    let within = |key: &str, status: Status, now| {
        let (from, to) = by_status_range(status, now);
        from.as_str() <= key && key <= to.as_str()
    };
    let expiry = inv.expires_at;
    for (now, expected) in [
        (expiry - TimeDelta::milliseconds(1), Status::Open),
        (expiry, Status::Expired),
        (expiry + TimeDelta::days(30), Status::Expired),
    ] {
        let key = sk(&inv);
        let statuses = [Status::Open, Status::Expired, Status::Accepted, Status::Declined, Status::Withdrawn];
        let holding: Vec<Status> = statuses.into_iter().filter(|st| within(&key, *st, now)).collect();
        assert_eq!(holding, [expected], "expiring at {expiry}, read at {now}");
    }
    let at = t("2026-11-03T10:00:00Z");
    let by = UserId::parse("u-2").unwrap();
    for (answered, status) in [
        (inv.accept(by.clone(), at).unwrap(), Status::Accepted),
        (inv.decline(None, at).unwrap(), Status::Declined),
        (inv.withdraw(by.clone(), at).unwrap(), Status::Withdrawn),
    ] {
        let key = sk(&answered);
        assert_eq!(key, format!("{}#2026-11-03T10:00:00.000Z#{}", status.as_str(), inv.id));
        assert!(
            within(&key, status, at) && !within(&key, Status::Open, at) && !within(&key, Status::Expired, at)
        );
    }
}

#[test]
fn a_corrupt_item_is_a_store_failure_naming_the_field() {
    let mut item = invitation_item(&open(), t("2027-01-01T00:00:00Z"));
    item.insert("status".into(), s("lost"));
    assert_eq!(parse_invitation(&item), Err(corrupt("invitation", "status")));
    item.remove("status");
    assert!(matches!(parse_invitation(&item), Err(StoreError::Other(why)) if why.contains("'status'")));
}

#[test]
fn a_closed_teams_item_carries_its_closing_and_the_stream_hands_over_only_an_unfinished_one() {
    let team = Team {
        id: TeamId::parse("acme").unwrap(),
        name: TeamName::parse("Acme").unwrap(),
        created_at: t("2026-11-02T09:30:00Z"),
    };
    let mut closed = team_item(&team);
    assert_eq!(parse_closing(&closed).unwrap(), None, "an open team");
    for (name, value) in [
        (CLOSED_AT, s("2026-11-02T10:00:00Z")),
        (CLOSE_STAGE, s("members")),
        (CLOSE_STEP, n(4)),
        (CLOSED_BY, s("platform")),
        (CLOSE_WITHDRAWN, n(120)),
        (CLOSE_ENDED, n(200)),
        (CLOSE_AFTER, s("bWVtYmVyfGFkYQ")),
    ] {
        closed.insert(name.into(), value);
    }
    let closing = Closing {
        stage: ClosingStage::Members,
        after: Some("bWVtYmVyfGFkYQ".into()),
        step: 4,
        by: UserId::parse("platform").unwrap(),
        invitations_withdrawn: 120,
        memberships_ended: 200,
    };
    assert_eq!(parse_team_record(&team.id, &closed).unwrap().closing, Some(closing.clone()));

    // As the stream carries it: the step, then nothing once it is done.
    let json = |item: &Item| -> serde_json::Value {
        let image: serde_json::Map<String, serde_json::Value> = item
            .iter()
            .map(|(k, v)| match v {
                AttributeValue::S(x) => (k.clone(), serde_json::json!({ "S": x })),
                AttributeValue::N(x) => (k.clone(), serde_json::json!({ "N": x })),
                other => panic!("{other:?}"),
            })
            .collect();
        serde_json::json!({"eventName": "MODIFY", "dynamodb": {"NewImage": image}})
    };
    let step = super::super::stream::closing_step(&json(&closed)).unwrap();
    assert_eq!(step, Some((team.id.clone(), closing)));
    closed.insert(CLOSE_STAGE.into(), s("done"));
    assert_eq!(super::super::stream::closing_step(&json(&closed)).unwrap(), None);
    closed.insert(CLOSE_STAGE.into(), s("halfway"));
    assert!(parse_closing(&closed).is_err(), "an unknown stage is corrupt, not skipped");
    assert_eq!(super::super::stream::closing_step(&json(&team_item(&team))).unwrap(), None);
}
