//! Reading the generic GeoJSON layers (places, line of contact, countries, reference objects)
//! with the `geojson` crate, turning each into what the engine measures against.

use super::LoadError;
use crate::model::{Layer, LineOfContact, LineVersion, RawFeature};
use crate::model::{ReferenceObject, Side, SideArea};
use geo::{Centroid, Geometry, MultiPolygon, Point};
use geojson::{GeoJson, GeometryValue};
use serde_json::Value;
use std::path::Path;

/// Reads a file as a GeoJSON FeatureCollection.
pub fn read_collection(path: &Path) -> Result<Vec<RawFeature>, LoadError> {
    read_collection_with_members(path).map(|(features, _)| features)
}

/// Reads a FeatureCollection and its foreign members (e.g. a layer's `coverage`).
pub fn read_collection_with_members(
    path: &Path,
) -> Result<(Vec<RawFeature>, serde_json::Map<String, Value>), LoadError> {
    let text = super::files::read_text(path)?;
    let json = |location: &str, message: String| LoadError::Json {
        path: path.to_path_buf(),
        location: location.to_string(),
        message,
    };
    match text.parse::<GeoJson>() {
        Ok(GeoJson::FeatureCollection(collection)) => Ok((
            collection.features,
            collection.foreign_members.unwrap_or_default(),
        )),
        Ok(_) => Err(json(
            "top level",
            "expected a GeoJSON FeatureCollection".into(),
        )),
        Err(error) => Err(json("document", error.to_string())),
    }
}

/// The label a feature goes by in error messages: its id, or its position.
pub fn feature_label(feature: &RawFeature, index: usize) -> String {
    match &feature.id {
        Some(geojson::feature::Id::String(id)) => format!("'{id}'"),
        Some(geojson::feature::Id::Number(id)) => format!("'{id}'"),
        None => match feature.property("id").and_then(Value::as_str) {
            Some(id) => format!("'{id}'"),
            None => format!("#{}", index + 1),
        },
    }
}

fn invalid(path: &Path, feature: &str, field: &str, expected: &str) -> LoadError {
    LoadError::Invalid {
        path: path.to_path_buf(),
        feature: feature.to_string(),
        field: field.to_string(),
        expected: expected.to_string(),
    }
}

/// A feature's geometry as `geo` types, refusing what strikemap cannot measure against.
fn geometry(path: &Path, feature: &RawFeature, label: &str) -> Result<Geometry, LoadError> {
    let value = feature
        .geometry
        .as_ref()
        .map(|g| &g.value)
        .ok_or_else(|| invalid(path, label, "geometry", "a geometry"))?;
    // geojson's conversion of nested collections can panic on bad input: refuse them here.
    if matches!(value, GeometryValue::GeometryCollection { .. }) {
        return Err(invalid(
            path,
            label,
            "geometry",
            "a Point, LineString or Polygon (or Multi-)",
        ));
    }
    // Every position needs a longitude and a latitude before conversion (which would otherwise
    // index past the end of a one-number position), and each part enough of them to be a line
    // or an area at all.
    check_positions(value).map_err(|expected| invalid(path, label, "geometry", &expected))?;
    let geometry = Geometry::try_from(value)
        .map_err(|e| invalid(path, label, "geometry", &format!("a valid geometry ({e})")))?;
    let valid_coords = geo::CoordsIter::coords_iter(&geometry)
        .all(|c| (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y));
    if !valid_coords {
        return Err(invalid(
            path,
            label,
            "geometry",
            "longitudes in [-180, 180] and latitudes in [-90, 90]",
        ));
    }
    Ok(geometry)
}

