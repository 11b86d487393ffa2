//! Evidence custody on a real store: files kept once by SHA-256 and never changed, shown as
//! hashes to the public and as files only to editors, every add and read logged with who and
//! from where, bounded uploads, and a verify command that finds a changed or missing file.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::TestServer;
use serde_json::Value;
use sha2::{Digest, Sha256};
use strikemap::store::database::Database;

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const EVIDENCE: &str = "/api/collections/incidents/items/fx-001/evidence";

async fn upload(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
    kind: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let mut request = server
        .client
        .post(format!("{}{path}", server.base))
        .header("Content-Type", kind)
        .body(bytes);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn evidence_is_kept_by_its_hash_shown_by_role_and_every_access_logged() {
    let (server, dir, [viewer, editor, _]) = TestServer::start_editable().await;
    let photo: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let hash = sha256(&photo);
    let (status, body) = upload(
        &server,
        &format!("{EVIDENCE}?filename=crater.png&description=SECRETDESC%20crater&origin=https://example.org/post/1&source=0"),
        Some(&editor),
        "image/png",
        photo.clone(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["sha256"], hash.as_str());
    assert_eq!(body["size"], 100_000);
    assert_eq!(body["detail"]["custody"][0]["action"], "add");
    assert_eq!(body["detail"]["custody"][0]["actor"], "test editor");
    assert!(
        body["detail"]["custody"][0]["peer"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:"),
        "from where: {body}"
    );
    // Stored once, under its hash, read-only.
    let db = Database::open(&dir.path().join("store.db")).unwrap();
    let stored = db.evidence_path(&hash);
    assert_eq!(std::fs::read(&stored).unwrap(), photo);
    assert!(std::fs::metadata(&stored).unwrap().permissions().readonly());
    // The same file for a second incident is attached, not stored again.
    let (status, body) = upload(
        &server,
        "/api/collections/incidents/items/fx-002/evidence",
        Some(&editor),
        "image/png",
        photo.clone(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["detail"]["custody"][0]["action"], "attach");

    // The public and viewers see that it exists, not what it is, and cannot read it.
    for token in [None, Some(viewer.as_str())] {
        let mut request = server.client.get(format!("{}{EVIDENCE}", server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let list: Value = request.send().await.unwrap().json().await.unwrap();
        assert_eq!(list["evidence"][0]["sha256"], hash.as_str());
        assert!(list["evidence"][0].get("detail").is_none(), "{list}");
        assert!(!list.to_string().contains("SECRETDESC"));
        let mut request = server
            .client
            .get(format!("{}{EVIDENCE}/{hash}", server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let status = request.send().await.unwrap().status().as_u16();
        assert_eq!(status, if token.is_some() { 403 } else { 401 });
    }
    // An editor reads the very bytes; the read is in the custody log.
    let response = server
        .client
        .get(format!("{}{EVIDENCE}/{hash}", server.base))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert_eq!(response.bytes().await.unwrap().to_vec(), photo);
    let list: Value = server
        .client
        .get(format!("{}{EVIDENCE}", server.base))
        .bearer_auth(&editor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let custody = list["evidence"][0]["detail"]["custody"].as_array().unwrap();
    let actions: Vec<&str> = custody
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["add", "read"], "{list}");
    assert_eq!(
        list["evidence"][0]["detail"]["origin"],
        "https://example.org/post/1"
    );
    assert_eq!(list["evidence"][0]["detail"]["source_index"], 0);
    // A backup taken while the service runs holds the file too, with its hash intact.
    let backup = dir.path().join("backup.db");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_strikemap"))
        .args(["backup", "--db"])
        .arg(dir.path().join("store.db"))
        .arg("--to")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 evidence files"));
    let copy = Database::open(&backup).unwrap();
    assert_eq!(std::fs::read(copy.evidence_path(&hash)).unwrap(), photo);
    assert_eq!(copy.evidence("fx-001", false).unwrap()[0].sha256, hash);
    // The custody log is never rewritten, even by SQL.
    let conn = rusqlite::Connection::open(dir.path().join("store.db")).unwrap();
    assert!(conn.execute("DELETE FROM custody", []).is_err());
    assert!(conn.execute("UPDATE custody SET actor = 'x'", []).is_err());
}

#[tokio::test]
async fn bad_uploads_are_refused_by_name_and_leave_nothing_behind() {
    let (server, dir, [viewer, editor, _]) = TestServer::start_editable().await;
    // (address, token, media type, body, status, what the refusal names)
    type Case<'a> = (&'a str, Option<&'a str>, &'a str, Vec<u8>, u16, &'a str);
    let cases: [Case; 6] = [
        (
            EVIDENCE,
            None,
            "image/png",
            vec![1, 2, 3],
            401,
            "Authorization",
        ),
        (
            EVIDENCE,
            Some(&viewer),
            "image/png",
            vec![1, 2, 3],
            403,
            "editor",
        ),
        (
            EVIDENCE,
            Some(&editor),
            "application/x-sh",
            vec![1, 2, 3],
            422,
            "Content-Type",
        ),
        (
            &format!("{EVIDENCE}?source=99"),
            Some(&editor),
            "image/png",
            vec![1],
            422,
            "source",
        ),
        (
            EVIDENCE,
            Some(&editor),
            "image/png",
            Vec::new(),
            422,
            "empty",
        ),
        (
            "/api/collections/incidents/items/nope/evidence",
            Some(&editor),
            "image/png",
            vec![1],
            404,
            "nope",
        ),
    ];
    for (path, token, kind, bytes, status, names) in cases {
        let (got, body) = upload(&server, path, token, kind, bytes).await;
        assert_eq!(got, status, "{path} {kind}: {body}");
        assert!(body.to_string().contains(names), "{path}: {body}");
    }
    let incoming = dir.path().join("store.db.evidence").join("incoming");
    let left = std::fs::read_dir(&incoming).map_or(0, |d| d.count());
    assert_eq!(left, 0, "a refused upload left a file");
}

#[tokio::test]
async fn an_upload_over_the_limit_gets_413_and_is_not_kept() {
    let dir = common::copy_of_fixtures();
    let db_path = dir.path().join("store.db");
    let token = Database::open(&db_path)
        .unwrap()
        .create_token("Ed", strikemap::model::Role::Editor)
        .unwrap();
    let mut settings = strikemap::config::Settings::with_data(dir.path().to_path_buf());
    settings.no_db = false;
    settings.db = Some(db_path);
    settings.max_evidence_mb = 1;
    let server = TestServer::start_with(settings).await;
    let (status, body) = upload(
        &server,
        EVIDENCE,
        Some(&token),
        "video/mp4",
        vec![0; 1_500_000],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    let (status, _) = upload(
        &server,
        EVIDENCE,
        Some(&token),
        "video/mp4",
        vec![0; 900_000],
    )
    .await;
    assert_eq!(status, 201);
    let list = server.json(EVIDENCE, 200).await;
    assert_eq!(list["numberMatched"], 1);
}

#[tokio::test]
async fn verify_finds_a_changed_file_and_a_missing_one() {
    let (server, dir, [_, editor, _]) = TestServer::start_editable().await;
    let mut hashes = Vec::new();
    for n in 0..3u8 {
        let bytes = vec![n; 1000];
        hashes.push(sha256(&bytes));
        let (status, _) = upload(&server, EVIDENCE, Some(&editor), "application/pdf", bytes).await;
        assert_eq!(status, 201);
    }
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_strikemap"))
            .args(["evidence", "verify", "--db"])
            .arg(dir.path().join("store.db"))
            .output()
            .unwrap()
    };
    let clean = verify();
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(String::from_utf8_lossy(&clean.stdout).contains("3 evidence files checked: 3 ok"));
    let db = Database::open(&dir.path().join("store.db")).unwrap();
    let changed = db.evidence_path(&hashes[0]);
    let mut permissions = std::fs::metadata(&changed).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(&changed, permissions).unwrap();
    std::fs::write(&changed, b"tampered").unwrap();
    std::fs::remove_file(db.evidence_path(&hashes[1])).unwrap();
    let dirty = verify();
    assert!(!dirty.status.success());
    let stderr = String::from_utf8_lossy(&dirty.stderr);
    assert!(
        stderr.contains(&format!("{}: the file no longer has this hash", hashes[0])),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}: the file is missing", hashes[1])),
        "{stderr}"
    );
    let report = db.verify_evidence("test").unwrap();
    assert_eq!(
        (report.ok, report.mismatched.len(), report.missing.len()),
        (1, 1, 1)
    );
}
