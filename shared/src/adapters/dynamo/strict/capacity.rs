//! What a request costs in DynamoDB's on-demand mode, in read and write
//! request units, from the items it read or wrote: the emulators do not
//! say (moto's `ConsumedCapacity` is a fixed figure, whatever the items). The
//! tests' meter (`tests/src/capacity.rs`) finds the items; these functions
//! price them, as
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html>,
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling>
//! and
//! <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations>
//! state:
//!
//! - a read: each 4 KB of the item, rounded up, at least one unit; half for an
//!   eventually consistent read, double in a transaction; a query: the items
//!   it evaluated (before any filter), summed and then rounded; an index's
//!   items by their projected size;
//! - a write: each 1 KB of the larger of the item before and after, rounded
//!   up, at least one unit; double in a transaction; a condition that fails
//!   still costs the existing item's size (at least one);
//! - each index the write changes: the projected entry written (1 KB units),
//!   two writes when the index key changes (delete and put), none when no
//!   projected attribute changes.
//!
//! Where the documentation is silent, the figure is the larger one: a
//! transaction's condition check costs as a transactional write of the item it
//! reads; a cancelled transaction costs each of its actions as a failed
//! transactional write; an index write is never doubled (DynamoDB propagates it
//! after the transaction).

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

use super::stored_size;
use crate::adapters::dynamo::table::{IndexSpec, TABLE};

pub type Item = HashMap<String, AttributeValue>;

/// Request units, as DynamoDB bills them on demand.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

impl std::ops::AddAssign for Units {
    fn add_assign(&mut self, other: Self) {
        self.read += other.read;
        self.write += other.write;
    }
}