/// Refuses positions without two finite numbers, lines of fewer than two distinct positions and
/// rings of fewer than four positions or without area; says which part is at fault.
fn check_positions(value: &GeometryValue) -> Result<(), String> {
    use geojson::Position;
    fn position(p: &Position, at: &str) -> Result<(f64, f64), String> {
        match p.as_slice() {
            [x, y, ..] if x.is_finite() && y.is_finite() => Ok((*x, *y)),
            _ => Err(format!(
                "positions of [longitude, latitude] ({at} has {})",
                p.len()
            )),
        }
    }
    fn line(points: &[Position], at: &str) -> Result<(), String> {
        let mut distinct: Vec<(f64, f64)> = Vec::new();
        for (i, p) in points.iter().enumerate() {
            let xy = position(p, &format!("{at} position {i}"))?;
            if !distinct.contains(&xy) && distinct.len() < 2 {
                distinct.push(xy);
            }
        }
        if distinct.len() < 2 {
            return Err(format!(
                "a line of at least two distinct positions ({at} has {})",
                points.len()
            ));
        }
        Ok(())
    }
    fn ring(points: &[Position], at: &str) -> Result<(), String> {
        let mut xy = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            xy.push(position(p, &format!("{at} position {i}"))?);
        }
        // Shoelace area in degrees²: zero means the ring encloses nothing.
        let area: f64 = xy
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum::<f64>()
            / 2.0;
        if xy.len() < 4 || area.abs() < 1e-12 {
            return Err(format!(
                "a ring of at least four positions enclosing an area ({at} has {} positions)",
                xy.len()
            ));
        }
        Ok(())
    }
    fn polygon(rings: &[Vec<Position>], at: &str) -> Result<(), String> {
        if rings.is_empty() {
            return Err(format!("a polygon with an outer ring ({at} has none)"));
        }
        for (i, r) in rings.iter().enumerate() {
            ring(r, &format!("{at} ring {i}"))?;
        }
        Ok(())
    }
    let non_empty = |n: usize, what: &str| {
        if n == 0 {
            Err(format!("at least one {what}"))
        } else {
            Ok(())
        }
    };
    match value {
        GeometryValue::Point { coordinates } => position(coordinates, "the point").map(|_| ()),
        GeometryValue::MultiPoint { coordinates } => {
            non_empty(coordinates.len(), "point")?;
            for (i, p) in coordinates.iter().enumerate() {
                position(p, &format!("point {i}"))?;
            }
            Ok(())
        }
        GeometryValue::LineString { coordinates } => line(coordinates, "the line"),
        GeometryValue::MultiLineString { coordinates } => {
            non_empty(coordinates.len(), "line")?;
            for (i, l) in coordinates.iter().enumerate() {
                line(l, &format!("line {i}"))?;
            }
            Ok(())
        }
        GeometryValue::Polygon { coordinates } => polygon(coordinates, "the polygon"),
        GeometryValue::MultiPolygon { coordinates } => {
            non_empty(coordinates.len(), "polygon")?;
            for (i, p) in coordinates.iter().enumerate() {
                polygon(p, &format!("polygon {i}"))?;
            }
            Ok(())
        }
        GeometryValue::GeometryCollection { .. } => {
            Err("a Point, LineString or Polygon (or Multi-)".into())
        }
    }
}

fn optional_km(path: &Path, feature: &RawFeature, label: &str) -> Result<Option<f64>, LoadError> {
    match feature.property("uncertainty_km") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_f64() {
            Some(km) if (0.0..=500.0).contains(&km) => Ok(Some(km)),
            _ => Err(invalid(
                path,
                label,
                "uncertainty_km",
                "a number of kilometres between 0 and 500",
            )),
        },
    }
}

fn required_str(
    path: &Path,
    feature: &RawFeature,
    label: &str,
    field: &str,
) -> Result<String, LoadError> {
    match feature.property(field).and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() => Ok(text.to_string()),
        _ => Err(invalid(path, label, field, "non-empty text")),
    }
}

/// A military or protected object layer. Every object needs an id, a name and a source.
pub fn reference_layer(path: &Path, archive: &super::Archive) -> Result<Layer, LoadError> {
    let (mut features, members) = read_collection_with_members(path)?;
    let coverage = members
        .get("coverage")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut objects = Vec::with_capacity(features.len());
    for (index, feature) in features.iter_mut().enumerate() {
        let label = feature_label(feature, index);
        let id = required_str(path, feature, &label, "id")?;
        if objects.iter().any(|o: &ReferenceObject| o.id == id) {
            return Err(LoadError::Duplicate {
                path: path.to_path_buf(),
                feature: label,
                id,
            });
        }
        let name = required_str(path, feature, &label, "name")?;
        let sources = archive.check_json_sources(path, &label, feature.property("sources"))?;
        feature.set_property(
            "sources",
            serde_json::to_value(&sources).unwrap_or_default(),
        );
        let point = match geometry(path, feature, &label)? {
            Geometry::Point(point) => point,
            other => other
                .centroid()
                .ok_or_else(|| invalid(path, &label, "geometry", "a non-empty geometry"))?,
        };
        let uncertainty_km = optional_km(path, feature, &label)?.unwrap_or(0.0);
        objects.push(ReferenceObject {
            id,
            name,
            point,
            uncertainty_km,
        });
    }
    Ok(Layer {
        features,
        objects,
        coverage,
    })
}

/// A date property (`YYYY-MM-DD`), absent or null allowed.
fn optional_date(
    path: &Path,
    feature: &RawFeature,
    label: &str,
    field: &str,
) -> Result<Option<chrono::NaiveDate>, LoadError> {
    match feature.property(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(|text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| invalid(path, label, field, "a date as YYYY-MM-DD")),
    }
}

