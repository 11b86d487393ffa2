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

/// Where a place lies, which decides the order of its names: outside the disputed area a
/// place goes by its local name first (Ganja / Gandzak, Vardenis / Basarkechar); inside it the
/// reader chooses ([`Naming`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// Nagorno-Karabakh and the districts around it held by Armenian forces until 2020.
    #[default]
    Disputed,
    /// Azerbaijan outside that area.
    Az,
    /// Armenia.
    Am,
}

/// How a reader wants places in the disputed area named: both names in either order, or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Naming {
    /// Armenian-derived name first: "Stepanakert / Khankendi".
    #[default]
    HyAz,
    /// Azerbaijani-derived name first: "Khankendi / Stepanakert".
    AzHy,
    /// The Armenian-derived name only.
    Hy,
    /// The Azerbaijani-derived name only.
    Az,
}

impl Naming {
    pub const EXPECTED: &'static str = "one of: hy-az, az-hy, hy, az";

    pub fn parse(text: &str) -> Option<Naming> {
        match text.trim().to_ascii_lowercase().as_str() {
            "hy-az" | "both" => Some(Naming::HyAz),
            "az-hy" => Some(Naming::AzHy),
            "hy" => Some(Naming::Hy),
            "az" => Some(Naming::Az),
            _ => None,
        }
    }
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
    pub region: Region,
}

impl Place {
    /// The place's name as `naming` asks. Outside the disputed area the local name comes
    /// first whatever the choice (and alone when one name is asked for).
    ///
    /// ```
    /// use strikemap::model::{GeoPrecision, Naming, Place, Region};
    /// let place = |hy: &str, az: &str, region| Place {
    ///     id: "x".into(), name: String::new(), name_hy: hy.into(), name_az: Some(az.into()),
    ///     names: vec![], lon: 0.0, lat: 0.0, geo_precision: GeoPrecision::Settlement,
    ///     uncertainty_km: 1.0, region,
    /// };
    /// let stepanakert = place("Stepanakert", "Khankendi", Region::Disputed);
    /// assert_eq!(stepanakert.label(Naming::HyAz), "Stepanakert / Khankendi");
    /// assert_eq!(stepanakert.label(Naming::AzHy), "Khankendi / Stepanakert");
    /// assert_eq!(stepanakert.label(Naming::Az), "Khankendi");
    /// let ganja = place("Gandzak", "Ganja", Region::Az);
    /// assert_eq!(ganja.label(Naming::HyAz), "Ganja / Gandzak");
    /// assert_eq!(ganja.label(Naming::Hy), "Ganja");
    /// let vardenis = place("Vardenis", "Basarkechar", Region::Am);
    /// assert_eq!(vardenis.label(Naming::AzHy), "Vardenis / Basarkechar");
    /// ```
    pub fn label(&self, naming: Naming) -> String {
        let hy = self.name_hy.as_str();
        let Some(az) = self.name_az.as_deref().filter(|az| *az != hy) else {
            return hy.to_string();
        };
        let (first, second) = match (self.region, naming) {
            (Region::Az, _) => (az, hy),
            (Region::Am, _) => (hy, az),
            (Region::Disputed, Naming::HyAz | Naming::Hy) => (hy, az),
            (Region::Disputed, Naming::AzHy | Naming::Az) => (az, hy),
        };
        match naming {
            Naming::HyAz | Naming::AzHy => format!("{first} / {second}"),
            Naming::Hy | Naming::Az => first.to_string(),
        }
    }
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
    #[serde(default)]
    pub region: Region,
}
