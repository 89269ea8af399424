//! The rules the strict DynamoDB holds requests to, each with the page of
//! the AWS documentation that states it.

/// A rule DynamoDB documents: its name, and the page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub doc: &'static str,
}

/// `ExpressionAttributeNames` and `ExpressionAttributeValues` are left out
/// rather than sent empty (DynamoDB: "ExpressionAttributeValues must not be empty").
pub const EMPTY_MAP: Rule = Rule {
    name: "no empty placeholder map",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeValues.html",
};

/// Every `#name` and `:value` an expression uses is defined (DynamoDB: "An
/// expression attribute value used in expression is not defined").
pub const UNDEFINED_PLACEHOLDER: Rule = Rule {
    name: "every placeholder used is defined",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ExpressionPlaceholders.html",
};

/// Every placeholder defined is used by an expression of the request, or of
/// its transaction action (DynamoDB: "Value provided in
/// ExpressionAttributeValues unused in expressions").
pub const UNUSED_PLACEHOLDER: Rule = Rule {
    name: "every placeholder defined is used",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ExpressionPlaceholders.html",
};

/// A reserved word (`reserved_words.txt`, the documented list) is never an
/// attribute name in an expression unless behind a `#name`.
pub const RESERVED_WORD: Rule = Rule {
    name: "no reserved word as an attribute name",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html",
};

/// An expression of at most 4 KB, placeholders of at most 255 bytes, at most
/// 100 operands to `IN`.
pub const EXPRESSION_LIMITS: Rule = Rule {
    name: "expression limits",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-expression-parameters",
};

/// A `Key` holds exactly the table's key attributes, an item at least them,
/// and every key attribute (the table's or an index's) has its declared type.
pub const KEY_SCHEMA: Rule = Rule {
    name: "keys match the key schema",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html",
};

/// A key attribute's value (the table's or an index's) is not empty, and at
/// most 2048 bytes for a partition key, 1024 for a sort key.
pub const KEY_VALUE: Rule = Rule {
    name: "key values are 1 to 2048 (partition) or 1024 (sort) bytes",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys",
};

/// An item is at most 400 KB, counted as DynamoDB counts it (`item_size`).
pub const ITEM_SIZE: Rule = Rule {
    name: "an item is at most 400 KB",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html",
};

/// No empty set, no number of more than 38 significant digits, no nesting
/// deeper than 32 levels, in an item or an expression's values.
pub const ATTRIBUTE_VALUE: Rule = Rule {
    name: "attribute values DynamoDB stores",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-attributes",
};

/// A transaction has at most 100 actions and 4 MB of items.
pub const TRANSACTION_SIZE: Rule = Rule {
    name: "a transaction has at most 100 actions and 4 MB",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html",
};

/// No two actions of one transaction target the same item.
pub const ONE_ACTION_PER_ITEM: Rule = Rule {
    name: "one action per item in a transaction",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html",
};

/// A `BatchWriteItem` has at most 25 requests, a `BatchGetItem` at most 100 keys.
pub const BATCH_SIZE: Rule = Rule {
    name: "a batch has at most 25 writes or 100 reads",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-api",
};

/// No two requests of one `BatchWriteItem` on the same item.
pub const ONE_REQUEST_PER_ITEM: Rule = Rule {
    name: "one request per item in a batch write",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html",
};

/// No strongly consistent read of a global secondary index (every index here is one).
pub const CONSISTENT_READ_ON_INDEX: Rule = Rule {
    name: "no consistent read of a global secondary index",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html",
};

/// A query's key condition tests the partition key of the table or index it
/// reads, and names no attribute but that key's.
pub const KEY_CONDITION: Rule = Rule {
    name: "a key condition is on the key read",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html",
};

/// A query's filter names no key attribute of the table or index it reads.
pub const FILTER_ON_KEY: Rule = Rule {
    name: "no key attribute in a query's filter",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html",
};

/// `ExclusiveStartKey` has the shape of a `LastEvaluatedKey`: the table's key
/// attributes, and the index's when reading an index.
pub const START_KEY: Rule = Rule {
    name: "a start key is the key of the table or index read",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html",
};

/// `Limit` is at least 1.
pub const LIMIT: Rule = Rule {
    name: "a limit is at least 1",
    doc: "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html",
};

/// Every rule, for the tests that hold each to a case and to its line in
/// docs/reliability.md.
pub const RULES: [Rule; 18] = [
    EMPTY_MAP,
    UNDEFINED_PLACEHOLDER,
    UNUSED_PLACEHOLDER,
    RESERVED_WORD,
    EXPRESSION_LIMITS,
    KEY_SCHEMA,
    KEY_VALUE,
    ITEM_SIZE,
    ATTRIBUTE_VALUE,
    TRANSACTION_SIZE,
    ONE_ACTION_PER_ITEM,
    BATCH_SIZE,
    ONE_REQUEST_PER_ITEM,
    CONSISTENT_READ_ON_INDEX,
    KEY_CONDITION,
    FILTER_ON_KEY,
    START_KEY,
    LIMIT,
];

/// A request DynamoDB would refuse: the rule, and what in the request broke it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}: breaks \"{}\" ({})", rule.name, rule.doc)]
pub struct Violation {
    pub rule: Rule,
    pub detail: String,
}

impl Rule {
    pub(super) fn refuse(self, detail: impl Into<String>) -> Violation {
        Violation { rule: self, detail: detail.into() }
    }
}