/// The line of contact file: line features grouped into versions by their `valid_from` and
/// `valid_to`, and control areas (polygons with a `side`), checked before the countries.
pub fn line_of_contact(path: &Path) -> Result<(LineOfContact, Vec<SideArea>), LoadError> {
    let features = read_collection(path)?;
    let mut versions: Vec<LineVersion> = Vec::new();
    let mut areas = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        let label = feature_label(feature, index);
        let uncertainty = optional_km(path, feature, &label)?.unwrap_or(0.0);
        let validity = (
            optional_date(path, feature, &label, "valid_from")?,
            optional_date(path, feature, &label, "valid_to")?,
        );
        if let (Some(from), Some(to)) = validity
            && from > to
        {
            return Err(invalid(
                path,
                &label,
                "valid_to",
                "a date on or after valid_from",
            ));
        }
        let parts: Vec<Vec<Point>> = match geometry(path, feature, &label)? {
            Geometry::LineString(part) => vec![part.points().collect()],
            Geometry::MultiLineString(parts) => {
                parts.iter().map(|p| p.points().collect()).collect()
            }
            Geometry::Polygon(polygon) => {
                areas.push(side_area(
                    path,
                    feature,
                    &label,
                    MultiPolygon(vec![polygon]),
                    Some(validity),
                )?);
                continue;
            }
            Geometry::MultiPolygon(polygons) => {
                areas.push(side_area(path, feature, &label, polygons, Some(validity))?);
                continue;
            }
            _ => {
                return Err(invalid(
                    path,
                    &label,
                    "geometry",
                    "a LineString for the line or a Polygon for a control area",
                ));
            }
        };
        // A second digitisation kept as a witness is served and drawn, never measured from.
        if feature.property("kind").and_then(Value::as_str) == Some("witness") {
            continue;
        }
        let uncertainties = vec![uncertainty; parts.len()];
        let coarse = feature.property("coarse").and_then(Value::as_bool) == Some(true);
        match versions
            .iter_mut()
            .find(|v| (v.valid_from, v.valid_to) == validity)
        {
            Some(version) => {
                version.parts.extend(parts);
                version.part_uncertainty_km.extend(uncertainties);
                version.uncertainty_km = version.uncertainty_km.max(uncertainty);
                version.coarse |= coarse;
            }
            None => versions.push(LineVersion {
                valid_from: validity.0,
                valid_to: validity.1,
                parts,
                part_uncertainty_km: uncertainties,
                uncertainty_km: uncertainty,
                coarse,
            }),
        }
    }
    if versions.is_empty() {
        return Err(invalid(
            path,
            "(any)",
            "geometry",
            "at least one LineString feature for the line itself",
        ));
    }
    versions.sort_by_key(|v| v.valid_from);
    let (area_features, features): (Vec<RawFeature>, Vec<RawFeature>) =
        features.into_iter().partition(|f| {
            matches!(
                f.geometry.as_ref().map(|g| &g.value),
                Some(GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. })
            )
        });
    Ok((
        LineOfContact {
            versions,
            features,
            areas: area_features,
        },
        areas,
    ))
}

fn side_area(
    path: &Path,
    feature: &RawFeature,
    label: &str,
    area: MultiPolygon,
    validity: Option<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>)>,
) -> Result<SideArea, LoadError> {
    let side = feature
        .property("side")
        .and_then(Value::as_str)
        .and_then(Side::parse)
        .ok_or_else(|| {
            invalid(
                path,
                label,
                "side",
                &format!("one of: {}", Side::expected()),
            )
        })?;
    let id = required_str(path, feature, label, "id")?;
    Ok(SideArea {
        id,
        side,
        area,
        validity,
    })
}

/// Country polygons whose `side` property is set; others are basemap only.
pub fn countries(path: &Path) -> Result<Vec<SideArea>, LoadError> {
    let features = read_collection(path)?;
    let mut areas = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        let label = feature_label(feature, index);
        if feature.property("side").is_none_or(Value::is_null) {
            continue;
        }
        let area = match geometry(path, feature, &label)? {
            Geometry::Polygon(polygon) => MultiPolygon(vec![polygon]),
            Geometry::MultiPolygon(polygons) => polygons,
            _ => {
                return Err(invalid(
                    path,
                    &label,
                    "geometry",
                    "a Polygon or MultiPolygon",
                ));
            }
        };
        areas.push(side_area(path, feature, &label, area, None)?);
    }
    Ok(areas)
}

/// The point of a place feature, which must be a Point.
pub fn point_of(path: &Path, feature: &RawFeature, label: &str) -> Result<Point, LoadError> {
    match geometry(path, feature, label)? {
        Geometry::Point(point) => Ok(point),
        _ => Err(invalid(path, label, "geometry", "a Point")),
    }
}
