//! Measuring a point against the line of contact, the side areas, the reference layers and
//! the gazetteer.

use super::Measures;
use crate::gazetteer::Gazetteer;
use crate::geodesy::{Nearest, PointSet, Polyline};
use crate::model::{PlaceIdx, Side, SideArea};
use crate::store::{Layer, LineOfContact};
use geo::{BoundingRect, Intersects, Point, Rect};

/// The full measures of one point.
#[derive(Debug, Clone, Copy)]
pub struct PointMeasures {
    /// Nearest point of the line of contact and the geodesic distance to it.
    pub line: Option<Nearest>,
    pub depth_low_km: f64,
    pub depth_high_km: f64,
    pub side: Option<Side>,
    /// Index into the military layer and distance in metres.
    pub nearest_military: Option<(u32, f64)>,
    pub nearest_protected: Option<(u32, f64)>,
    pub nearest_place: Option<(PlaceIdx, f64)>,
}

impl PointMeasures {
    pub fn depth_km(&self) -> Option<f64> {
        self.line.map(|l| l.distance_m / 1000.0)
    }

    pub(super) fn compact(&self) -> Measures {
        let km = |pair: Option<(u32, f64)>| pair.map(|(i, m)| (i, (m / 1000.0) as f32));
        Measures {
            depth_km: self.depth_km().unwrap_or(f64::NAN),
            depth_low_km: self.depth_low_km as f32,
            depth_high_km: self.depth_high_km as f32,
            side: self.side,
            nearest_military: km(self.nearest_military),
            nearest_protected: km(self.nearest_protected),
            nearest_place: km(self.nearest_place),
        }
    }
}

/// The prepared geometry every measure runs against.
pub struct Measurer {
    line: Polyline,
    line_uncertainty_km: f64,
    side_areas: Vec<(Rect, SideArea)>,
    military: PointSet,
    protected: PointSet,
}

impl Measurer {
    pub fn new(
        line: &LineOfContact,
        side_areas: Vec<SideArea>,
        military: &Layer,
        protected: &Layer,
    ) -> Self {
        let points = |layer: &Layer| {
            PointSet::new(
                layer
                    .objects
                    .iter()
                    .enumerate()
                    .map(|(i, o)| (o.point, i as u32)),
            )
        };
        Measurer {
            line: Polyline::new(&line.parts),
            line_uncertainty_km: line.uncertainty_km,
            side_areas: side_areas
                .into_iter()
                .filter_map(|a| a.area.bounding_rect().map(|r| (r, a)))
                .collect(),
            military: points(military),
            protected: points(protected),
        }
    }

    /// Which side of the line `p` lies on: the first side area that contains it.
    pub fn side(&self, p: Point) -> Option<Side> {
        self.side_areas
            .iter()
            .find(|(rect, area)| rect.intersects(&p) && area.area.intersects(&p))
            .map(|(_, area)| area.side)
    }

    /// Measures `p`, whose own position is uncertain by `point_uncertainty_km`. The depth band
    /// widens by that and by the line's stated uncertainty.
    pub fn measure(
        &self,
        p: Point,
        point_uncertainty_km: f64,
        gazetteer: &Gazetteer,
    ) -> PointMeasures {
        let line = self.line.nearest(p);
        let spread = point_uncertainty_km + self.line_uncertainty_km;
        let depth = line.map_or(f64::NAN, |l| l.distance_m / 1000.0);
        PointMeasures {
            line,
            depth_low_km: (depth - spread).max(0.0),
            depth_high_km: depth + spread,
            side: self.side(p),
            nearest_military: self.military.nearest(p),
            nearest_protected: self.protected.nearest(p),
            nearest_place: gazetteer.nearest(p),
        }
    }
}
