//! One structured log line per request, with route, status and latency, and never
//! a link token or the signing secret.

use integration_tests::{User, World, SECRET};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex};

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

#[tokio::test]
async fn each_request_logs_one_json_line_without_secrets() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt().json().with_writer(move || writer.clone()).init();

    let w = World::new().await;
    let email = w.email("logged");
    let (id, token) = w.invited(&email, "member").await;
    assert_eq!(w.preview(&id, &token).await.status, 200);
    assert_eq!(w.preview(&id, "wrong").await.status, 404);
    assert_eq!(w.accept(&User::new("logged-sub", &email), &id, &token).await.status, 200);

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains(&token), "a link token reached the logs");
    assert!(!text.contains(SECRET), "the signing secret reached the logs");

    let requests: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("every line is JSON"))
        .filter(|l| l["fields"]["message"] == "request")
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
