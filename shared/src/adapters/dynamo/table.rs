//! The table's shape, declared once in Rust for the admin CLI and the tests, and
//! checked against `template.yaml` by a test so the two cannot drift.

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use crate::ports::StoreError;

pub struct IndexSpec {
    pub name: &'static str,
    pub hash_key: &'static str,
    pub range_key: &'static str,
    /// The attributes it copies besides the keys (`INDEX_ATTRIBUTES`), or none.
    pub projection: &'static [&'static str],
}

impl IndexSpec {
    /// `KEYS_ONLY`, or `INCLUDE` with its attributes.
    pub fn projection_type(&self) -> ProjectionType {
        match self.projection {
            [] => ProjectionType::KeysOnly,
            _ => ProjectionType::Include,
        }
    }
}

/// What the list indexes (`byTeam`, `byStatus`, `byEmail`) copy of an
/// invitation besides the keys (`byReminder` copies none): what
/// `items::parse_invitation` reads, and the released mark that the open
/// count's queries filter on. Not the history (read by id only): each write
/// is charged for every index copy by its size, and the history is most of it.
pub const INDEX_ATTRIBUTES: &[&str] = &[
    "id",
    "teamId",
    "teamName",
    "email",
    "role",
    "status",
    "invitedBy",
    "invitedByEmail",
    "createdAt",
    "expiresAt",
    "sentAt",
    "resolvedAt",
    "resolvedBy",
    "emailDelivery",
    "bounceType",
    "linkGeneration",
    "locale",
    "limitReleasedAt",
];

pub struct TableSpec {
    pub hash_key: &'static str,
    pub range_key: &'static str,
    /// Every key attribute, all strings.
    pub string_attributes: &'static [&'static str],
    pub indexes: &'static [IndexSpec],
    pub ttl_attribute: &'static str,
    /// `PAY_PER_REQUEST`: no capacity to plan for a bursty, low-volume workload.
    pub billing_mode: &'static str,
    /// The change stream's view: what the events function reads (`dynamo::stream`).
    pub stream_view: &'static str,
}

pub const GSI_BY_TEAM: &str = "byTeam";
/// A team's invitations of one status, in one key range (`items::by_status_sk`).
pub const GSI_BY_STATUS: &str = "byStatus";
/// A person's open invitations across teams (`items::by_email_pk`).
pub const GSI_BY_EMAIL: &str = "byEmail";
/// The reminders due, by the hour they fall due in (`items::reminder_hour`):
/// only invitations with a pending reminder are in it, keys only.
pub const GSI_BY_REMINDER: &str = "byReminder";

pub const TABLE: TableSpec = TableSpec {
    hash_key: "pk",
    range_key: "sk",
    string_attributes: &["pk", "sk", "gsi1pk", "gsi1sk", "gsi2sk", "gsi3pk", "remindHour", "remindAt"],
    indexes: &[
        IndexSpec {
            name: GSI_BY_TEAM,
            hash_key: "gsi1pk",
            range_key: "gsi1sk",
            projection: INDEX_ATTRIBUTES,
        },
        IndexSpec {
            name: GSI_BY_STATUS,
            hash_key: "gsi1pk",
            range_key: "gsi2sk",
            projection: INDEX_ATTRIBUTES,
        },
        IndexSpec {
            name: GSI_BY_EMAIL,
            hash_key: "gsi3pk",
            range_key: "gsi2sk",
            projection: INDEX_ATTRIBUTES,
        },
        IndexSpec { name: GSI_BY_REMINDER, hash_key: "remindHour", range_key: "remindAt", projection: &[] },
    ],
    ttl_attribute: "purgeAt",
    billing_mode: "PAY_PER_REQUEST",
    stream_view: "NEW_AND_OLD_IMAGES",
};

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))
}

/// Creates the table as `TABLE` declares it, waits until it is active, and turns
/// on TTL. Fails if it already exists. For local development and tests: the
/// template's safety settings (point-in-time recovery, KMS encryption, deletion
/// protection) belong to the deployed stack only.
pub async fn create_table(client: &Client, table_name: &str) -> Result<(), StoreError> {
    create(client, table_name, true).await
}

/// `create_table` without the change stream: for a table that is read, never
/// published (the benchmark's table of 110,000 items, whose stream records an
/// emulator would keep in memory).
pub async fn create_table_without_stream(client: &Client, table_name: &str) -> Result<(), StoreError> {
    create(client, table_name, false).await
}

async fn create(client: &Client, table_name: &str, stream: bool) -> Result<(), StoreError> {
    let mut req =
        client.create_table().table_name(table_name).billing_mode(BillingMode::from(TABLE.billing_mode));
    if stream {
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(TABLE.stream_view))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?,
        );
    }
    let mut req =
        req.key_schema(key(TABLE.hash_key, KeyType::Hash)?).key_schema(key(TABLE.range_key, KeyType::Range)?);
    for name in TABLE.string_attributes {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(*name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?,
        );
    }
    for index in TABLE.indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.hash_key, KeyType::Hash)?)
                .key_schema(key(index.range_key, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(index.projection_type())
                        .set_non_key_attributes(
                            (!index.projection.is_empty())
                                .then(|| index.projection.iter().map(|a| (*a).to_owned()).collect()),
                        )
                        .build(),
                )
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?,
        );
    }
    req.send().await.map_err(|e| super::errors::store_error(&e))?;

    client
        .wait_until_table_exists()
        .table_name(table_name)
        .wait(std::time::Duration::from_secs(60))
        .await
        .map_err(|e| StoreError::Other(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?;

    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TABLE.ttl_attribute)
                .enabled(true)
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| super::errors::store_error(&e))?;
    Ok(())
}
