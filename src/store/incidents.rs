//! Reading `incidents.geojson`: each feature is parsed, validated and turned into an
//! [`Incident`] as the parser reaches it, so a million features never exist twice in memory
//! (once as parsed records, once as incidents).

use super::LoadError;
use crate::model::{Incident, IncidentRecord, Source};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

#[derive(Deserialize)]
struct IncidentFeature {
    geometry: PointGeometry,
    properties: IncidentRecord,
}

#[derive(Deserialize)]
struct PointGeometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: Vec<f64>,
}

/// Turns features into incidents one at a time, checking what spans features (unique ids,
/// known places) and sharing identical source lists.
struct Builder<'a> {
    path: &'a Path,
    places: &'a HashMap<&'a str, u32>,
    archive: &'a super::Archive,
    /// When checking rather than loading: every invalid feature's error (up to
    /// [`MAX_COLLECTED`]); the feature is skipped and the next one read.
    collected: Option<Vec<LoadError>>,
    seen: HashSet<Box<str>>,
    shared_sources: HashMap<Vec<Source>, Arc<[Source]>>,
    incidents: Vec<Incident>,
}

impl Builder<'_> {
    fn add(&mut self, mut feature: IncidentFeature) -> Result<(), LoadError> {
        let label = format!(
            "'{}' (#{})",
            feature.properties.id,
            self.incidents.len() + 1
        );
        let invalid = |field: &str, expected: &str| LoadError::Invalid {
            path: self.path.to_path_buf(),
            feature: label.clone(),
            field: field.to_string(),
            expected: expected.to_string(),
        };
        let coordinates = &feature.geometry.coordinates;
        if feature.geometry.kind != "Point" || coordinates.len() != 2 {
            return Err(invalid("geometry", "a Point with [longitude, latitude]"));
        }
        let (lon, lat) = (coordinates[0], coordinates[1]);
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(invalid(
                "geometry.coordinates",
                "a longitude in [-180, 180] and a latitude in [-90, 90]",
            ));
        }
        let place = *self
            .places
            .get(feature.properties.place.as_str())
            .ok_or_else(|| invalid("properties.place", "the id of a place in places.geojson"))?;
        if !self.seen.insert(feature.properties.id.as_str().into()) {
            return Err(LoadError::Duplicate {
                path: self.path.to_path_buf(),
                feature: label,
                id: feature.properties.id,
            });
        }
        for source in &mut feature.properties.sources {
            self.archive
                .resolve(source)
                .map_err(|(field, expected)| invalid(&format!("properties.{field}"), &expected))?;
        }
        let mut incident = feature
            .properties
            .into_incident(lon, lat, place)
            .map_err(|e| invalid(&format!("properties.{}", e.field), &e.expected))?;
        incident.sources = self
            .shared_sources
            .entry(incident.sources.to_vec())
            .or_insert_with(|| incident.sources.clone())
            .clone();
        self.incidents.push(incident);
        Ok(())
    }
}

/// The top-level object: reads `features` through [`Features`], skips everything else.
struct Document<'b, 'a> {
    builder: &'b mut Builder<'a>,
    failure: &'b mut Option<LoadError>,
}

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" {
                map.next_value_seed(Features {
                    builder: &mut *self.builder,
                    failure: &mut *self.failure,
                })?;
                found = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if found {
            Ok(())
        } else {
            Err(de::Error::missing_field("features"))
        }
    }
}

/// The `features` array: each element goes to the builder as soon as it is parsed.
struct Features<'b, 'a> {
    builder: &'b mut Builder<'a>,
    failure: &'b mut Option<LoadError>,
}

impl<'de> DeserializeSeed<'de> for Features<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of incident features")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        if self.builder.collected.is_some() {
            return self.check_each(seq);
        }
        while let Some(feature) = seq.next_element::<IncidentFeature>()? {
            if let Err(error) = self.builder.add(feature) {
                match &mut self.builder.collected {
                    Some(errors) if errors.len() < MAX_COLLECTED => errors.push(error),
                    _ => {
                        *self.failure = Some(error);
                        return Err(de::Error::custom("stopped at an invalid feature"));
                    }
                }
            }
        }
        Ok(())
    }
}

/// How many invalid features a check lists before it stops.
pub const MAX_COLLECTED: usize = 200;

impl Features<'_, '_> {
    /// Checking: each feature is read as plain JSON first, so that a wrong value in one is
    /// listed (with its path) and the next feature is still read.
    fn check_each<'de, S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let mut index = 0usize;
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            let parsed: Result<IncidentFeature, _> = serde_path_to_error::deserialize(value);
            let outcome = match parsed {
                Ok(feature) => self.builder.add(feature),
                Err(e) => Err(LoadError::Json {
                    path: self.builder.path.to_path_buf(),
                    location: format!("features[{index}].{}", e.path()),
                    message: super::plain_words(&e.inner().to_string()),
                }),
            };
            if let Err(error) = outcome {
                match &mut self.builder.collected {
                    Some(errors) if errors.len() < MAX_COLLECTED => errors.push(error),
                    _ => {
                        *self.failure = Some(error);
                        return Err(de::Error::custom("stopped at an invalid feature"));
                    }
                }
            }
            index += 1;
        }
        Ok(())
    }
}

/// Loads every incident, or the first problem: a validation error names the feature and the
/// field; a JSON error names the path within the document.
pub fn load_incidents(
    path: &Path,
    places: &HashMap<&str, u32>,
    archive: &super::Archive,
) -> Result<Vec<Incident>, LoadError> {
    read_incidents(path, places, archive, None).map(|(incidents, _)| incidents)
}

