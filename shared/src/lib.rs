//! Team invitations: the domain, its use cases, the AWS adapters, and the
//! edges the functions run: `http` for the five API functions (`invite`,
//! `list`, `withdraw`, `respond`, `platform`), `triggers` for the two no
//! client calls (`events`, `delivery`). docs/architecture.md maps the layers.
//!
//! The `dev` feature adds the development aids: demo data (`dev`), unsigned
//! bearer tokens for the local watcher (`http::local_tokens`) and the API
//! Gateway requests the tests send (`http::fixtures`). The admin CLI and the tests enable it;
//! the release functions do not, so a release build cannot be configured into an
//! insecure mode (scripts/test checks the built bootstraps).

pub mod adapters;
pub mod bootstrap;
pub mod clock;
pub mod config;
#[cfg(any(test, feature = "dev"))]
pub mod dev;
pub mod domain;
pub mod error;
pub mod http;
#[cfg(test)]
mod layers;
pub mod mail;
pub mod ports;
#[cfg(test)]
mod scripted_tests;
pub mod service;
pub mod time;
pub mod triggers;

pub use error::Error;
