//! Development aids, compiled only with the `dev` feature: the demo data that
//! `scripts/dev` seeds, and the unsigned bearer tokens its local watcher reads
//! identity from (there is no API Gateway locally to verify a signed one).

pub mod demo;
pub mod tokens;
