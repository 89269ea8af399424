//! Benchmark (not a test): where a cold instance's first AWS call spends its
//! time before the network, in this process: the SDK configuration
//! (`bootstrap::sdk_config`), a DynamoDB client, the first call and a second
//! one, against an endpoint of its own that answers at once (so what is left
//! is the SDK's and this process's own work; each run is a fresh process, as a
//! cold instance is).
//!
//! Usage: cold_path [RUNS]   (default 15; prints one line per run, then medians)

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// As the functions run (`functions/*/src/main.rs`): one thread, so what is
// measured includes no wake-ups across a thread pool that Lambda never has.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let runs: usize = std::env::args().nth(1).map(|a| a.parse().expect("RUNS is a number")).unwrap_or(15);
    if std::env::var_os("COLD_PATH_CHILD").is_some() {
        return child().await;
    }
    // Each run in a fresh process (the first call's costs are once per
    // process), against one endpoint of this one.
    let endpoint = zero_latency_endpoint().await;
    let me = std::env::current_exe().unwrap();
    let mut lines = Vec::new();
    for _ in 0..runs {
        let mut command = std::process::Command::new(&me);
        command
            .env("COLD_PATH_CHILD", "1")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench");
        let out = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("runs itself");
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        println!("{line}");
        lines.push(line);
    }
    let column = |i: usize| {
        let mut v: Vec<f64> = lines
            .iter()
            .map(|l| l.split_whitespace().nth(i).and_then(|x| x.split('=').nth(1)).unwrap().parse().unwrap())
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "median: sdk_config_us={} client_us={} first_call_us={} second_call_us={}",
        column(0),
        column(1),
        column(2),
        column(3)
    );
}

async fn child() {
    let t = Instant::now();
    let sdk = invitations_core::bootstrap::sdk_config().await;
    let a = t.elapsed();
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let b = t.elapsed();
    client.describe_table().table_name("bench").send().await.expect("the endpoint answers");
    let c = t.elapsed();
    client.describe_table().table_name("bench").send().await.expect("the endpoint answers");
    let d = t.elapsed();
    let us = |d: Duration| d.as_micros();
    println!(
        "sdk_config_us={} client_us={} first_call_us={} second_call_us={}",
        us(a),
        us(b - a),
        us(c - b),
        us(d - c)
    );
}

/// An HTTP endpoint on a free loopback port answering every request at once
/// with a DescribeTable answer; its URL.
async fn zero_latency_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.set_nodelay(true);
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    // One request: the head, then Content-Length bytes of body.
                    let (head_end, length) = loop {
                        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
                            let length = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .map_or(0, |v| v.trim().parse().unwrap_or(0));
                            break (end + 4, length);
                        }
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    };
                    while buffer.len() < head_end + length {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buffer.drain(..head_end + length);
                    let body = r#"{"Table":{"TableName":"bench"}}"#;
                    // One write: head and body in separate segments would meet
                    // the client's delayed ACK (40 ms).
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}
