//! Third-party clients from PyPI against the real server: GDAL as bundled in pyogrio, OWSLib's
//! OGC API client (queryables and CQL2), and Schemathesis fuzzing every documented operation
//! for server errors and answers that break the OpenAPI document. The test command installs
//! them into `.venv` (`tests/clients/requirements.txt`); without them these tests fail and
//! say how to install them.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{Recorder, TestServer};
use std::path::PathBuf;
use std::time::Duration;

fn python() -> PathBuf {
    let path = std::env::var_os("STRIKEMAP_PYTHON").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python")),
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "{} not found: run `bash .ci/test`, or `python3 -m venv .venv && .venv/bin/pip install -r tests/clients/requirements.txt`",
        path.display()
    );
    path
}

/// Runs `program args`, bounded by `limit`, and returns its output; fails the test with the
/// output on a non-zero exit or a timeout.
async fn run(program: PathBuf, args: Vec<String>, limit: Duration) -> String {
    let child = tokio::process::Command::new(&program)
        .args(&args)
        .env("GDAL_HTTP_TIMEOUT", "30")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(limit, child)
        .await
        .unwrap_or_else(|_| panic!("{} {args:?} took longer than {limit:?}", program.display()))
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{} {args:?} failed:\n{text}",
        program.display()
    );
    text
}

fn script(name: &str) -> String {
    format!("{}/tests/clients/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyogrio_gdal_reads_typed_columns_and_filters_on_the_server() {
    let server = TestServer::start().await;
    let recorder = Recorder::start(&server).await;
    let out = run(
        python(),
        vec![script("pyogrio_client.py"), recorder.base.clone()],
        Duration::from_secs(120),
    )
    .await;
    assert!(out.contains("GDAL 3."), "{out}");
    let requests = recorder.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("/incidents/items?") && r.contains("type=shelling")),
        "the where clause did not reach the server: {requests:#?}"
    );
    assert!(
        requests.iter().any(|r| r.contains("datetime=2020-10-11")),
        "the date filter did not reach the server: {requests:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owslib_reads_queryables_and_sends_cql2() {
    let server = TestServer::start().await;
    let recorder = Recorder::start(&server).await;
    run(
        python(),
        vec![script("owslib_client.py"), recorder.base.clone()],
        Duration::from_secs(120),
    )
    .await;
    let requests = recorder.requests();
    assert!(
        requests.iter().any(|r| r.contains("/incidents/queryables")),
        "{requests:#?}"
    );
    assert!(
        requests.iter().any(|r| r.contains("filter=killed >= 2")),
        "the CQL2 filter did not reach the server: {requests:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_violation() {
    // On a store, with an editor's token: the writes are fuzzed too, past authentication.
    let (server, _dir, [_, editor, _]) = TestServer::start_editable().await;
    let bin = python().with_file_name("schemathesis");
    let out = run(
        bin,
        vec![
            "run".into(),
            format!("{}/api/api", server.base),
            "--checks".into(),
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance".into(),
            "--max-examples".into(),
            "15".into(),
            "--max-time".into(),
            "60".into(),
            // One worker: with two threads, CPython 3.11's ast.parse (which Hypothesis calls to
            // describe its strategies) can fail with "AST constructor recursion depth mismatch",
            // an error of the tool, not of the server.
            "--workers".into(),
            "1".into(),
            "--seed".into(),
            "2020".into(),
            "--header".into(),
            format!("Authorization: Bearer {editor}"),
            "--no-color".into(),
        ],
        Duration::from_secs(240),
    )
    .await;
    // Warnings may say "Authentication failed" (an editor may not retract: 403 by design);
    // the test cases' own tally is what must show no failure.
    let tally = out
        .lines()
        .skip_while(|l| !l.starts_with("Test cases:"))
        .nth(1)
        .unwrap_or("");
    assert!(tally.contains("passed"), "{out}");
    assert!(
        !tally.contains("failed") && !tally.contains("error"),
        "{out}"
    );
}
