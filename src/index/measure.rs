//! Measuring a point against the line of contact, the side areas, the reference layers and
//! the gazetteer.

use super::Measures;
use crate::gazetteer::Gazetteer;
use crate::geodesy::{Nearest, PointSet, Polyline};
use crate::model::{Layer, LineOfContact};
use crate::model::{PlaceIdx, Side, SideArea};
use chrono::NaiveDate;
use geo::{BoundingRect, Intersects, Point, Rect};

/// The full measures of one point.
#[derive(Debug, Clone, Copy)]
pub struct PointMeasures {
    /// Nearest point of the line of contact and the geodesic distance to it.
    pub line: Option<Nearest>,
    /// The stated uncertainty of the stretch of line nearest the point, km.
    pub line_uncertainty_km: f64,
    /// When that version of the line began to stand.
    pub line_valid_from: Option<NaiveDate>,
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

/// One version of the line, prepared for measuring.
struct MeasuredLine {
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    polyline: Polyline,
    /// Each part's stated uncertainty, km.
    part_uncertainty_km: Vec<f64>,
    coarse: bool,
}

/// The prepared geometry every measure runs against.
pub struct Measurer {
    /// Ordered by `valid_from`, earliest first.
    lines: Vec<MeasuredLine>,
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
            lines: line
                .versions
                .iter()
                .map(|v| MeasuredLine {
                    valid_from: v.valid_from,
                    valid_to: v.valid_to,
                    polyline: Polyline::with_margins(
                        &v.parts,
                        &v.part_uncertainty_km
                            .iter()
                            .map(|km| km * 1000.0)
                            .collect::<Vec<_>>(),
                    ),
                    part_uncertainty_km: v.part_uncertainty_km.clone(),
                    coarse: v.coarse,
                })
                .collect(),
            side_areas: side_areas
                .into_iter()
                .filter_map(|a| a.area.bounding_rect().map(|r| (r, a)))
                .collect(),
            military: points(military),
            protected: points(protected),
        }
    }

    /// The line that stood before `date`: the version with the latest `valid_from` on or
    /// before it (the earliest version if the date precedes them all). Without a date, the
    /// latest version. An incident in a war is measured from the line the war started from,
    /// until a later version is recorded as standing. Without a date, the latest version not
    /// marked coarse (a coarse line is used only when a date selects it).
    fn line_in_force(&self, date: Option<NaiveDate>) -> Option<&MeasuredLine> {
        match date {
            None => self
                .lines
                .iter()
                .rev()
                .find(|l| !l.coarse)
                .or(self.lines.last()),
            Some(date) => self
                .lines
                .iter()
                .rev()
                .find(|l| l.valid_from.is_none_or(|from| from <= date))
                .or(self.lines.first()),
        }
    }

    /// Which side of the line `p` lies on: the first side area that contains it, among the
    /// areas of the line version in force and those that always apply (countries).
    fn side(&self, p: Point, line: Option<&MeasuredLine>) -> Option<Side> {
        let applies = |area: &SideArea| match (area.validity, line) {
            (None, _) => true,
            (Some(validity), Some(line)) => validity == (line.valid_from, line.valid_to),
            (Some(_), None) => false,
        };
        self.side_areas
            .iter()
            .find(|(rect, area)| applies(area) && rect.intersects(&p) && area.area.intersects(&p))
            .map(|(_, area)| area.side)
    }

    /// Measures `p`, whose own position is uncertain by `point_uncertainty_km`, against the
    /// line in force on `date`. The depth band widens by the point's and the line's stated
    /// uncertainty.
    pub fn measure(
        &self,
        p: Point,
        point_uncertainty_km: f64,
        date: Option<NaiveDate>,
        gazetteer: &Gazetteer,
    ) -> PointMeasures {
        let version = self.line_in_force(date);
        let banded = version.and_then(|v| v.polyline.banded(p));
        let line_uncertainty_km = match (version, banded) {
            (Some(v), Some(b)) => v.part_uncertainty_km.get(b.part).copied().unwrap_or(0.0),
            _ => 0.0,
        };
        // Each stretch carries its own uncertainty: the band runs from the nearest any stretch
        // may truly be to the farthest the nearest stretch may be, widened by the point's own.
        let (low_km, high_km) = banded.map_or((f64::NAN, f64::NAN), |b| {
            (b.low_m / 1000.0, b.high_m / 1000.0)
        });
        PointMeasures {
            line: banded.map(|b| b.nearest),
            line_uncertainty_km,
            line_valid_from: version.and_then(|v| v.valid_from),
            depth_low_km: (low_km - point_uncertainty_km).max(0.0),
            depth_high_km: high_km + point_uncertainty_km,
            side: self.side(p, version),
            nearest_military: self.military.nearest(p),
            nearest_protected: self.protected.nearest(p),
            nearest_place: gazetteer.nearest(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LineVersion;
    use crate::model::{GeoPrecision, Place, PlaceName};

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn each_incident_is_measured_from_the_line_that_stood_before_it() {
        let old = LineVersion {
            valid_from: Some(day("1994-05-12")),
            valid_to: Some(day("2020-09-26")),
            parts: vec![vec![Point::new(47.0, 39.0), Point::new(47.0, 41.0)]],
            part_uncertainty_km: vec![5.0],
            uncertainty_km: 5.0,
            coarse: false,
        };
        let new = LineVersion {
            valid_from: Some(day("2020-11-10")),
            valid_to: None,
            parts: vec![vec![Point::new(46.5, 39.0), Point::new(46.5, 41.0)]],
            part_uncertainty_km: vec![1.0],
            uncertainty_km: 1.0,
            coarse: false,
        };
        let line = LineOfContact {
            versions: vec![old, new],
            features: Vec::new(),
            areas: Vec::new(),
        };
        let measurer = Measurer::new(&line, Vec::new(), &Layer::default(), &Layer::default());
        let gazetteer = Gazetteer::new(vec![Place {
            id: "x".into(),
            name: "X".into(),
            name_hy: "X".into(),
            name_az: None,
            names: vec![PlaceName {
                name: "X".into(),
                lang: "en".into(),
            }],
            lon: 46.0,
            lat: 40.0,
            geo_precision: GeoPrecision::Settlement,
            uncertainty_km: 1.0,
            region: Default::default(),
        }]);
        let p = Point::new(46.0, 40.0);
        let during_war = measurer.measure(p, 0.0, Some(day("2020-10-04")), &gazetteer);
        let after_war = measurer.measure(p, 0.0, Some(day("2022-09-13")), &gazetteer);
        let undated = measurer.measure(p, 0.0, None, &gazetteer);
        // One degree of longitude at 40 N is about 85 km; half a degree about 43 km.
        assert!(
            (during_war.depth_km().unwrap_or(0.0) - 85.4).abs() < 1.0,
            "{:?}",
            during_war.depth_km()
        );
        assert_eq!(during_war.line_uncertainty_km, 5.0);
        assert!(
            (after_war.depth_km().unwrap_or(0.0) - 42.7).abs() < 1.0,
            "{:?}",
            after_war.depth_km()
        );
        assert_eq!(after_war.line_uncertainty_km, 1.0);
        assert_eq!(undated.line_valid_from, Some(day("2020-11-10")));
        let before_all = measurer.measure(p, 0.0, Some(day("1990-01-01")), &gazetteer);
        assert_eq!(before_all.line_valid_from, Some(day("1994-05-12")));
        // A coarse later line is used only when a date selects it, never by default.
        let mut coarse_line = line.clone();
        coarse_line.versions[1].coarse = true;
        let coarse = Measurer::new(
            &coarse_line,
            Vec::new(),
            &Layer::default(),
            &Layer::default(),
        );
        assert_eq!(
            coarse.measure(p, 0.0, None, &gazetteer).line_valid_from,
            Some(day("1994-05-12"))
        );
        assert_eq!(
            coarse
                .measure(p, 0.0, Some(day("2022-09-13")), &gazetteer)
                .line_valid_from,
            Some(day("2020-11-10"))
        );
    }

    #[test]
    fn the_side_comes_from_the_areas_of_the_line_in_force() {
        let version = |from: &str, to: Option<&str>| LineVersion {
            valid_from: Some(day(from)),
            valid_to: to.map(day),
            parts: vec![vec![Point::new(47.0, 39.0), Point::new(47.0, 41.0)]],
            part_uncertainty_km: vec![1.0],
            uncertainty_km: 1.0,
            coarse: false,
        };
        let line = LineOfContact {
            versions: vec![
                version("1994-05-12", Some("2020-09-26")),
                version("2020-11-10", None),
            ],
            features: Vec::new(),
            areas: Vec::new(),
        };
        let square = geo::MultiPolygon::new(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (45.5, 39.5),
                (46.5, 39.5),
                (46.5, 40.5),
                (45.5, 40.5),
                (45.5, 39.5),
            ]),
            vec![],
        )]);
        // The same ground, held by one side before the war and by the other after it.
        let areas = vec![
            SideArea {
                id: "held-before".into(),
                side: Side::ArmenianSide,
                area: square.clone(),
                validity: Some((Some(day("1994-05-12")), Some(day("2020-09-26")))),
            },
            SideArea {
                id: "held-after".into(),
                side: Side::AzerbaijaniSide,
                area: square,
                validity: Some((Some(day("2020-11-10")), None)),
            },
        ];
        let measurer = Measurer::new(&line, areas, &Layer::default(), &Layer::default());
        let gazetteer = Gazetteer::new(Vec::new());
        let p = Point::new(46.0, 40.0);
        let side_on = |date: &str| measurer.measure(p, 0.0, Some(day(date)), &gazetteer).side;
        assert_eq!(side_on("2020-10-04"), Some(Side::ArmenianSide));
        assert_eq!(side_on("2021-03-01"), Some(Side::AzerbaijaniSide));
        assert_eq!(
            measurer.measure(p, 0.0, None, &gazetteer).side,
            Some(Side::AzerbaijaniSide)
        );
        assert_eq!(
            measurer
                .measure(
                    Point::new(44.0, 40.0),
                    0.0,
                    Some(day("2020-10-04")),
                    &gazetteer
                )
                .side,
            None,
            "outside every area, no side is claimed"
        );
    }
}
