//! The file store: a data directory of GeoJSON files, as bundled in `data/`.

use super::layers::{self, feature_label};
use super::{LoadError, Store};
use crate::model::Dataset;
use crate::model::{Place, PlaceRecord};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Where each file of a dataset is. `military` and `protected` may point outside the data
/// directory, so that a deployment can supply its own reference layers.
#[derive(Debug, Clone)]
pub struct DataPaths {
    pub incidents: PathBuf,
    pub places: PathBuf,
    pub line_of_contact: PathBuf,
    pub countries: PathBuf,
    pub military: PathBuf,
    pub protected: PathBuf,
    pub summaries: PathBuf,
    /// The folder of archived passages the records cite.
    pub sources: PathBuf,
}

impl DataPaths {
    /// The standard file names inside `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        DataPaths {
            incidents: dir.join("incidents.geojson"),
            places: dir.join("places.geojson"),
            line_of_contact: dir.join("line_of_contact.geojson"),
            countries: dir.join("countries.geojson"),
            military: dir.join("military_objects.geojson"),
            protected: dir.join("protected_objects.geojson"),
            summaries: dir.join("summaries.json"),
            sources: dir.join("sources"),
        }
    }
}

/// The largest data file read (a million incidents are about 0.7 GB of GeoJSON).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Reads a data file whole, refusing what is not a regular file (a device, a FIFO, a symlink to
/// `/dev/zero`) and anything over [`MAX_FILE_BYTES`], so a corrupted or hostile data directory
/// costs a bounded read and a clear refusal.
pub(super) fn read_text(path: &Path) -> Result<String, LoadError> {
    read_text_capped(path, MAX_FILE_BYTES)
}

