//! Typed queries: request parameters parsed and validated once into a [`IncidentQuery`] (or a
//! [`LayerQuery`] for reference collections) before any data is touched, then run against the
//! [`Index`](crate::index::Index).

mod execute;
mod filter;
mod params;
mod pushdown;
pub mod queryables;
mod stats;
pub mod tiles;

pub use execute::{Page, execute, is_light, light_page};
pub use execute::{matches, matching};
pub use filter::{Filter, FilterLang, MAX_FILTER_LEN};
pub use params::{
    INCIDENT_PARAMS, MAX_PATH_POINTS, Params, expect_no_params, parse_incident_query,
    parse_item_params, parse_layer_query, parse_measure_point, parse_naming, parse_path,
    parse_tile_query,
};
pub use stats::{Stats, stats};

use crate::model::{IncidentType, Perpetrator, Reporter, Side, Target, Verification, Weapon};
use chrono::NaiveDate;
use thiserror::Error;

/// Items returned when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// The most items one page may hold; a larger `limit` is clamped to it (OGC API – Features).
pub const MAX_LIMIT: usize = 10_000;
/// The largest `offset` accepted: deep paging beyond it is refused rather than scanned.
pub const MAX_OFFSET: usize = 10_000_000;
/// Largest radius for `within_km` and the proximity filters.
pub const MAX_RADIUS_KM: f64 = 2_000.0;
/// Most keys `sortby` may list.
pub const MAX_SORT_KEYS: usize = 4;
/// Longest text accepted for `q` and `town`.
pub const MAX_TEXT_LEN: usize = 200;

/// A request that cannot be answered as asked. Each names the parameter and what it expects.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QueryError {
    #[error("parameter '{parameter}': expected {expected}, got '{got}'")]
    InvalidValue {
        parameter: String,
        expected: String,
        got: String,
    },
    #[error("unknown parameter '{parameter}'; this endpoint accepts: {allowed}")]
    UnknownParameter { parameter: String, allowed: String },
    #[error("parameter '{parameter}' is given more than once")]
    Repeated { parameter: String },
    #[error("parameter 'town': no place is known as '{query}'{}", suggestion_text(.suggestions))]
    UnknownTown {
        query: String,
        suggestions: Vec<String>,
    },
    #[error("parameter 'town': '{query}' could mean {}; use a more specific spelling", .candidates.join(" or "))]
    AmbiguousTown {
        query: String,
        candidates: Vec<String>,
    },
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean: {}?", suggestions.join(", "))
    }
}

/// How to order incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Date,
    Depth,
    Killed,
    /// Distance from the `near` point; only with `near`.
    Distance,
}

/// The encoding a client asked for with `f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GeoJSON (`f=json` or `f=geojson`).
    Json,
    /// CSV (`f=csv`), for incidents only.
    Csv,
}

/// A date interval, both ends inclusive, either end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateInterval {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// A bounding box in degrees; `west > east` crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl Bbox {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let in_lon = if self.west <= self.east {
            (self.west..=self.east).contains(&lon)
        } else {
            lon >= self.west || lon <= self.east
        };
        in_lon && (self.south..=self.north).contains(&lat)
    }
}

/// A filter and page over incidents. Empty lists mean "any".
#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    pub bbox: Option<Bbox>,
    pub datetime: Option<DateInterval>,
    pub limit: usize,
    pub offset: usize,
    /// Places the `town` parameter resolved to.
    pub places: Option<Vec<u32>>,
    /// Folded text to find in title or description.
    pub text: Option<String>,
    pub types: Vec<IncidentType>,
    pub weapons: Vec<Weapon>,
    pub targets: Vec<Target>,
    pub perpetrators: Vec<Perpetrator>,
    pub reporters: Vec<Reporter>,
    pub verifications: Vec<Verification>,
    pub sides: Vec<Side>,
    pub min_killed: Option<u32>,
    pub depth_min_km: Option<f64>,
    pub depth_max_km: Option<f64>,
    /// `(lon, lat, radius km)`.
    pub near: Option<(f64, f64, f64)>,
    pub military_clear_km: Option<f64>,
    pub protected_within_km: Option<f64>,
    /// Sort keys, most significant first, each with whether it is descending (date order
    /// breaks the remaining ties).
    pub sort: Vec<(SortKey, bool)>,
    /// A CQL2 filter, checked and compiled.
    pub filter: Option<Filter>,
    /// The encoding asked for with `f`, if any.
    pub format: Option<Format>,
    /// How places in the disputed area are named in the answer (display only).
    pub naming: crate::model::Naming,
}

/// A page over a reference collection.
#[derive(Debug, Clone, Default)]
pub struct LayerQuery {
    pub bbox: Option<Bbox>,
    pub limit: usize,
    pub offset: usize,
    /// Name search, only for places.
    pub text: Option<String>,
}
