//! `strikemap generate`: a deterministic synthetic dataset of any size, for load tests and
//! benchmarks. It copies the real reference files and writes made-up incidents that are
//! clearly labelled synthetic; never mix them with real data.

use crate::model::{
    GeoPrecision, IncidentType, Perpetrator, Reporter, Target, Verification, Weapon,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Files copied unchanged from the source data directory.
const COPIED: &[&str] = &[
    "places.geojson",
    "line_of_contact.geojson",
    "countries.geojson",
    "military_objects.geojson",
    "protected_objects.geojson",
    "summaries.json",
];

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Places(String),
    #[error("{0}")]
    Refused(String),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> GenerateError + '_ {
    move |source| GenerateError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Copies a folder of plain files (the map's offline `basemap/`, the passage archive
/// `sources/`) when the source has it: the map needs the one, the summaries cite the other.
fn copy_folder(source: &Path, out: &Path, name: &str) -> Result<(), GenerateError> {
    let from = source.join(name);
    if !from.is_dir() {
        return Ok(());
    }
    let to = out.join(name);
    std::fs::create_dir_all(&to).map_err(io(&to))?;
    for entry in std::fs::read_dir(&from).map_err(io(&from))? {
        let entry = entry.map_err(io(&from))?;
        if entry.file_type().map_err(io(&from))?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).map_err(io(&entry.path()))?;
        }
    }
    Ok(())
}

/// Writes `count` synthetic incidents (same seed, same file) plus copies of the reference
/// files from `source` into `out`. `progress` gets the number written so far.
pub fn generate(
    source: &Path,
    out: &Path,
    count: usize,
    seed: u64,
    progress: &dyn Fn(u64),
) -> Result<(), GenerateError> {
    refuse_unsafe_output(source, out)?;
    // Everything is written to a sibling folder first and moved into place only when complete,
    // so an interrupted run never leaves a half-written dataset under `out`.
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "generated".into());
    let stage = out.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    if stage.exists() {
        std::fs::remove_dir_all(&stage).map_err(io(&stage))?;
    }
    let written = write_dataset(source, &stage, count, seed, progress);
    if let Err(error) = written {
        let _ = std::fs::remove_dir_all(&stage);
        return Err(error);
    }
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io(out))?;
    }
    std::fs::rename(&stage, out).map_err(io(out))
}

/// Refuses to write into the source folder (copying files onto themselves truncates them), or
/// over a folder that holds anything but a previously generated dataset.
fn refuse_unsafe_output(source: &Path, out: &Path) -> Result<(), GenerateError> {
    let source_real = std::fs::canonicalize(source).map_err(io(source))?;
    if !out.exists() {
        return Ok(());
    }
    let out_real = std::fs::canonicalize(out).map_err(io(out))?;
    if out_real == source_real || source_real.starts_with(&out_real) {
        return Err(GenerateError::Refused(format!(
            "--out {} is the source data folder (or holds it): generating there would destroy the real dataset",
            out.display()
        )));
    }
    let incidents = out.join("incidents.geojson");
    let synthetic = || -> std::io::Result<bool> {
        use std::io::Read;
        let mut head = [0u8; 200];
        let n = std::fs::File::open(&incidents)?.read(&mut head)?;
        Ok(String::from_utf8_lossy(&head[..n]).contains("(SYNTHETIC)"))
    };
    let empty = std::fs::read_dir(out).map_err(io(out))?.next().is_none();
    let generated = incidents.is_file() && synthetic().unwrap_or(false);
    if !(empty || generated) {
        return Err(GenerateError::Refused(format!(
            "--out {} is not empty and holds no generated dataset: refusing to replace it",
            out.display()
        )));
    }
    Ok(())
}

