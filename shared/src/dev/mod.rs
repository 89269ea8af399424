//! Development aids, compiled only with the `dev` feature (and for this crate's
//! own tests): the demo data that `scripts/dev` seeds. The unsigned bearer
//! tokens of the local watcher are read at the edge (`http::local_tokens`),
//! and the API Gateway requests tests send are built by `http::fixtures`.

pub mod demo;