pub(super) fn read_text_capped(path: &Path, cap: u64) -> Result<String, LoadError> {
    use std::io::Read;
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let refuse = |expected: String| LoadError::Invalid {
        path: path.to_path_buf(),
        feature: "(file)".into(),
        field: "(file)".into(),
        expected,
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if !metadata.is_file() {
        return Err(refuse(
            "a regular file (this is a device, a pipe or a folder)".into(),
        ));
    }
    if metadata.len() > cap {
        return Err(refuse(format!(
            "a file of at most {cap} bytes (it has {})",
            metadata.len()
        )));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    std::fs::File::open(path)
        .map_err(io)?
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(refuse(format!(
            "a file of at most {cap} bytes (it grew while read)"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        refuse(format!(
            "UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The places and archived passages of a dataset: what a write is checked against.
pub fn places_and_archive(paths: &DataPaths) -> Result<(Vec<Place>, super::Archive), LoadError> {
    let (places, _) = load_places(&paths.places)?;
    Ok((places, super::Archive::load(&paths.sources)?))
}

/// Reads a file to import, with the same refusals as a data file (not a regular file, over
/// [`MAX_FILE_BYTES`], not UTF-8).
pub fn read_import(path: &Path) -> Result<String, LoadError> {
    read_text(path)
}

/// The bundled file store: a directory of GeoJSON files (with optional layer overrides).
#[derive(Debug, Clone)]
pub struct FileStore {
    pub paths: DataPaths,
}

impl Store for FileStore {
    fn load(&self) -> Result<Dataset, LoadError> {
        load_dir(&self.paths)
    }
}

/// Loads and validates every file; the first problem stops the load.
pub fn load_dir(paths: &DataPaths) -> Result<Dataset, LoadError> {
    load_dir_prepared(paths, None, None).map(|(dataset, _)| dataset)
}

/// As [`load_dir`], but takes the incidents and their measures from the snapshot at `path`
/// when it was made from exactly these data (`fingerprint`); returns the measures when it did.
/// A snapshot that cannot be used is said in the log and the incidents are read as usual.
///
/// With `database`, the incidents are the store's public ones rather than `incidents.geojson`'s.
pub fn load_dir_prepared(
    paths: &DataPaths,
    snapshot: Option<(&Path, u64, Vec<u8>)>,
    database: Option<&dyn super::database::RecordStore>,
) -> Result<(Dataset, Option<crate::index::Precomputed>), LoadError> {
    let (places, place_features) = load_places(&paths.places)?;
    let place_index = place_index(&places);
    let archive = super::Archive::load(&paths.sources)?;
    let prepared = snapshot.and_then(|(path, fingerprint, bytes)| {
        match super::snapshot::decode(path, &bytes, fingerprint, &archive, places.len()) {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "snapshot ignored; the incidents are read and measured again");
                None
            }
        }
    });
    let (incidents, measures) = match prepared {
        Some(p) => (p.incidents, Some(p.precomputed)),
        None => match database {
            Some(db) => (
                super::incidents::load_stored(db, &place_index, &archive)?,
                None,
            ),
            None => (
                super::incidents::load_incidents(&paths.incidents, &place_index, &archive)?,
                None,
            ),
        },
    };
    let (line, mut side_areas) = layers::line_of_contact(&paths.line_of_contact)?;
    side_areas.extend(layers::countries(&paths.countries)?);
    let military = layers::reference_layer(&paths.military, &archive)?;
    let protected = layers::reference_layer(&paths.protected, &archive)?;
    let summaries = load_summaries(&paths.summaries, &archive)?;
    Ok((
        Dataset {
            places,
            place_features,
            incidents,
            line,
            side_areas,
            military,
            protected,
            summaries,
            passages: archive.passages(),
        },
        measures,
    ))
}

/// Fills an empty store with the incidents of `paths.incidents`, each validated as a load
/// validates it, all in one transaction (a bad feature leaves the store empty). Returns how
/// many were stored.
pub fn seed_store(
    paths: &DataPaths,
    db: &dyn super::database::RecordStore,
    progress: &dyn Fn(u64),
) -> Result<u64, LoadError> {
    let (places, _) = load_places(&paths.places)?;
    let place_index = place_index(&places);
    let archive = super::Archive::load(&paths.sources)?;
    let text = read_text(&paths.incidents)?;
    let features = super::incidents::seed_features(&text).map_err(|e| LoadError::Json {
        path: paths.incidents.clone(),
        location: format!("line {}, column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    let mut seen = HashSet::new();
    for (n, (id, json)) in features.iter().enumerate() {
        super::incidents::parse_feature(&paths.incidents, json, &place_index, &archive).map_err(
            |e| match e {
                LoadError::Json {
                    path,
                    location,
                    message,
                } => LoadError::Json {
                    path,
                    location: format!("features[{n}].{location}"),
                    message,
                },
                LoadError::Invalid {
                    path,
                    field,
                    expected,
                    ..
                } => LoadError::Invalid {
                    path,
                    feature: format!("'{id}' (#{}, features[{n}])", n + 1),
                    field,
                    expected,
                },
                other => other,
            },
        )?;
        if !seen.insert(id.as_str()) {
            return Err(LoadError::Duplicate {
                path: paths.incidents.clone(),
                feature: format!("'{id}' (#{})", n + 1),
                id: id.clone(),
            });
        }
    }
    let origin = paths.incidents.file_name().map_or_else(
        || paths.incidents.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(db.seed(features, &origin, progress)?)
}

/// Checks every file of a dataset and lists every problem found, instead of stopping at the
/// first: each file is read on its own, and every invalid incident is listed (up to a cap).
/// An empty list means the dataset loads.
pub fn check_dir(paths: &DataPaths) -> Vec<LoadError> {
    let mut errors = Vec::new();
    let places = load_places(&paths.places)
        .map_err(|e| errors.push(e))
        .map(|(places, _)| places)
        .unwrap_or_default();
    let archive = super::Archive::load(&paths.sources)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let place_index = place_index(&places);
    // Without a gazetteer every incident would fail on its place: say so once instead.
    if !places.is_empty() {
        errors.extend(super::incidents::check_incidents(
            &paths.incidents,
            &place_index,
            &archive,
        ));
    }
    if let Err(e) = layers::line_of_contact(&paths.line_of_contact) {
        errors.push(e);
    }
    if let Err(e) = layers::countries(&paths.countries) {
        errors.push(e);
    }
    for path in [&paths.military, &paths.protected] {
        if let Err(e) = layers::reference_layer(path, &archive) {
            errors.push(e);
        }
    }
    if let Err(e) = load_summaries(&paths.summaries, &archive) {
        errors.push(e);
    }
    errors
}

/// Each place's index by its id, for checking incidents' `place`.
fn place_index(places: &[Place]) -> HashMap<&str, u32> {
    places
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i as u32))
        .collect()
}

fn load_places(path: &Path) -> Result<(Vec<Place>, Vec<crate::model::RawFeature>), LoadError> {
    let features = layers::read_collection(path)?;
    let mut places = Vec::with_capacity(features.len());
    let mut seen = HashSet::new();
    for (index, feature) in features.iter().enumerate() {
        let label = feature_label(feature, index);
        let properties = serde_json::Value::Object(feature.properties.clone().unwrap_or_default());
        let record: PlaceRecord =
            serde_path_to_error::deserialize(properties).map_err(|e| LoadError::Invalid {
                path: path.to_path_buf(),
                feature: label.clone(),
                field: e.path().to_string(),
                expected: super::plain_words(&e.inner().to_string()),
            })?;
        if !seen.insert(record.id.clone()) {
            return Err(LoadError::Duplicate {
                path: path.to_path_buf(),
                feature: label,
                id: record.id,
            });
        }
        let point = layers::point_of(path, feature, &label)?;
        places.push(Place {
            id: record.id,
            name: record.name,
            name_hy: record.name_hy,
            name_az: record.name_az,
            names: record.names,
            lon: point.x(),
            lat: point.y(),
            geo_precision: record.geo_precision,
            uncertainty_km: record.uncertainty_km,
            region: record.region,
        });
    }
    Ok((places, features))
}

fn load_summaries(
    path: &Path,
    archive: &super::Archive,
) -> Result<Vec<serde_json::Value>, LoadError> {
    #[derive(Deserialize)]
    struct SummaryFile {
        summaries: Vec<serde_json::Value>,
    }
    let text = read_text(path)?;
    let mut file: SummaryFile = serde_json::from_str(&text).map_err(|e| LoadError::Json {
        path: path.to_path_buf(),
        location: format!("line {}, column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    let mut seen = HashSet::new();
    for (index, summary) in file.summaries.iter_mut().enumerate() {
        let Some(id) = summary
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
        else {
            return Err(LoadError::Invalid {
                path: path.to_path_buf(),
                feature: format!("#{}", index + 1),
                field: "id".into(),
                expected: "an id".into(),
            });
        };
        let label = format!("'{id}'");
        if !seen.insert(id.clone()) {
            return Err(LoadError::Duplicate {
                path: path.to_path_buf(),
                feature: label,
                id,
            });
        }
        let sources = archive.check_json_sources(path, &label, summary.get("sources"))?;
        // Served as supplied, with each citation's archived quotation filled in.
        if let Some(object) = summary.as_object_mut() {
            object.insert(
                "sources".into(),
                serde_json::to_value(&sources).unwrap_or_default(),
            );
        }
    }
    Ok(file.summaries)
}
