//! Hostile clients against the real server on a loopback port: slow senders, clients that
//! never read, an overload of heavy requests, an oversized Host header. Each test is bounded
//! in time and connections, and checks that `/api/health` still answers promptly.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};
use strikemap::config::Settings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn addr_of(server: &common::TestServer) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// `/api/health` answers 200 within `within`.
async fn health_is_prompt(server: &common::TestServer, within: Duration) {
    let started = Instant::now();
    let response = tokio::time::timeout(within, server.get("/api/health"))
        .await
        .unwrap_or_else(|_| panic!("/api/health took longer than {within:?}"));
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() < within);
}

/// A generated dataset big enough that one page of 10,000 incidents is several megabytes.
fn big_dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    strikemap::generate::generate(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data")),
        &out,
        5_000,
        7,
        &|_| {},
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn slow_senders_are_cut_off_and_others_are_served_meanwhile() {
    let mut settings = Settings::with_data(common::fixture_dir());
    settings.header_timeout_secs = 1;
    settings.request_timeout_secs = 1;
    let server = common::TestServer::start_with(settings).await;
    let addr = addr_of(&server);
    // 200 connections that send half a request line and stall (slowloris), and 200 that
    // connect and send nothing at all.
    let mut slow = Vec::new();
    for i in 0..400 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 0 {
            stream
                .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .unwrap();
        }
        slow.push(stream);
    }
    health_is_prompt(&server, Duration::from_millis(500)).await;
    // Within a little more than the header timeout every one of them has been closed.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let mut closed = 0;
    for stream in &mut slow {
        let mut buffer = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await {
            // EOF, a 408 answer or a reset: the server let go of the connection.
            Ok(Ok(0)) | Ok(Err(_)) => closed += 1,
            Ok(Ok(n)) if String::from_utf8_lossy(&buffer[..n]).contains("408") => closed += 1,
            _ => {}
        }
    }
    assert_eq!(
        closed,
        slow.len(),
        "slow connections still open after the header timeout"
    );
    health_is_prompt(&server, Duration::from_millis(500)).await;
}

#[tokio::test]
async fn clients_that_never_read_hold_a_bounded_share_and_then_get_503() {
    let dir = big_dataset();
    let mut settings = Settings::with_data(dir.path().join("data"));
    settings.response_memory_mb = 24;
    settings.header_timeout_secs = 60;
    let server = common::TestServer::start_with(settings).await;
    let addr = addr_of(&server);
    let page = "/api/collections/incidents/items?limit=10000";
    let size = server.get(page).await.bytes().await.unwrap().len();
    assert!(
        size > 4 * 1024 * 1024,
        "a page of {size} bytes is too small for this test"
    );
    // Clients that ask for the big page and never read it.
    let mut stalled = Vec::new();
    let mut refused = 0;
    for _ in 0..12 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(format!("GET {page} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .await
            .unwrap();
        stalled.push(stream);
    }
    // Wait for each one's status line (a debug build takes a while to build 9 MB pages).
    let mut held = 0;
    for stream in &mut stalled {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut head = [0u8; 12];
        loop {
            let n = stream.peek(&mut head).await.unwrap_or(0);
            if n >= 12 || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        match &head {
            h if h.starts_with(b"HTTP/1.1 503") => refused += 1,
            h if h.starts_with(b"HTTP/1.1 200") => held += 1,
            other => panic!("unexpected answer {:?}", String::from_utf8_lossy(other)),
        }
    }
    assert!(
        refused > 0,
        "no client was refused: the budget does not bound memory"
    );
    assert!(
        held * size <= 24 * 1024 * 1024 + 2 * size,
        "{held} bodies of {size} bytes held"
    );
    health_is_prompt(&server, Duration::from_millis(500)).await;
    // When they go away, their share comes back.
    drop(stalled);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.get(page).await.status(), 200);
}

#[tokio::test]
async fn an_overload_of_heavy_requests_never_delays_the_cheap_ones() {
    let dir = big_dataset();
    let mut settings = Settings::with_data(dir.path().join("data"));
    settings.max_concurrent = 1;
    let server = std::sync::Arc::new(common::TestServer::start_with(settings).await);
    let mut heavy = Vec::new();
    for i in 0..40 {
        let server = server.clone();
        heavy.push(tokio::spawn(async move {
            let response = server
                .get(&format!("/api/collections/incidents/items?limit=10000&sortby=-depth&q=synthetic&offset={i}"))
                .await;
            (response.status().as_u16(), response.headers().contains_key("retry-after"))
        }));
    }
    // While 40 heavy requests compete for one work permit, health and metadata answer at once.
    for _ in 0..5 {
        health_is_prompt(&server, Duration::from_millis(500)).await;
        let started = Instant::now();
        assert_eq!(server.get("/api/conformance").await.status(), 200);
        assert!(started.elapsed() < Duration::from_millis(500));
    }
    let mut busy = 0;
    for task in heavy {
        let (status, retry_after) = task.await.unwrap();
        assert!(status == 200 || status == 503, "{status}");
        if status == 503 {
            assert!(retry_after, "a 503 says when to retry");
            busy += 1;
        }
    }
    // Some may have been told to come back; none was a server error or a hang.
    assert!(busy < 40, "every heavy request was refused");
}

#[tokio::test]
async fn an_oversized_or_malformed_host_header_is_refused() {
    let server = common::TestServer::start().await;
    let long = "h".repeat(390);
    for host in [long.as_str(), "evil.example/path", "a b"] {
        let response = server
            .client
            .get(format!("{}/api", server.base))
            .header("Host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{host}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["header"], "Host");
    }
    let ok = server
        .client
        .get(format!("{}/api", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_off_and_its_share_returned() {
    let dir = big_dataset();
    let mut settings = Settings::with_data(dir.path().join("data"));
    settings.response_memory_mb = 12;
    settings.header_timeout_secs = 1;
    settings.request_timeout_secs = 10;
    let server = common::TestServer::start_with(settings).await;
    let page = "/api/collections/incidents/items?limit=10000";
    // A fresh connection for each request: the server closes idle keep-alive connections after
    // the timeout, which a pooled client would race.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let get = |path: &str| fresh.get(format!("{}{path}", server.base)).send();
    let mut stream = TcpStream::connect(addr_of(&server)).await.unwrap();
    stream
        .write_all(format!("GET {page} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // The 9 MB body takes the budget: meanwhile a second one is refused...
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut second = None;
    for _ in 0..40 {
        let status = get(page).await.unwrap().status().as_u16();
        if status == 503 {
            second = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        second,
        Some(503),
        "the budget was not held by the stalled client"
    );
    // ... until the stalled client is cut off for not reading, after the idle timeout (11 s).
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(get(page).await.unwrap().status(), 200);
    drop(stream);
}

/// A large page is sent in slices as the client reads, and still says its length up front
/// (a client can show progress, and knows a cut-off answer from a whole one).
#[tokio::test]
async fn a_large_page_says_its_length() {
    let dir = big_dataset();
    let server = common::TestServer::start_with(Settings::with_data(dir.path().join("data"))).await;
    for limit in [100, 1000] {
        let response = server
            .client
            .get(format!(
                "{}/api/collections/incidents/items?limit={limit}",
                server.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers().get("transfer-encoding").is_none(),
            "limit={limit}: sent in chunks of unknown length"
        );
        let said: usize = response
            .headers()
            .get("content-length")
            .expect("a content-length")
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let body = response.bytes().await.unwrap();
        assert_eq!(said, body.len(), "limit={limit}");
        assert!(
            body.len() > 64 * 1024,
            "limit={limit}: a body past one slice"
        );
    }
}
