//! GeoJSON and strikemap-CSV files as rows of incident features.

use super::Row;
use crate::edit::validate::Problem;
use serde_json::{Map, Value, json};

/// Properties strikemap's own export adds that are computed, not recorded: dropped on import.
const COMPUTED: &[&str] = &[
    "attribution",
    "place_name_hy",
    "place_name_az",
    "place_names",
    "depth_km",
    "depth_low_km",
    "depth_high_km",
    "side",
    "nearest_military",
    "nearest_military_km",
    "nearest_protected",
    "nearest_protected_km",
    "nearest_place",
    "nearest_place_km",
    "source_count",
    "sources_text",
];

const COUNTS: &[&str] = &["killed", "injured", "children_killed", "children_injured"];

/// A count from its lowest and highest figures as the export writes them.
fn count(low: Option<Value>, high: Option<Value>) -> Option<Value> {
    let (low, high) = (low.filter(|v| !v.is_null()), high.filter(|v| !v.is_null()));
    match (low, high) {
        (None, None) => None,
        (Some(l), Some(h)) if l == h => Some(l),
        (Some(l), None) => Some(l),
        (low, high) => Some(json!({ "low": low, "high": high })),
    }
}

/// Export-shaped properties (they carry `place_id`) back into the record's shape: the place
/// by its id, counts from their low and high figures, computed values dropped.
pub(super) fn recorded(mut properties: Map<String, Value>) -> Map<String, Value> {
    let Some(place) = properties.remove("place_id") else {
        return properties;
    };
    properties.insert("place".into(), place);
    for key in COMPUTED {
        properties.remove(*key);
    }
    for name in COUNTS {
        let high = properties.remove(&format!("{name}_high"));
        let low = properties.remove(*name);
        if let Some(value) = count(low, high) {
            properties.insert((*name).to_string(), value);
        }
    }
    properties
}

/// The features of a GeoJSON FeatureCollection.
pub(super) fn geojson(text: &str) -> Result<Box<dyn Iterator<Item = Row> + '_>, String> {
    #[derive(serde::Deserialize)]
    struct Document<'a> {
        #[serde(borrow)]
        features: Vec<&'a serde_json::value::RawValue>,
    }
    let document: Document = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("not a GeoJSON FeatureCollection ({e})"))?;
    Ok(Box::new(document.features.into_iter().enumerate().map(
        |(n, raw)| {
            Row {
                row: n + 1,
                id: None,
                feature: serde_json::from_str::<Value>(raw.get())
                    .map_err(|e| vec![Problem::new("(feature)", format!("JSON ({e})"))])
                    .map(|mut feature| {
                        if let Some(Value::Object(p)) =
                            feature.get_mut("properties").map(Value::take)
                        {
                            feature["properties"] = Value::Object(recorded(p));
                        }
                        if let Some(object) = feature.as_object_mut() {
                            object.remove("links");
                        }
                        feature
                    }),
            }
        },
    )))
}

/// A cell as the export wrote it, with a formula guard (`'` before `=`, `+`, `-`, `@`, tab,
/// carriage return) taken off again.
fn cell(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}

/// The columns of strikemap's CSV layout that an import reads, and how.
enum Kind {
    Text,
    Number,
    Whole,
    List,
    Json,
}

const READ: &[(&str, Kind)] = &[
    ("id", Kind::Text),
    ("date", Kind::Text),
    ("date_end", Kind::Text),
    ("date_precision", Kind::Text),
    ("time_local", Kind::Text),
    ("date_note", Kind::Text),
    ("geo_precision", Kind::Text),
    ("uncertainty_km", Kind::Number),
    ("location_source", Kind::Text),
    ("place_id", Kind::Text),
    ("type", Kind::Text),
    ("weapon", Kind::Text),
    ("target", Kind::Text),
    ("killed", Kind::Whole),
    ("killed_high", Kind::Whole),
    ("injured", Kind::Whole),
    ("injured_high", Kind::Whole),
    ("children_killed", Kind::Whole),
    ("children_killed_high", Kind::Whole),
    ("children_injured", Kind::Whole),
    ("children_injured_high", Kind::Whole),
    ("perpetrator_alleged", Kind::Text),
    ("reported_by", Kind::List),
    ("verification", Kind::Text),
    ("verification_note", Kind::Text),
    ("title", Kind::Text),
    ("description", Kind::Text),
    ("sources_json", Kind::Json),
];

