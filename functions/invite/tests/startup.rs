//! A function with missing configuration must refuse to start, naming what is
//! missing, rather than fail later on the first request.

use std::process::Command;

#[test]
fn a_missing_variable_stops_the_cold_start_with_a_clear_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_invite"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TABLE_NAME", "invitations")
        .env("INVITATION_EXPIRY_SECONDS", "9000000000000")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success(), "it must not start");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for expected in [
        "SENDER_EMAIL is required",
        "APP_BASE_URL is required",
        "LINK_SIGNING_SECRET_ID is required",
        "INVITATION_EXPIRY_SECONDS must be a whole number from 60 to 2592000",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}
