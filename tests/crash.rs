//! No acknowledged write is lost when the service dies: the real binary writes incidents while
//! this test kills it with SIGKILL at random moments, again and again. Afterwards the database
//! passes SQLite's integrity check, every write the client was told succeeded is there, each
//! incident's trail runs 1, 2, 3 ... up to its revision with no gap, and a restart serves it all.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use strikemap::model::Role;
use strikemap::store::database::{Database, Status};

const KILLS: usize = 12;

/// Starts `strikemap serve` over `dir` on an ephemeral port; returns the child and its address.
fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_strikemap"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(dir)
        .arg("--db")
        .arg(dir.join("store.db"))
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "strikemap=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(rest) = line.split("serving the map at ").nth(1) {
                let addr = rest.split('/').take(3).collect::<Vec<_>>().join("/");
                let _ = tx.send(addr);
                sent = true;
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server starts");
    (child, addr)
}

fn feature(n: usize) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [46.75, 39.81]},
        "properties": {
            "id": format!("crash-{n}"),
            "title": format!("Crash test write {n}"),
            "description": "Written by the crash test; not a real event.",
            "date": "2020-10-10",
            "date_precision": "day",
            "place": "stepanakert",
            "geo_precision": "settlement",
            "location_source": "test",
            "type": "shelling",
            "weapon": "unknown",
            "target": "settlement",
            "perpetrator_alleged": "unknown",
            "reported_by": ["media"],
            "verification": "weak",
            "sources": [{"publisher": "Test", "title": "Crash test", "url": "https://example.org/c", "role": "primary"}]
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_server_mid_write_never_loses_an_acknowledged_write() {
    let dir = common::copy_of_fixtures();
    let token = Database::open(&dir.path().join("store.db"))
        .unwrap()
        .create_token("Crash Tester", Role::Editor)
        .unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut next = 0usize;
    // What the server acknowledged: created ids, and the highest revision of fx-001 it confirmed.
    let mut created: Vec<String> = Vec::new();
    let mut patched_to = 1u64;
    for _ in 0..KILLS {
        let (mut child, base) = start(dir.path());
        let kill_after = Duration::from_millis(rng.random_range(30..400));
        let writer = {
            let client = client.clone();
            let token = token.clone();
            let base = base.clone();
            let start_at = next;
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                let mut patched = None;
                let mut n = start_at;
                loop {
                    let post = client
                        .post(format!("{base}/api/collections/incidents/items"))
                        .bearer_auth(&token)
                        .header("Content-Type", "application/geo+json")
                        .body(feature(n).to_string())
                        .send()
                        .await;
                    n += 1;
                    match post {
                        Ok(r) if r.status() == 201 => acknowledged.push(format!("crash-{}", n - 1)),
                        Ok(r) => panic!("write refused: {}", r.status()),
                        Err(_) => break,
                    }
                    let patch = client
                        .patch(format!("{base}/api/collections/incidents/items/fx-001"))
                        .bearer_auth(&token)
                        .header("Content-Type", "application/merge-patch+json")
                        .header("If-Match", "*")
                        .body(json!({"properties": {"title": format!("Patched {n}")}}).to_string())
                        .send()
                        .await;
                    match patch {
                        Ok(r) if r.status() == 200 => {
                            let v: Value = match r.json().await {
                                Ok(v) => v,
                                Err(_) => break,
                            };
                            patched = v["revision"].as_u64().or(patched);
                        }
                        Ok(r) => panic!("patch refused: {}", r.status()),
                        Err(_) => break,
                    }
                }
                (acknowledged, patched, n)
            })
        };
        tokio::time::sleep(kill_after).await;
        // SIGKILL: no chance to flush or clean up.
        child.kill().unwrap();
        child.wait().unwrap();
        let (acknowledged, patched, n) = writer.await.unwrap();
        created.extend(acknowledged);
        patched_to = patched_to.max(patched.unwrap_or(0));
        next = n;
    }
    assert!(
        created.len() >= KILLS,
        "too few writes to test anything: {}",
        created.len()
    );
    eprintln!(
        "{} creations and fx-001 up to revision {patched_to} acknowledged across {KILLS} kills",
        created.len()
    );

    let db = Database::open(&dir.path().join("store.db")).unwrap();
    assert_eq!(db.integrity_check().unwrap(), "ok");
    for id in &created {
        let stored = db
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("{id} was acknowledged and lost"));
        assert_eq!(stored.status, Status::Active);
    }
    let fx = db.get("fx-001").unwrap().unwrap();
    assert!(
        u64::from(fx.revision) >= patched_to,
        "fx-001 at revision {} after revision {patched_to} was acknowledged",
        fx.revision
    );
    // Every incident's trail is gapless and ends at its revision.
    let mut revisions: HashMap<String, u32> = HashMap::new();
    for id in created
        .iter()
        .map(String::as_str)
        .chain(["fx-001", "fx-002"])
    {
        let stored = db.get(id).unwrap().unwrap();
        let (total, trail) = db.history(id, 100_000, 0).unwrap();
        let numbers: Vec<u32> = trail.iter().map(|r| r.revision).collect();
        assert_eq!(numbers, (1..=stored.revision).collect::<Vec<_>>(), "{id}");
        assert_eq!(total as u32, stored.revision);
        revisions.insert(id.to_string(), stored.revision);
    }
    drop(db);
    // A restart serves every acknowledged write.
    let (mut child, base) = start(dir.path());
    for id in &created {
        let r = client
            .get(format!("{base}/api/collections/incidents/items/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{id} not served after the crashes");
    }
    let r = client
        .get(format!("{base}/api/collections/incidents/items/fx-001"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["etag"],
        format!("\"r{}\"", revisions["fx-001"]).as_str()
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