impl std::ops::Add for Units {
    type Output = Self;
    fn add(mut self, other: Self) -> Self {
        self += other;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Eventual,
    Strong,
    Transactional,
}

impl Read {
    fn factor(self) -> f64 {
        match self {
            Read::Eventual => 0.5,
            Read::Strong => 1.0,
            Read::Transactional => 2.0,
        }
    }
}

fn units(bytes: usize, unit: usize) -> f64 {
    bytes.div_ceil(unit).max(1) as f64
}

/// One read of items of `sizes` bytes in all (a get: one item; a query: the
/// items it evaluated).
pub fn read(sizes: impl IntoIterator<Item = usize>, how: Read) -> Units {
    Units { read: units(sizes.into_iter().sum(), 4096) * how.factor(), write: 0.0 }
}

/// One write of an item that was `before` and is `after` (None: absent), and
/// of every index entry it changed; `done` false when its condition failed.
pub fn write(before: Option<&Item>, after: Option<&Item>, done: bool, transactional: bool) -> Units {
    let factor = if transactional { 2.0 } else { 1.0 };
    let size = |item: Option<&Item>| item.map_or(0, stored_size);
    if !done {
        return Units { read: 0.0, write: units(size(before), 1024) * factor };
    }
    let table = units(size(before).max(size(after)), 1024) * factor;
    let indexes: f64 = TABLE.indexes.iter().map(|index| index_write(index, before, after)).sum();
    Units { read: 0.0, write: table + indexes }
}

/// A transaction's condition check of `item` (None: absent).
pub fn check(item: Option<&Item>) -> Units {
    write(item, None, false, true)
}

/// The write units one index is charged for an item's change.
fn index_write(index: &IndexSpec, before: Option<&Item>, after: Option<&Item>) -> f64 {
    let entry = |item: Option<&Item>| item.and_then(|i| index_entry(index, i));
    match (entry(before), entry(after)) {
        (None, None) => 0.0,
        (Some(old), None) => units(stored_size(&old), 1024),
        (None, Some(new)) => units(stored_size(&new), 1024),
        (Some(old), Some(new)) if old == new => 0.0,
        (Some(old), Some(new)) => {
            let key = |e: &Item| (e.get(index.hash_key).cloned(), e.get(index.range_key).cloned());
            if key(&old) == key(&new) {
                units(stored_size(&old).max(stored_size(&new)), 1024)
            } else {
                units(stored_size(&old), 1024) + units(stored_size(&new), 1024)
            }
        }
    }
}

/// An item's entry in `index` (its keys, the table's and the projected
/// attributes), or None when it lacks the index's keys (a sparse index).
pub fn index_entry(index: &IndexSpec, item: &Item) -> Option<Item> {
    if !item.contains_key(index.hash_key) || !item.contains_key(index.range_key) {
        return None;
    }
    let keep = [TABLE.hash_key, TABLE.range_key, index.hash_key, index.range_key];
    Some(
        item.iter()
            .filter(|(name, _)| keep.contains(&name.as_str()) || index.projection.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    )
}

/// The index `name` of the table.
pub fn index(name: &str) -> Option<&'static IndexSpec> {
    TABLE.indexes.iter().find(|i| i.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttributeValue::S;

    fn item(extra: &[(&str, &str)]) -> Item {
        let mut item = Item::from([("pk".into(), S("TEAM#t".into())), ("sk".into(), S("INV#1".into()))]);
        item.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), S((*v).to_owned()))));
        item
    }

    /// An item of `bytes` bytes in all (names included), outside every index.
    fn sized(bytes: usize) -> Item {
        let base = stored_size(&item(&[]));
        item(&[("blob", &"x".repeat(bytes - base - "blob".len()))])
    }

    #[test]
    fn reads_round_up_per_4_kb_and_halve_when_eventually_consistent() {
        assert_eq!(read([3500], Read::Strong).read, 1.0);
        assert_eq!(read([3500], Read::Eventual).read, 0.5);
        assert_eq!(read([10 * 1024], Read::Strong).read, 3.0);
        assert_eq!(read([10 * 1024], Read::Transactional).read, 6.0);
        // A query rounds the sum, not each item; one that finds nothing costs one unit.
        assert_eq!(read([1500, 1500, 1500], Read::Strong).read, 2.0);
        assert_eq!(read([], Read::Eventual).read, 0.5);
    }

    #[test]
    fn writes_charge_the_larger_image_per_1_kb_and_double_in_a_transaction() {
        let (small, big) = (sized(500), sized(2500));
        assert_eq!(write(None, Some(&small), true, false).write, 1.0);
        assert_eq!(write(Some(&big), Some(&small), true, false).write, 3.0);
        assert_eq!(write(Some(&small), Some(&big), true, true).write, 6.0);
        assert_eq!(write(Some(&big), None, true, false).write, 3.0, "a delete: the item deleted");
        assert_eq!(write(None, None, true, false).write, 1.0, "deleting nothing still costs one");
    }

    #[test]
    fn a_failed_condition_costs_the_existing_item_and_no_index() {
        let existing = item(&[("gsi1pk", "TEAM#t#INV"), ("gsi1sk", "a"), ("blob", &"x".repeat(1500))]);
        assert_eq!(write(Some(&existing), Some(&existing), false, false).write, 2.0);
        assert_eq!(write(None, None, false, false).write, 1.0);
        assert_eq!(check(Some(&existing)).write, 4.0, "a condition check as a transactional write");
    }

    #[test]
    fn each_index_is_charged_its_projected_entry() {
        // In byTeam only (gsi1pk, gsi1sk); `history` is not projected.
        let before = item(&[("gsi1pk", "TEAM#t#INV"), ("gsi1sk", "a"), ("status", "open")]);
        let history = "h".repeat(3500);
        let mut after = before.clone();
        after.insert("history".into(), S(history.clone()));
        // The table's 4 KB; the index entry is unchanged: nothing.
        assert_eq!(write(Some(&before), Some(&after), true, false).write, 4.0);
        // A projected attribute changes: one index write of the entry's size.
        let mut answered = after.clone();
        answered.insert("status".into(), S("accepted".into()));
        assert_eq!(write(Some(&after), Some(&answered), true, false).write, 4.0 + 1.0);
        // The index key changes: a delete and a put.
        let mut moved = answered.clone();
        moved.insert("gsi1sk".into(), S("b".into()));
        assert_eq!(write(Some(&answered), Some(&moved), true, false).write, 4.0 + 2.0);
        // Entering two indexes (byTeam and byStatus): one put in each; never doubled.
        let mut both = before.clone();
        both.insert("gsi2sk".into(), S("open#a".into()));
        assert_eq!(write(None, Some(&both), true, true).write, 2.0 + 1.0 + 1.0);
        // Leaving them: a delete in each.
        assert_eq!(write(Some(&both), None, true, false).write, 1.0 + 1.0 + 1.0);
    }
}
