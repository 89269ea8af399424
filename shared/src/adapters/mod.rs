//! AWS adapters behind the `ports` traits. SDK types and errors stop here.

pub mod dynamo;
pub mod eventbridge;
pub mod secrets;
pub mod ses;