/// A reader over a CSV file's rows (a leading byte-order mark skipped) and its header's names,
/// each as `name` makes it.
pub(super) fn csv_reader(
    text: &str,
    name: fn(&str) -> String,
) -> Result<(::csv::Reader<&[u8]>, Vec<String>), String> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("no CSV header ({e})"))?
        .iter()
        .map(name)
        .collect();
    Ok((reader, header))
}

/// The rows of a CSV file in strikemap's layout (header names columns; order is free; computed
/// columns are ignored and listed in `ignored`).
pub(super) fn csv<'t>(
    text: &'t str,
    ignored: &mut Vec<String>,
) -> Result<Box<dyn Iterator<Item = Row> + 't>, String> {
    let (reader, header) = csv_reader(text, str::to_string)?;
    for needed in ["id", "longitude", "latitude"] {
        if !header.iter().any(|h| h == needed) {
            return Err(format!(
                "the CSV header has no '{needed}' column (the layout is README's \"CSV columns\")"
            ));
        }
    }
    ignored.extend(
        header
            .iter()
            .filter(|h| {
                !READ.iter().any(|(n, _)| n == h)
                    && !["longitude", "latitude", "place"].contains(&h.as_str())
            })
            .cloned(),
    );
    Ok(Box::new(reader.into_records().enumerate().map(
        move |(n, record)| {
            // The header is line 1.
            let line = n + 2;
            let id = record.as_ref().ok().and_then(|r| {
                header
                    .iter()
                    .position(|h| h == "id")
                    .and_then(|i| r.get(i))
                    .map(str::to_string)
            });
            let feature = record
                .map_err(|e| vec![Problem::new("(row)", format!("a CSV row ({e})"))])
                .and_then(|record| csv_feature(&header, &record));
            Row {
                row: line,
                id,
                feature,
            }
        },
    )))
}

fn csv_feature(header: &[String], record: &::csv::StringRecord) -> Result<Value, Vec<Problem>> {
    let mut properties = Map::new();
    let mut problems = Vec::new();
    let mut lon_lat = [None, None];
    for (name, value) in header.iter().zip(record.iter()) {
        let value = cell(value);
        if value.is_empty() {
            continue;
        }
        if let Some(slot) = ["longitude", "latitude"].iter().position(|c| c == name) {
            match value.parse::<f64>() {
                Ok(v) => lon_lat[slot] = Some(v),
                Err(_) => problems.push(Problem::new(name.clone(), "a number of degrees")),
            }
            continue;
        }
        let Some((_, kind)) = READ.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let parsed = match kind {
            Kind::Text => Ok(Value::from(value)),
            Kind::Number => value
                .parse::<f64>()
                .map(Value::from)
                .map_err(|_| "a number"),
            Kind::Whole => value
                .parse::<u32>()
                .map(Value::from)
                .map_err(|_| "a whole number"),
            Kind::List => Ok(Value::from(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>(),
            )),
            Kind::Json => serde_json::from_str(value).map_err(|_| "a JSON array of sources"),
        };
        match parsed {
            Ok(v) => {
                let key = if name == "sources_json" {
                    "sources"
                } else {
                    name
                };
                properties.insert(key.to_string(), v);
            }
            Err(expected) => problems.push(Problem::new(name.clone(), expected)),
        }
    }
    let [Some(lon), Some(lat)] = lon_lat else {
        problems.push(Problem::new("longitude, latitude", "both coordinates"));
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": Value::Object(recorded(properties)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_counts_and_places_become_record_fields_again() {
        let mut p = Map::new();
        p.insert("place_id".into(), json!("stepanakert"));
        p.insert("place".into(), json!("Stepanakert / Khankendi"));
        p.insert("killed".into(), json!(2));
        p.insert("killed_high".into(), json!(2));
        p.insert("injured".into(), json!(3));
        p.insert("injured_high".into(), json!(5));
        p.insert("children_killed".into(), json!(null));
        p.insert("children_killed_high".into(), json!(4));
        p.insert("depth_km".into(), json!(12.5));
        let r = recorded(p);
        assert_eq!(r["place"], "stepanakert");
        assert_eq!(r["killed"], 2);
        assert_eq!(r["injured"], json!({"low": 3, "high": 5}));
        assert_eq!(r["children_killed"], json!({"low": null, "high": 4}));
        assert!(!r.contains_key("depth_km") && !r.contains_key("killed_high"));
    }

    #[test]
    fn formula_guards_come_off() {
        assert_eq!(cell("'=1+1"), "=1+1");
        assert_eq!(cell("'quoted"), "'quoted");
    }
}
