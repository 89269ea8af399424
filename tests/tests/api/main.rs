//! The integration suite, one test binary (one link of the SDKs instead of one per
//! file). Each module is a specification of one area; `World` (tests/src) gives
//! each test its own table, teams and clock in the emulator at `AWS_ENDPOINT_URL`.

mod authorise_first;
mod authorization;
mod batch;
mod capacity;
mod consent;
mod delivery;
mod deploy;
mod domains;
mod email_flow;
mod faults;
mod fitting;
mod hostile;
mod invite;
mod invite_links;
mod join_requests;
mod limits;
mod links;
mod list;
mod logs;
mod members;
mod mine;
mod platform;
mod published;
mod reminders;
mod requests;
mod resend;
mod respond;
mod round_trips;
mod routes;
mod seats;
mod secrets;
mod storage;
mod strict;
mod template;
mod withdraw;