fn write_dataset(
    source: &Path,
    out: &Path,
    count: usize,
    seed: u64,
    progress: &dyn Fn(u64),
) -> Result<(), GenerateError> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    for name in COPIED {
        std::fs::copy(source.join(name), out.join(name)).map_err(io(&source.join(name)))?;
    }
    copy_folder(source, out, "basemap")?;
    copy_folder(source, out, "sources")?;
    let places_text = std::fs::read_to_string(source.join("places.geojson"))
        .map_err(io(&source.join("places.geojson")))?;
    let places: serde_json::Value =
        serde_json::from_str(&places_text).map_err(|e| GenerateError::Places(e.to_string()))?;
    let places: Vec<(String, f64, f64)> = places["features"]
        .as_array()
        .map(|features| {
            features
                .iter()
                .filter_map(|f| {
                    let c = f["geometry"]["coordinates"].as_array()?;
                    Some((
                        f["properties"]["id"].as_str()?.to_string(),
                        c.first()?.as_f64()?,
                        c.get(1)?.as_f64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    if places.is_empty() {
        return Err(GenerateError::Places(
            "places.geojson has no usable places".into(),
        ));
    }
    let path = out.join("incidents.geojson");
    let file = std::fs::File::create(&path).map_err(io(&path))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = chrono::NaiveDate::from_ymd_opt(2020, 9, 27).unwrap_or_default();
    writer
        .write_all(
            b"{\"type\":\"FeatureCollection\",\"name\":\"incidents (SYNTHETIC)\",\"features\":[\n",
        )
        .map_err(io(&path))?;
    let source = json!([{ "publisher": "strikemap generator", "title": "Synthetic incident for load testing (not a real event)", "date": null, "url": null, "role": "primary" }]);
    for n in 0..count {
        let (place, lon, lat) = &places[rng.random_range(0..places.len())];
        let lon = lon + rng.random_range(-0.05..0.05);
        let lat = lat + rng.random_range(-0.05..0.05);
        let day = start + chrono::Days::new(rng.random_range(0..45));
        // About one in twenty known only to a range of up to a week, as with reports that
        // cover "the last days"; about one in five reported by two parties.
        let date_end = rng
            .random_bool(0.05)
            .then(|| day + chrono::Days::new(rng.random_range(1..=7)));
        let mut reported_by = vec![Reporter::ALL[rng.random_range(0..Reporter::ALL.len())]];
        if rng.random_bool(0.2) {
            let other = Reporter::ALL[rng.random_range(0..Reporter::ALL.len())];
            if !reported_by.contains(&other) {
                reported_by.push(other);
            }
        }
        let pick = |rng: &mut ChaCha8Rng, len: usize| rng.random_range(0..len);
        let killed = if rng.random_bool(0.3) {
            json!(rng.random_range(0..5u32))
        } else {
            json!(null)
        };
        let feature = json!({
            "type": "Feature",
            "id": format!("syn-{n:07}"),
            "geometry": { "type": "Point", "coordinates": [lon, lat] },
            "properties": {
                "id": format!("syn-{n:07}"),
                "title": format!("Synthetic incident {n} near {place}"),
                "description": "Generated for load testing; not a real event.",
                "date": day.to_string(),
                "date_end": date_end.map(|d| d.to_string()),
                "date_precision": if date_end.is_some() { "range" } else { "day" },
                "place": place, "geo_precision": GeoPrecision::ALL[pick(&mut rng, GeoPrecision::ALL.len())],
                "location_source": "synthetic",
                "type": IncidentType::ALL[pick(&mut rng, IncidentType::ALL.len())],
                "weapon": Weapon::ALL[pick(&mut rng, Weapon::ALL.len())],
                "target": Target::ALL[pick(&mut rng, Target::ALL.len())],
                "killed": killed,
                "perpetrator_alleged": Perpetrator::ALL[pick(&mut rng, Perpetrator::ALL.len())],
                "reported_by": reported_by,
                "verification": Verification::ALL[pick(&mut rng, Verification::ALL.len())],
                "sources": source,
            }
        });
        if n > 0 {
            writer.write_all(b",\n").map_err(io(&path))?;
        }
        serde_json::to_writer(&mut writer, &feature).map_err(|e| GenerateError::Io {
            path: path.display().to_string(),
            source: e.into(),
        })?;
        if n % 10_000 == 0 {
            progress(n as u64);
        }
    }
    writer.write_all(b"\n]}\n").map_err(io(&path))?;
    writer.flush().map_err(io(&path))?;
    progress(count as u64);
    Ok(())
}
