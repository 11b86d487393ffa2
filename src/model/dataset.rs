//! A whole dataset as loaded from storage: incidents, places, the line of contact and the
//! reference layers, before indexing. The `store` fills it; the `index` consumes it.

use super::{Incident, Place, ReferenceObject, SideArea};
use geo::Point;

/// A raw GeoJSON feature kept for serving a reference collection as it was supplied.
pub type RawFeature = geojson::Feature;

/// A reference layer: the features as supplied, and the objects measured against.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub features: Vec<RawFeature>,
    pub objects: Vec<ReferenceObject>,
    /// What the layer covers, as its file states: "no known object within N km" is only as
    /// good as this.
    pub coverage: Option<String>,
}

/// One version of the line of contact: the line features that share a validity period.
#[derive(Debug, Clone, Default)]
pub struct LineVersion {
    /// First day the line stood (inclusive); `None` for "since before the data begins".
    pub valid_from: Option<chrono::NaiveDate>,
    /// Last day the line stood (inclusive); `None` for "still current".
    pub valid_to: Option<chrono::NaiveDate>,
    pub parts: Vec<Vec<Point>>,
    /// The `uncertainty_km` of the feature each part came from, one per part.
    pub part_uncertainty_km: Vec<f64>,
    /// The largest `uncertainty_km` stated by this version's features.
    pub uncertainty_km: f64,
    /// Marked `coarse` by its features: used only when a date selects it, never as the
    /// default line.
    pub coarse: bool,
}

/// The line of contact: its versions (ordered by `valid_from`, earliest first) and the
/// features as supplied.
#[derive(Debug, Clone, Default)]
pub struct LineOfContact {
    pub versions: Vec<LineVersion>,
    /// The line features (LineStrings) as supplied, witnesses included.
    pub features: Vec<RawFeature>,
    /// The control-area features (Polygons) as supplied: a collection of their own, so that
    /// each collection has one geometry type.
    pub areas: Vec<RawFeature>,
}

impl LineOfContact {
    /// The version used when no date chooses one: the latest not marked coarse (or the latest
    /// of all if every version is coarse).
    pub fn default_version(&self) -> Option<&LineVersion> {
        self.versions
            .iter()
            .rev()
            .find(|v| !v.coarse)
            .or(self.versions.last())
    }
}

/// Everything strikemap serves, as loaded from storage.
#[derive(Debug, Default)]
pub struct Dataset {
    pub places: Vec<Place>,
    pub place_features: Vec<RawFeature>,
    pub incidents: Vec<Incident>,
    pub line: LineOfContact,
    /// Checked in order; the first area containing a point gives its side.
    pub side_areas: Vec<SideArea>,
    pub military: Layer,
    pub protected: Layer,
    /// Aggregate statements that are not point incidents, as supplied.
    pub summaries: Vec<serde_json::Value>,
    /// The archived passages the records cite.
    pub passages: Vec<super::Passage>,
}