/// Reads every feature, listing each invalid one (up to [`MAX_COLLECTED`]) instead of stopping
/// at the first; a JSON syntax or type error still ends the reading and is the last error.
pub fn check_incidents(
    path: &Path,
    places: &HashMap<&str, u32>,
    archive: &super::Archive,
) -> Vec<LoadError> {
    match read_incidents(path, places, archive, Some(Vec::new())) {
        Ok((_, errors)) => errors,
        Err(error) => vec![error],
    }
}

fn read_incidents(
    path: &Path,
    places: &HashMap<&str, u32>,
    archive: &super::Archive,
    collected: Option<Vec<LoadError>>,
) -> Result<(Vec<Incident>, Vec<LoadError>), LoadError> {
    let text = super::files::read_text(path)?;
    let mut builder = Builder {
        path,
        places,
        archive,
        collected,
        seen: HashSet::new(),
        shared_sources: HashMap::new(),
        incidents: Vec::new(),
    };
    let mut failure = None;
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    let parsed = Document {
        builder: &mut builder,
        failure: &mut failure,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    let mut errors = builder.collected.take().unwrap_or_default();
    if let Some(error) = failure {
        if errors.is_empty() {
            return Err(error);
        }
        errors.push(error);
        return Ok((builder.incidents, errors));
    }
    match parsed {
        Ok(()) => Ok((builder.incidents, errors)),
        Err(plain) if errors.is_empty() => Err(locate(path, &text, plain)),
        Err(plain) => {
            errors.push(locate(path, &text, plain));
            Ok((builder.incidents, errors))
        }
    }
}

/// Parses again with JSON-path tracking (which costs on every value, so only after a failure)
/// to say exactly where a syntax or type error is.
fn locate(path: &Path, text: &str, plain: serde_json::Error) -> LoadError {
    #[derive(Deserialize)]
    struct Document {
        #[expect(dead_code, reason = "parsed only to locate an error")]
        features: Vec<IncidentFeature>,
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, Document>(&mut deserializer) {
        Err(e) => LoadError::Json {
            path: path.to_path_buf(),
            location: e.path().to_string(),
            message: super::plain_words(&e.inner().to_string()),
        },
        Ok(_) => LoadError::Json {
            path: path.to_path_buf(),
            location: format!("line {}, column {}", plain.line(), plain.column()),
            message: plain.to_string(),
        },
    }
}

/// Loads the store's public incidents, each at its stored revision; the first invalid one
/// stops the load (the store only ever holds validated records, so this means corruption).
pub fn load_stored(
    db: &dyn super::database::RecordStore,
    places: &HashMap<&str, u32>,
    archive: &super::Archive,
) -> Result<Vec<Incident>, LoadError> {
    let path = db.origin().to_path_buf();
    let mut builder = Builder {
        path: &path,
        places,
        archive,
        collected: None,
        seen: HashSet::new(),
        shared_sources: HashMap::new(),
        incidents: Vec::new(),
    };
    let mut failure = None;
    db.for_each_active(&mut |id, feature, revision| {
        let parsed =
            serde_json::from_str::<IncidentFeature>(feature).map_err(|e| LoadError::Json {
                path: path.clone(),
                location: format!("incident '{id}'"),
                message: super::plain_words(&e.to_string()),
            });
        match parsed.and_then(|f| builder.add(f)) {
            Ok(()) => {
                if let Some(last) = builder.incidents.last_mut() {
                    last.revision = revision;
                }
                Ok(())
            }
            Err(error) => {
                failure = Some(error);
                Err(super::database::DbError::Invalid(format!(
                    "incident '{id}' in the store does not load"
                )))
            }
        }
    })
    .map_err(|e| failure.take().unwrap_or(LoadError::Database(e)))?;
    Ok(builder.incidents)
}

/// One feature (as JSON) to an incident, validated exactly as a data file's are: what a write
/// is checked with, so that what a write stores is what a restart loads.
pub fn parse_feature(
    origin: &Path,
    json: &str,
    places: &HashMap<&str, u32>,
    archive: &super::Archive,
) -> Result<Incident, LoadError> {
    let feature: IncidentFeature = serde_path_to_error::deserialize(
        &mut serde_json::Deserializer::from_str(json),
    )
    .map_err(|e| LoadError::Json {
        path: origin.to_path_buf(),
        location: e.path().to_string(),
        message: super::plain_words(&e.inner().to_string()),
    })?;
    let mut builder = Builder {
        path: origin,
        places,
        archive,
        collected: None,
        seen: HashSet::new(),
        shared_sources: HashMap::new(),
        incidents: Vec::new(),
    };
    builder.add(feature)?;
    builder.incidents.pop().ok_or_else(|| LoadError::Invalid {
        path: origin.to_path_buf(),
        feature: "(feature)".into(),
        field: "(feature)".into(),
        expected: "an incident feature".into(),
    })
}

/// The features of `incidents.geojson` as (id, JSON text), for seeding an empty store; the
/// file has been loaded (and so validated) before.
pub fn seed_features(text: &str) -> Result<Vec<(String, &str)>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Document<'a> {
        #[serde(borrow)]
        features: Vec<&'a serde_json::value::RawValue>,
    }
    #[derive(Deserialize)]
    struct Only {
        properties: Id,
    }
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let document: Document = serde_json::from_str(text)?;
    document
        .features
        .into_iter()
        .map(|raw| {
            let only: Only = serde_json::from_str(raw.get())?;
            Ok((only.properties.id, raw.get()))
        })
        .collect()
}
