//! Test harness: the real server on an ephemeral loopback port, over the fixture dataset.
#![allow(clippy::unwrap_used, clippy::panic)]
#![allow(dead_code)]

use std::path::PathBuf;
use strikemap::config::Settings;

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/data"))
}

/// The fixture dataset's files, copied into a fresh temporary directory to be edited.
pub fn copy_of_fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for entry in std::fs::read_dir(fixture_dir()).expect("fixture directory") {
        let entry = entry.expect("fixture file");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
    }
    dir
}

/// A running server and the client to talk to it.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
}

impl TestServer {
    /// Starts the real service on 127.0.0.1:0 with `settings`.
    pub async fn start_with(settings: Settings) -> TestServer {
        let index = strikemap::load(&settings, &|_| {}).expect("fixture dataset loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("bound address");
        tokio::spawn(async move { strikemap::serve(listener, index, settings).await });
        TestServer {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        }
    }

    /// Starts the service over the fixture dataset and the real web directory.
    pub async fn start() -> TestServer {
        let mut settings = Settings::with_data(fixture_dir());
        settings.web = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/web"));
        Self::start_with(settings).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request reaches the server")
    }

    /// GET expecting `status`, returning the JSON body.
    pub async fn json(&self, path: &str, status: u16) -> serde_json::Value {
        let response = self.get(path).await;
        let got = response.status().as_u16();
        let body = response.text().await.expect("a body");
        assert_eq!(got, status, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
    }

    /// The ids of the incidents a query returns, in order.
    pub async fn ids(&self, query: &str) -> Vec<String> {
        let body = self
            .json(&format!("/api/collections/incidents/items?{query}"), 200)
            .await;
        body["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| f["id"].as_str().expect("id").to_string())
            .collect()
    }
}

/// Sorted copy, for comparing sets of ids.
pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

pub fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}
