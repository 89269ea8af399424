//! Team invitations: the domain, its use cases, the AWS adapters and the HTTP edge
//! shared by the `invite`, `list`, `withdraw` and `respond` functions.

pub mod adapters;
pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod ports;
pub mod service;
pub mod time;

pub use error::Error;
