//! Test harness: each `World` owns a fresh table in the emulator, a team with an
//! owner, an administrator and a member, a second team, and a clock the test
//! controls. Requests go through the real handlers as API Gateway v2 events.
//!
//! - [`world`]: `World`, its users and seed data, the handlers it serves;
//! - [`request`]: `Call`, the one builder of API Gateway v2 events, and its delivery;
//! - [`emulator`]: where the emulator is, and the emails it accepted;
//! - [`strict`]: DynamoDB's request rules at the HTTP client of every SDK client;
//! - [`observe`]: what the handlers' AWS clients sent;
//! - [`capacity`]: what their DynamoDB requests would cost (the benchmark's meter);
//! - [`reports`]: SES's event reports, as the delivery function receives them;
//! - [`template`]: reading `template.yaml`;
//! - [`changes`]: the table's change stream and a subscriber to the events bus.

pub mod capacity;
pub mod changes;
pub mod emulator;
pub mod observe;
pub mod reports;
pub mod request;
pub mod strict;
pub mod template;
pub mod world;

pub use emulator::{endpoint, http_client, sdk_config, sent_emails, SentEmail};
pub use observe::Observer;
pub use request::{call_handlers, dispatch, into_resp, parse_event, send_event, token_of, Api, Call, Resp};
pub use world::{handlers, handlers_with, Clients, Options, User, World};

pub const APP_BASE_URL: &str = "https://app.example.com";
pub const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
pub const VERIFIED_SENDER: &str = "invitations@example.com";
