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

    /// Starts the service on a fresh store (seeded from a copy of the fixtures) and returns
    /// it with the directory holding the store and a token of each role: viewer, editor, admin.
    pub async fn start_editable() -> (TestServer, tempfile::TempDir, [String; 3]) {
        use strikemap::model::Role;
        let dir = copy_of_fixtures();
        let db_path = dir.path().join("store.db");
        let db = strikemap::store::database::Database::open(&db_path).expect("store opens");
        let tokens = [Role::Viewer, Role::Editor, Role::Admin].map(|role| {
            db.create_token(&format!("test {role}"), role)
                .expect("token")
        });
        drop(db);
        let mut settings = Settings::with_data(dir.path().to_path_buf());
        settings.no_db = false;
        settings.db = Some(db_path);
        (Self::start_with(settings).await, dir, tokens)
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

/// A TCP relay in front of a server that records the request line of every request passing
/// through, so a test can show what a client (GDAL, QGIS, ...) actually sent.
pub struct Recorder {
    pub base: String,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Recorder {
    /// Relays 127.0.0.1:<ephemeral> to `server`.
    pub async fn start(server: &TestServer) -> Recorder {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let upstream = server.base.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let recorded = lines.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                    });
                    let mut pending = Vec::new();
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match client_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        pending.extend_from_slice(&buf[..n]);
                        while let Some(end) = pending.windows(2).position(|w| w == b"\r\n") {
                            let line = String::from_utf8_lossy(&pending[..end]).to_string();
                            if line.starts_with("GET ") {
                                recorded.lock().unwrap().push(line);
                            }
                            pending.drain(..end + 2);
                        }
                        if server_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Recorder { base, lines }
    }

    /// The request lines seen so far, decoded (`GET /api/... HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| percent_decode(l))
            .collect()
    }
}

/// Decodes `%XX` escapes and `+` in a request line.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}
