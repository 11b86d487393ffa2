//! Checking a submitted incident feature before anything is stored: every offending field is
//! named with what was expected, so that an editor fixes them all in one go.

use crate::model::{
    DatePrecision, GeoPrecision, IncidentRecord, IncidentType, Perpetrator, Reporter, Source,
    Target, Verification, Weapon, count::CountRecord,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// One field that failed, as a JSON path into the submitted feature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub field: String,
    pub expected: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, expected: impl Into<String>) -> Self {
        Problem {
            field: field.into(),
            expected: expected.into(),
        }
    }
}

fn check<T: DeserializeOwned>(value: &Value) -> Result<(), (String, String)> {
    serde_path_to_error::deserialize::<_, T>(value.clone())
        .map(|_| ())
        .map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            (path, crate::store::plain_words(&e.inner().to_string()))
        })
}

type Check = fn(&Value) -> Result<(), (String, String)>;

/// Every property of an incident: its name, whether it must be present, and its type's check.
const FIELDS: &[(&str, bool, Check)] = &[
    ("id", true, check::<String>),
    ("title", true, check::<String>),
    ("description", true, check::<String>),
    ("date", true, check::<chrono::NaiveDate>),
    ("date_end", false, check::<Option<chrono::NaiveDate>>),
    ("date_precision", true, check::<DatePrecision>),
    ("time_local", false, check::<Option<String>>),
    ("date_note", false, check::<Option<String>>),
    ("place", true, check::<String>),
    ("geo_precision", true, check::<GeoPrecision>),
    ("uncertainty_km", false, check::<Option<f64>>),
    ("location_source", true, check::<String>),
    ("type", true, check::<IncidentType>),
    ("weapon", true, check::<Weapon>),
    ("target", true, check::<Target>),
    ("killed", false, check::<Option<CountRecord>>),
    ("injured", false, check::<Option<CountRecord>>),
    ("children_killed", false, check::<Option<CountRecord>>),
    ("children_injured", false, check::<Option<CountRecord>>),
    ("perpetrator_alleged", true, check::<Perpetrator>),
    ("reported_by", true, check::<Vec<Reporter>>),
    ("verification", true, check::<Verification>),
    ("verification_note", false, check::<Option<String>>),
    ("sources", true, check::<Vec<Source>>),
];

/// The properties as a record, or every problem with them: unknown and missing fields, values
/// of the wrong type or outside their vocabulary, and the rules a record obeys as a whole.
pub fn properties(properties: &Map<String, Value>) -> Result<IncidentRecord, Vec<Problem>> {
    let mut problems = Vec::new();
    for key in properties.keys() {
        if !FIELDS.iter().any(|(name, _, _)| name == key) {
            problems.push(Problem::new(
                format!("properties.{key}"),
                format!(
                    "no such field (allowed: {})",
                    FIELDS
                        .iter()
                        .map(|(n, _, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    for (name, required, check) in FIELDS {
        match properties.get(*name) {
            None if *required => {
                problems.push(Problem::new(
                    format!("properties.{name}"),
                    "a value (this field is required)",
                ));
            }
            None => {}
            Some(value) => {
                if let Err((path, expected)) = check(value) {
                    let field = if path.is_empty() {
                        format!("properties.{name}")
                    } else {
                        format!("properties.{name}.{path}")
                    };
                    problems.push(Problem::new(field, expected));
                }
            }
        }
    }
    if !problems.is_empty() {
        // The record as a whole cannot be read yet; still say what is wrong with the fields
        // that could be, so that one round trip names every problem.
        problems.extend(partial_problems(properties, &problems));
        return Err(problems);
    }
    let record: IncidentRecord = serde_json::from_value(Value::Object(properties.clone()))
        .map_err(|e| {
            vec![Problem::new(
                "properties",
                crate::store::plain_words(&e.to_string()),
            )]
        })?;
    let problems: Vec<Problem> = record
        .problems()
        .into_iter()
        .map(|p| Problem::new(format!("properties.{}", p.field), p.expected))
        .collect();
    if problems.is_empty() {
        Ok(record)
    } else {
        Err(problems)
    }
}

/// The rules of [`IncidentRecord::problems`] that need one field only, for fields that were
/// read, when others were not.
fn partial_problems(properties: &Map<String, Value>, found: &[Problem]) -> Vec<Problem> {
    let failed = |name: &str| {
        let field = format!("properties.{name}");
        found
            .iter()
            .any(|p| p.field == field || p.field.starts_with(&format!("{field}.")))
    };
    let mut out = Vec::new();
    for name in ["id", "title", "description"] {
        if !failed(name)
            && let Some(text) = properties.get(name).and_then(Value::as_str)
            && text.trim().is_empty()
        {
            out.push(Problem::new(format!("properties.{name}"), "non-empty text"));
        }
    }
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    for name in ["date", "date_end"] {
        if !failed(name)
            && let Some(day) = properties
                .get(name)
                .and_then(Value::as_str)
                .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
            && day > tomorrow
        {
            out.push(Problem::new(
                format!("properties.{name}"),
                "a day that is not in the future",
            ));
        }
    }
    out
}

/// A Point geometry's coordinates, or why not.
pub fn point(geometry: Option<&Value>) -> Result<(f64, f64), Problem> {
    let expected = "a Point geometry with coordinates [longitude, latitude]";
    let geometry = geometry.ok_or_else(|| Problem::new("geometry", expected))?;
    if geometry.get("type").and_then(Value::as_str) != Some("Point") {
        return Err(Problem::new("geometry.type", "\"Point\""));
    }
    let coordinates = geometry
        .get("coordinates")
        .and_then(Value::as_array)
        .filter(|c| c.len() == 2)
        .ok_or_else(|| Problem::new("geometry.coordinates", "[longitude, latitude]"))?;
    let lon = coordinates[0]
        .as_f64()
        .filter(|v| (-180.0..=180.0).contains(v));
    let lat = coordinates[1]
        .as_f64()
        .filter(|v| (-90.0..=90.0).contains(v));
    match (lon, lat) {
        (Some(lon), Some(lat)) => Ok((lon, lat)),
        _ => Err(Problem::new(
            "geometry.coordinates",
            "a longitude in [-180, 180] and a latitude in [-90, 90]",
        )),
    }
}
