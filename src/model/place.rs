//! A gazetteer place: one town or village with every name it is known by.

use super::vocab::GeoPrecision;
use serde::{Deserialize, Serialize};

/// One spelling of a place's name, with its language tag (`hy`, `az`, `ru`, `en` for a common
/// English transliteration, `geonames` for the GeoNames record's own name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceName {
    pub name: String,
    pub lang: String,
}

/// A place as held in memory.
#[derive(Debug, Clone)]
pub struct Place {
    /// Stable slug, e.g. `stepanakert`.
    pub id: String,
    /// Display name with both usages where they differ, e.g. `Stepanakert / Khankendi`.
    pub name: String,
    /// Armenian-derived Latin name.
    pub name_hy: String,
    /// Azerbaijani-derived Latin name, when curated.
    pub name_az: Option<String>,
    pub names: Vec<PlaceName>,
    /// Longitude in degrees (WGS84).
    pub lon: f64,
    /// Latitude in degrees (WGS84).
    pub lat: f64,
    pub geo_precision: GeoPrecision,
    pub uncertainty_km: f64,
}

/// The `properties` of a place feature in `places.geojson` that strikemap reads; the rest are
/// passed through to clients untouched.
#[derive(Debug, Deserialize)]
pub struct PlaceRecord {
    pub id: String,
    pub name: String,
    pub name_hy: String,
    #[serde(default)]
    pub name_az: Option<String>,
    pub names: Vec<PlaceName>,
    pub geo_precision: GeoPrecision,
    pub uncertainty_km: f64,
}
