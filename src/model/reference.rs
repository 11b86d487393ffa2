//! Reference objects: military and protected objects measured against, and areas that tell
//! which side of the line of contact a point lies on.

use super::vocab::Side;
use geo::{MultiPolygon, Point};

/// A military or protected object, reduced to the point measured from.
#[derive(Debug, Clone)]
pub struct ReferenceObject {
    pub id: String,
    pub name: String,
    /// The point distances are measured to: the geometry itself for a point, otherwise the
    /// nearest vertex is not known in advance, so the centroid is used (documented in the API).
    pub point: Point,
    /// Radius within which the object's true position lies, in kilometres.
    pub uncertainty_km: f64,
}

/// An area all of whose points lie on one side of the line of contact.
#[derive(Debug, Clone)]
pub struct SideArea {
    pub id: String,
    pub side: Side,
    pub area: MultiPolygon,
    /// For an area that belongs to one version of the line, that version's `(valid_from,
    /// valid_to)`; `None` for an area that always applies (a country).
    pub validity: Option<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>)>,
}
