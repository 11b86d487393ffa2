//! Data the public must not see, kept beside the public record and never put in the index:
//! whatever reads the index (lists, tiles, statistics, exports, the map) cannot leak it.
//!
//! A protected site is published as the centre of a 0.05° cell, with an uncertainty that
//! grows by the cell's half-diagonal, so the circle the public sees still contains the true
//! point, and reveals nothing finer than the cell.

use super::validate::Problem;
use crate::geodesy::distance_m;
use geo::Point;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Size of the cells a protected site is coarsened to, in degrees.
pub const CELL_DEG: f64 = 0.05;
const MAX_ENTRIES: usize = 100;
const MAX_ENTRY_CHARS: usize = 500;
const MAX_NOTES_CHARS: usize = 20_000;
/// What the public record says instead of a protected site's location source.
pub const WITHHELD: &str = "withheld by the editors to protect the site; the point shown is the centre of the area it lies in";

/// The restricted part of an incident, as an editor submits it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Restricted {
    /// Publish only a coarsened point; the submitted point and location source are kept here.
    #[serde(default)]
    pub protect_location: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub victims: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// What the store keeps: the editor's submission plus, for a protected site, the exact point,
/// uncertainty, precision and location source it replaced in the public record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kept {
    #[serde(flatten)]
    pub submitted: Restricted,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<Exact>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exact {
    pub coordinates: [f64; 2],
    pub uncertainty_km: Option<f64>,
    pub geo_precision: Value,
    pub location_source: Value,
}

impl Restricted {
    /// The submitted `restricted` member, or every problem with it.
    pub fn parse(value: Option<&Value>) -> Result<Option<Restricted>, Vec<Problem>> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let parsed: Restricted = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            vec![Problem::new(
                format!("restricted.{}", e.path()),
                crate::store::plain_words(&e.inner().to_string()),
            )]
        })?;
        let mut problems = Vec::new();
        for (field, list) in [
            ("victims", &parsed.victims),
            ("witnesses", &parsed.witnesses),
            ("contacts", &parsed.contacts),
        ] {
            if list.len() > MAX_ENTRIES || list.iter().any(|e| e.chars().count() > MAX_ENTRY_CHARS)
            {
                problems.push(Problem::new(
                    format!("restricted.{field}"),
                    format!(
                        "at most {MAX_ENTRIES} entries of at most {MAX_ENTRY_CHARS} characters"
                    ),
                ));
            }
        }
        if parsed
            .notes
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS)
        {
            problems.push(Problem::new(
                "restricted.notes",
                format!("text of at most {MAX_NOTES_CHARS} characters"),
            ));
        }
        if problems.is_empty() {
            Ok(Some(parsed))
        } else {
            Err(problems)
        }
    }
}

/// The centre of the cell holding `(lon, lat)`, and the farthest a point of that cell can be
/// from it, in kilometres.
pub fn coarsen(lon: f64, lat: f64) -> ((f64, f64), f64) {
    let snap = |v: f64| ((v / CELL_DEG).floor() + 0.5) * CELL_DEG;
    let (clon, clat) = (snap(lon), snap(lat));
    let half = CELL_DEG / 2.0;
    let reach = [(-half, -half), (-half, half), (half, -half), (half, half)]
        .into_iter()
        .map(|(dx, dy)| distance_m(Point::new(clon, clat), Point::new(clon + dx, clat + dy)))
        .fold(0.0, f64::max);
    // Rounded so the centre does not carry float noise into the record.
    let round = |v: f64| (v * 1e6).round() / 1e6;
    ((round(clon), round(clat)), reach / 1000.0)
}

/// Makes `properties` and `(lon, lat)` public for a protected site: the coarsened point, an
/// uncertainty that still contains the true one, `settlement` precision at best, and the
/// location source withheld. Returns what was replaced.
pub fn protect(properties: &mut Map<String, Value>, lon: f64, lat: f64) -> ((f64, f64), Exact) {
    let ((clon, clat), reach_km) = coarsen(lon, lat);
    let precision = properties
        .get("geo_precision")
        .cloned()
        .unwrap_or(Value::Null);
    let stated = properties.get("uncertainty_km").and_then(Value::as_f64);
    let default = serde_json::from_value::<crate::model::GeoPrecision>(precision.clone())
        .map_or(0.0, |p| p.default_uncertainty_km());
    let exact = Exact {
        coordinates: [lon, lat],
        uncertainty_km: stated,
        geo_precision: precision.clone(),
        location_source: properties
            .get("location_source")
            .cloned()
            .unwrap_or(Value::Null),
    };
    let public_km = ((stated.unwrap_or(default) + reach_km) * 10.0).ceil() / 10.0;
    let coarser = matches!(precision.as_str(), Some("district"));
    properties.insert(
        "geo_precision".into(),
        Value::from(if coarser { "district" } else { "settlement" }),
    );
    properties.insert("uncertainty_km".into(), Value::from(public_km));
    properties.insert("location_source".into(), Value::from(WITHHELD));
    ((clon, clat), exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The public circle must contain the true point wherever it lies in its cell.
    #[test]
    fn the_coarsened_circle_contains_the_true_point() {
        for (lon, lat) in [
            (46.7528, 39.8177),
            (46.70001, 39.75001),
            (46.74999, 39.79999),
        ] {
            let ((clon, clat), reach) = coarsen(lon, lat);
            let d = distance_m(Point::new(lon, lat), Point::new(clon, clat)) / 1000.0;
            assert!(d <= reach, "{d} km > {reach} km at {lon},{lat}");
            assert!(reach < 4.0, "cell reach {reach} km");
            assert!((clon - lon).abs() <= CELL_DEG / 2.0 + 1e-9);
        }
    }

    #[test]
    fn protecting_withholds_the_location_source_and_widens_the_uncertainty() {
        let mut p = Map::new();
        p.insert("geo_precision".into(), Value::from("site"));
        p.insert(
            "location_source".into(),
            Value::from("the school yard at 12 X street"),
        );
        let ((lon, lat), exact) = protect(&mut p, 46.7528, 39.8177);
        assert_eq!(exact.location_source, "the school yard at 12 X street");
        assert_eq!(p["location_source"], WITHHELD);
        assert_eq!(p["geo_precision"], "settlement");
        let km = p["uncertainty_km"].as_f64().unwrap_or(0.0);
        let d = distance_m(Point::new(46.7528, 39.8177), Point::new(lon, lat)) / 1000.0;
        assert!(
            km >= d + 0.1,
            "public radius {km} km does not contain the site {d} km away with its own 0.1 km"
        );
    }
}
