//! The `strikemap` binary itself: a malformed file stops `serve` before it listens, naming the
//! file, the feature and the field; `generate` is deterministic and its output loads.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::process::Command;

fn strikemap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strikemap"))
}

#[test]
fn serve_refuses_to_start_on_a_malformed_file() {
    let dir = common::copy_of_fixtures();
    let path = dir.path().join("incidents.geojson");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "\"verification\": \"confirmed\"",
        "\"verification\": \"certain\"",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let output = strikemap()
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success(), "serve started on broken data");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("incidents.geojson")
            && stderr.contains("features[0]")
            && stderr.contains("verification"),
        "{stderr}"
    );
    assert!(!stderr.contains("serving the map"), "{stderr}");
}

#[test]
fn generate_is_deterministic_and_loads() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for out in [a.path(), b.path()] {
        let status = strikemap()
            .args(["generate", "--count", "2000", "--source"])
            .arg(common::fixture_dir())
            .arg("--out")
            .arg(out)
            .status()
            .unwrap();
        assert!(status.success());
    }
    assert!(
        a.path().join("basemap/rivers.geojson").is_file(),
        "the basemap comes along"
    );
    let first = std::fs::read(a.path().join("incidents.geojson")).unwrap();
    assert_eq!(
        first,
        std::fs::read(b.path().join("incidents.geojson")).unwrap(),
        "same seed, same bytes"
    );
    let output = strikemap()
        .args(["check", "--data"])
        .arg(a.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("ok: 2000 incidents"));
}

#[test]
fn check_lists_every_problem_and_reports_coverage() {
    let dir = common::copy_of_fixtures();
    let path = dir.path().join("incidents.geojson");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen(
            "\"verification\": \"confirmed\"",
            "\"verification\": \"certain\"",
            1,
        )
        .replacen("\"place\": \"ganja\"", "\"place\": \"atlantis\"", 1);
    std::fs::write(&path, text).unwrap();
    let output = strikemap()
        .args(["check", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 problem(s) found"), "{stderr}");
    assert!(
        stderr.contains("(found 'certain')")
            && (stderr.contains("atlantis") || stderr.contains("properties.place")),
        "{stderr}"
    );

    let output = strikemap()
        .args(["check", "--report", "--data"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for table in [
        "Incidents by alleged perpetrator",
        "Incidents by reporting party",
        "Incidents by verification grade",
        "Incidents by weapon",
        "Incidents by month",
        "with an archived passage",
        "Places by precision",
    ] {
        assert!(stdout.contains(table), "{table} missing from:\n{stdout}");
    }

    let help = strikemap().args(["check", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--report") && !help.contains("--addr"),
        "{help}"
    );
}

#[test]
fn generate_refuses_to_write_over_its_source_or_a_real_dataset() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/data");
    let before = std::fs::read_to_string(format!("{data}/places.geojson")).unwrap();
    let output = strikemap()
        .args(["generate", "--count", "5", "--source", data, "--out", data])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("source data folder"));
    assert_eq!(
        std::fs::read_to_string(format!("{data}/places.geojson")).unwrap(),
        before
    );

    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("notes.txt"), "mine").unwrap();
    let output = strikemap()
        .args(["generate", "--count", "5", "--source", data, "--out"])
        .arg(other.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(other.path().join("notes.txt").exists());
}
