//! Team invitations: the domain, its use cases, the AWS adapters, the HTTP edge
//! shared by the API functions (`invite`, `list`, `withdraw`, `respond`,
//! `platform`) and what the `events` and `delivery` functions do (`background`).
//!
//! The `dev` feature adds the development aids (`dev`: demo data, unsigned
//! bearer tokens for the local watcher). The admin CLI and the tests enable it;
//! the release functions do not, so a release build cannot be configured into an
//! insecure mode (scripts/test checks the built bootstraps).

pub mod adapters;
pub mod background;
pub mod bootstrap;
pub mod clock;
pub mod config;
#[cfg(any(test, feature = "dev"))]
pub mod dev;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod ports;
pub mod service;
pub mod time;

pub use error::Error;
