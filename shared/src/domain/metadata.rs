//! What the platform or the frontend attaches to an invitation for its own
//! use: kept on the invitation, copied to the membership its acceptance
//! creates, carried in their events, never shown to the invitee.

use serde_json::{Map, Value};

/// A JSON object of at most `Metadata::MAX_BYTES` bytes as compact JSON, and
/// at most `Metadata::MAX_DEPTH` levels deep. Held as that compact text, which
/// is also how it is stored: it reads back as the same JSON value (an
/// object's keys in sorted order, as serde_json writes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMetadata {
    #[error("metadata must be a JSON object")]
    NotAnObject,
    #[error("metadata must be at most {} bytes as compact JSON", Metadata::MAX_BYTES)]
    TooLarge,
    #[error("metadata must be at most {} levels deep", Metadata::MAX_DEPTH)]
    TooDeep,
}

impl Metadata {
    /// Small enough to ride on every item and event that carries it (an
    /// invitation's item is read and written whole by every change).
    pub const MAX_BYTES: usize = 2048;
    /// The object itself is the first level.
    pub const MAX_DEPTH: usize = 5;

    /// The metadata, or None for an empty object (nothing to keep).
    pub fn parse(value: &Value) -> Result<Option<Self>, InvalidMetadata> {
        let Value::Object(object) = value else { return Err(InvalidMetadata::NotAnObject) };
        if object.is_empty() {
            return Ok(None);
        }
        if depth(value) > Self::MAX_DEPTH {
            return Err(InvalidMetadata::TooDeep);
        }
        let text = value.to_string();
        if text.len() > Self::MAX_BYTES {
            return Err(InvalidMetadata::TooLarge);
        }
        Ok(Some(Self(text)))
    }

    /// Metadata as stored (its compact JSON), under the same rules.
    pub fn from_json(text: &str) -> Result<Self, InvalidMetadata> {
        let value: Value = serde_json::from_str(text).map_err(|_| InvalidMetadata::NotAnObject)?;
        Self::parse(&value)?.ok_or(InvalidMetadata::NotAnObject)
    }

    /// The compact JSON text.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    pub fn to_value(&self) -> Value {
        serde_json::from_str::<Map<String, Value>>(&self.0).map(Value::Object).unwrap_or(Value::Null)
    }
}

/// How many levels of objects and arrays `value` nests (a scalar: 0).
fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_is_a_bounded_json_object_kept_as_given() {
        let given = json!({"plan": "pro", "source": {"campaign": "q4", "ids": [1, 2.5, null]}});
        let metadata = Metadata::parse(&given).unwrap().unwrap();
        assert_eq!(metadata.to_value(), given);
        assert_eq!(Metadata::from_json(metadata.as_json()), Ok(metadata));
        assert_eq!(Metadata::parse(&json!({})), Ok(None), "an empty object keeps nothing");
        for not_object in [json!([1]), json!("x"), json!(null), json!(3)] {
            assert_eq!(Metadata::parse(&not_object), Err(InvalidMetadata::NotAnObject), "{not_object}");
        }
        assert_eq!(Metadata::from_json("[]"), Err(InvalidMetadata::NotAnObject));
        assert_eq!(Metadata::from_json("{}"), Err(InvalidMetadata::NotAnObject), "never stored empty");
    }

    #[test]
    fn metadata_is_refused_past_its_size_and_depth_exactly() {
        // {"k":"…"} is 8 bytes around the value.
        let fits = json!({"k": "x".repeat(Metadata::MAX_BYTES - 8)});
        assert_eq!(fits.to_string().len(), Metadata::MAX_BYTES);
        assert!(Metadata::parse(&fits).unwrap().is_some());
        let over = json!({"k": "x".repeat(Metadata::MAX_BYTES - 7)});
        assert_eq!(Metadata::parse(&over), Err(InvalidMetadata::TooLarge));
        // Five levels: the object and four nested inside it.
        let deepest = json!({"a": {"b": {"c": [{"d": 1}]}}});
        assert_eq!(depth(&deepest), Metadata::MAX_DEPTH);
        assert!(Metadata::parse(&deepest).unwrap().is_some());
        let deeper = json!({"a": {"b": {"c": [{"d": []}]}}});
        assert_eq!(Metadata::parse(&deeper), Err(InvalidMetadata::TooDeep));
    }
}
