//! One structured log line per request, with route, status and latency, and never
//! a link token or the signing secret.

use integration_tests::{User, World, SECRET};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON logs of the whole test binary, as the functions write them in Lambda.
/// One process-wide subscriber (a thread-scoped one misses events when other
/// threads hit the same call sites first); each line names its thread.
fn captured_logs() -> Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt().json().with_thread_ids(true).with_writer(move || writer.clone()).init();
        buffer
    })
    .clone()
}

#[tokio::test]
async fn each_request_logs_one_json_line_without_secrets() {
    let buffer = captured_logs();

    let w = World::new().await;
    let email = w.email("logged");
    let (id, token) = w.invited(&email, "member").await;
    assert_eq!(w.preview(&id, &token).await.status, 200);
    assert_eq!(w.preview(&id, "wrong").await.status, 404);
    assert_eq!(w.accept(&User::new("logged-sub", &email), &id, &token).await.status, 200);

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains(&token), "a link token reached the logs");
    assert!(!text.contains(SECRET), "the signing secret reached the logs");

    // Other tests run on other threads; #[tokio::test] runs this one on its own.
    let this_thread = format!("{:?}", std::thread::current().id());
    let requests: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("every line is JSON"))
        .filter(|l| l["threadId"] == this_thread.as_str() && l["fields"]["message"] == "request")
        .collect();
    let seen: Vec<(String, u64)> = requests
        .iter()
        .map(|l| (l["fields"]["route"].as_str().unwrap().to_owned(), l["fields"]["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("/teams/{teamId}/invitations".to_owned(), 201),
            ("/invitations/{invitationId}".to_owned(), 200),
            ("/invitations/{invitationId}".to_owned(), 404),
            ("/invitations/{invitationId}/accept".to_owned(), 200),
        ]
    );
    assert!(requests.iter().all(|l| l["fields"]["latency_ms"].is_f64()));
}
