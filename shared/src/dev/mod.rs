//! Development aids, compiled only with the `dev` feature (and for this crate's
//! own tests): the demo data that `scripts/dev` seeds, the unsigned bearer
//! tokens its local watcher reads identity from (there is no API Gateway
//! locally to verify a signed one), and the API Gateway events tests send.

pub mod demo;
pub mod events;
pub mod tokens;
