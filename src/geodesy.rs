//! Distances on the WGS84 ellipsoid: point to point, point to a geodesic segment, point to a
//! polyline. Coordinates are `(lon, lat)` in degrees; distances are metres. No I/O, no HTTP.
//!
//! Point-to-point distances are Karney's geodesic inverse (via `geo`/`geographiclib-rs`,
//! accurate to nanometres). The distance from a point to a segment is found by walking the
//! foot of the perpendicular along the segment's geodesic until it no longer moves (millimetre
//! convergence), after a cheap spherical pass has chosen which segments can be the nearest.

use geo::{Distance, Geodesic, Point};
use geographiclib_rs::{DirectGeodesic, Geodesic as Ellipsoid, InverseGeodesic};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use std::sync::LazyLock;

pub mod mercator;
mod radius;
pub use radius::{Coverage, InCell, Radius};

/// Mean Earth radius (IUGG), used only for the spherical pre-selection.
const MEAN_RADIUS_M: f64 = 6_371_008.8;
/// The sphere and the ellipsoid disagree on distances by well under 1 %; any segment whose
/// spherical distance is within this factor of the best one is refined on the ellipsoid.
const SPHERE_MARGIN: f64 = 1.01;

static WGS84: LazyLock<Ellipsoid> = LazyLock::new(Ellipsoid::wgs84);

/// Geodesic distance between two points on the WGS84 ellipsoid, in metres.
///
/// ```
/// use geo::Point;
/// // Stepanakert to Ganja: 101.69 km according to GeographicLib.
/// let d = strikemap::geodesy::distance_m(Point::new(46.7528, 39.8177), Point::new(46.36056, 40.68278));
/// assert!((d - 101_689.637).abs() < 0.01, "{d}");
/// ```
pub fn distance_m(a: Point, b: Point) -> f64 {
    Geodesic.distance(a, b)
}

/// The nearest point of a geodesic segment to `p`, and the distance to it in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    pub distance_m: f64,
    pub point: Point,
}

/// Distance in metres from `p` to the geodesic segment from `a` to `b` on the WGS84 ellipsoid.
///
/// The foot of the perpendicular is moved along the segment by the spherical along-track
/// offset until the move is under a millimetre; each step is exact on the ellipsoid (Karney's
/// direct and inverse problems), so only the convergence, not the geometry, is approximate.
pub fn distance_to_segment(p: Point, a: Point, b: Point) -> Nearest {
    let (length, azimuth_ab, _, _) = inverse(a, b);
    if length < 1e-3 {
        return Nearest {
            distance_m: distance_m(p, a),
            point: a,
        };
    }
    let mut along = spherical_along_fraction(p, a, b) * length;
    let mut best = Nearest {
        distance_m: f64::INFINITY,
        point: a,
    };
    for _ in 0..30 {
        let (lat, lon, line_azimuth): (f64, f64, f64) =
            WGS84.direct(a.y(), a.x(), azimuth_ab, along);
        let foot = Point::new(lon, lat);
        let (distance, azimuth_to_p, _, _) = inverse(foot, p);
        if distance < best.distance_m {
            best = Nearest {
                distance_m: distance,
                point: foot,
            };
        }
        if distance < 1e-3 {
            break;
        }
        let angle = (azimuth_to_p - line_azimuth).to_radians();
        let step = MEAN_RADIUS_M * ((distance / MEAN_RADIUS_M).tan() * angle.cos()).atan();
        let next = (along + step).clamp(0.0, length);
        if (next - along).abs() < 1e-3 {
            break;
        }
        along = next;
    }
    best
}

/// `(distance m, azimuth at start, azimuth at end, arc degrees)` from `a` to `b`.
fn inverse(a: Point, b: Point) -> (f64, f64, f64, f64) {
    WGS84.inverse(a.y(), a.x(), b.y(), b.x())
}

/// Unit vector of a `(lon, lat)` point on the sphere.
fn unit(p: Point) -> [f64; 3] {
    let (lat, lon) = (p.y().to_radians(), p.x().to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn cross(u: [f64; 3], v: [f64; 3]) -> [f64; 3] {
    [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ]
}

fn dot(u: [f64; 3], v: [f64; 3]) -> f64 {
    u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
}

fn angle(u: [f64; 3], v: [f64; 3]) -> f64 {
    let c = cross(u, v);
    dot(c, c).sqrt().atan2(dot(u, v))
}

/// Where along `a..b` (0 to 1) the spherical foot of the perpendicular from `p` falls.
fn spherical_along_fraction(p: Point, a: Point, b: Point) -> f64 {
    let (ua, ub, up) = (unit(a), unit(b), unit(p));
    let total = angle(ua, ub);
    if total < 1e-12 {
        return 0.0;
    }
    let normal = cross(ua, ub);
    let norm = dot(normal, normal).sqrt();
    let n = [normal[0] / norm, normal[1] / norm, normal[2] / norm];
    let offset = dot(up, n);
    let foot = [
        up[0] - offset * n[0],
        up[1] - offset * n[1],
        up[2] - offset * n[2],
    ];
    let along = angle(ua, foot);
    let signed = if dot(cross(ua, foot), n) < 0.0 {
        -along
    } else {
        along
    };
    (signed / total).clamp(0.0, 1.0)
}

/// Spherical distance from `p` to segment `a..b`, in metres: fast, within ~0.5 % of the
/// ellipsoid, used to choose which segments deserve the exact computation.
pub fn spherical_distance_to_segment(p: Point, a: Point, b: Point) -> f64 {
    let (ua, ub, up) = (unit(a), unit(b), unit(p));
    let t = spherical_along_fraction(p, a, b);
    let total = angle(ua, ub);
    if t <= 0.0 || t >= 1.0 || total < 1e-12 {
        return MEAN_RADIUS_M * angle(up, ua).min(angle(up, ub));
    }
    let normal = cross(ua, ub);
    let norm = dot(normal, normal).sqrt();
    MEAN_RADIUS_M * (dot(up, normal) / norm).clamp(-1.0, 1.0).asin().abs()
}

/// A lower bound on the ground distance, in metres, covered by `delta_deg` degrees of plain
/// (lon, lat) Euclidean distance near latitude `lat`: lets an R-tree in degrees stop searching
/// once no farther candidate can be nearer on the ellipsoid.
pub fn min_metres_for_degrees(lat: f64, delta_deg: f64) -> f64 {
    let worst_lat = (lat.abs() + delta_deg).min(89.9).to_radians();
    // 110.5 km is slightly under one degree of latitude anywhere; a degree of longitude is
    // at least 111.2 km * cos(lat) (a little more on the ellipsoid).
    delta_deg * 110_500.0_f64.min(111_200.0 * worst_lat.cos()) * 0.995
}

/// A polyline (e.g. the line of contact) indexed for nearest-point queries. Each part may
/// carry a margin: how far, in metres, the true line may lie from that part as drawn.
#[derive(Debug, Clone)]
pub struct Polyline {
    tree: RTree<GeomWithData<Line<[f64; 2]>, usize>>,
    vertices: Vec<Point>,
    /// The part each segment belongs to, indexed by the segment's first vertex / 2.
    segment_part: Vec<u32>,
    /// Margin of each part, metres.
    margins_m: Vec<f64>,
}

/// The distance from a point to a polyline whose parts are uncertain: the nearest point as
/// drawn, and bounds on the distance to the true line, in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Banded {
    pub nearest: Nearest,
    /// The part the nearest point lies on.
    pub part: usize,
    /// No part's true position can be nearer than this (the distance to each part less its
    /// margin, minimised over parts), clamped at zero.
    pub low_m: f64,
    /// The true line is no farther than this (the nearest part's distance plus its margin).
    pub high_m: f64,
}

impl Polyline {
    /// Builds the index over one or more parts; each part is a list of `(lon, lat)` vertices.
    pub fn new(parts: &[Vec<Point>]) -> Self {
        Self::with_margins(parts, &vec![0.0; parts.len()])
    }

    /// Like [`Polyline::new`], with a margin in metres for each part (missing margins are 0).
    pub fn with_margins(parts: &[Vec<Point>], margins_m: &[f64]) -> Self {
        let mut segments = Vec::new();
        let mut vertices = Vec::new();
        let mut segment_part = Vec::new();
        for (part_index, part) in parts.iter().enumerate() {
            for pair in part.windows(2) {
                let index = vertices.len();
                vertices.push(pair[0]);
                vertices.push(pair[1]);
                segment_part.push(part_index as u32);
                let line = Line::new([pair[0].x(), pair[0].y()], [pair[1].x(), pair[1].y()]);
                segments.push(GeomWithData::new(line, index));
            }
        }
        Polyline {
            tree: RTree::bulk_load(segments),
            vertices,
            segment_part,
            margins_m: (0..parts.len())
                .map(|i| margins_m.get(i).copied().unwrap_or(0.0).max(0.0))
                .collect(),
        }
    }

    fn margin_of_segment(&self, index: usize) -> f64 {
        let part = self.segment_part[index / 2] as usize;
        self.margins_m[part]
    }

    /// The nearest point and the bounds on the distance to the true line, given each part's
    /// margin. When the nearest part has the largest margin the low bound is simply the
    /// distance less that margin; otherwise every segment that could lie nearer once its
    /// margin is taken off is examined (spherically, shrunk by the sphere's error bound).
    pub fn banded(&self, p: Point) -> Option<Banded> {
        let (nearest, index) = self.nearest_with_segment(p)?;
        let own = self.margin_of_segment(index);
        let largest = self.margins_m.iter().copied().fold(0.0, f64::max);
        let mut low = nearest.distance_m - own;
        if largest > own {
            let query = [p.x(), p.y()];
            for (segment, distance_2) in self.tree.nearest_neighbor_iter_with_distance_2(query) {
                if min_metres_for_degrees(p.y(), distance_2.sqrt()) - largest > low {
                    break;
                }
                let i = segment.data;
                let spherical =
                    spherical_distance_to_segment(p, self.vertices[i], self.vertices[i + 1]);
                low = low.min(spherical / SPHERE_MARGIN - self.margin_of_segment(i));
            }
        }
        Some(Banded {
            nearest,
            part: self.segment_part[index / 2] as usize,
            low_m: low.max(0.0),
            high_m: nearest.distance_m + own,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.vertices.is_empty()
    }

    /// The nearest point of the polyline to `p` on the WGS84 ellipsoid; `None` if empty.
    pub fn nearest(&self, p: Point) -> Option<Nearest> {
        self.nearest_with_segment(p).map(|(nearest, _)| nearest)
    }

    /// The nearest point and the index (first vertex) of the segment it lies on.
    fn nearest_with_segment(&self, p: Point) -> Option<(Nearest, usize)> {
        let query = [p.x(), p.y()];
        let mut candidates: Vec<(f64, usize)> = Vec::new();
        let mut best_spherical = f64::INFINITY;
        for (segment, distance_2) in self.tree.nearest_neighbor_iter_with_distance_2(query) {
            if min_metres_for_degrees(p.y(), distance_2.sqrt()) > best_spherical * SPHERE_MARGIN {
                break;
            }
            let index = segment.data;
            let spherical =
                spherical_distance_to_segment(p, self.vertices[index], self.vertices[index + 1]);
            best_spherical = best_spherical.min(spherical);
            candidates.push((spherical, index));
        }
        candidates
            .into_iter()
            .filter(|(spherical, _)| *spherical <= best_spherical * SPHERE_MARGIN + 1.0)
            .map(|(_, index)| {
                (
                    distance_to_segment(p, self.vertices[index], self.vertices[index + 1]),
                    index,
                )
            })
            .min_by(|x, y| x.0.distance_m.total_cmp(&y.0.distance_m))
    }
}

/// Points (with a `u32` payload) indexed for geodesic nearest, radius and bounding-box
/// queries. The R-tree works in degrees; every answer is checked on the ellipsoid.
#[derive(Debug, Clone)]
pub struct PointSet {
    tree: RTree<GeomWithData<[f64; 2], u32>>,
}

impl PointSet {
    pub fn new(points: impl IntoIterator<Item = (Point, u32)>) -> Self {
        let items = points
            .into_iter()
            .map(|(p, data)| GeomWithData::new([p.x(), p.y()], data))
            .collect();
        PointSet {
            tree: RTree::bulk_load(items),
        }
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// The nearest point to `p` on the ellipsoid and its distance in metres.
    pub fn nearest(&self, p: Point) -> Option<(u32, f64)> {
        let mut best: Option<(u32, f64)> = None;
        for (item, distance_2) in self
            .tree
            .nearest_neighbor_iter_with_distance_2([p.x(), p.y()])
        {
            if let Some((_, best_m)) = best
                && min_metres_for_degrees(p.y(), distance_2.sqrt()) > best_m
            {
                break;
            }
            let metres = distance_m(p, Point::new(item.geom()[0], item.geom()[1]));
            if best.is_none_or(|(_, best_m)| metres < best_m) {
                best = Some((item.data, metres));
            }
        }
        best
    }

    /// Every point within `radius_m` metres of `p`, with its distance.
    pub fn within(&self, p: Point, radius_m: f64) -> Vec<(u32, f64)> {
        let dlat = (radius_m / 110_000.0).min(180.0);
        let worst_lat = (p.y().abs() + dlat).min(89.9).to_radians();
        let dlon = (radius_m / (111_000.0 * worst_lat.cos())).min(360.0);
        let envelope =
            rstar::AABB::from_corners([p.x() - dlon, p.y() - dlat], [p.x() + dlon, p.y() + dlat]);
        self.tree
            .locate_in_envelope(envelope)
            .filter_map(|item| {
                let metres = distance_m(p, Point::new(item.geom()[0], item.geom()[1]));
                (metres <= radius_m).then_some((item.data, metres))
            })
            .collect()
    }

    /// Every point inside the box; `west > east` means the box crosses the antimeridian.
    pub fn in_bbox(&self, west: f64, south: f64, east: f64, north: f64) -> Vec<u32> {
        let spans = if west <= east {
            vec![(west, east)]
        } else {
            vec![(west, 180.0), (-180.0, east)]
        };
        spans
            .into_iter()
            .flat_map(|(w, e)| {
                self.tree
                    .locate_in_envelope(rstar::AABB::from_corners([w, south], [e, north]))
            })
            .map(|item| item.data)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foot_of_perpendicular_on_a_meridian_segment() {
        // A meridian is a geodesic; the nearest point of a north-south segment to a point due
        // east is (almost exactly) at the same latitude.
        let a = Point::new(46.0, 39.0);
        let b = Point::new(46.0, 41.0);
        let p = Point::new(46.5, 40.0);
        let nearest = distance_to_segment(p, a, b);
        assert!((nearest.point.x() - 46.0).abs() < 1e-9);
        assert!(
            (nearest.point.y() - 40.0).abs() < 0.01,
            "{:?}",
            nearest.point
        );
        let direct = distance_m(p, nearest.point);
        assert!((nearest.distance_m - direct).abs() < 1e-6);
    }

    #[test]
    fn beyond_the_end_the_nearest_point_is_the_vertex() {
        let a = Point::new(46.0, 39.0);
        let b = Point::new(46.0, 40.0);
        let p = Point::new(46.2, 40.5);
        let nearest = distance_to_segment(p, a, b);
        assert!((nearest.distance_m - distance_m(p, b)).abs() < 1e-3);
    }

    #[test]
    fn degree_bound_never_exceeds_the_true_distance() {
        for (lon, lat) in [(0.3_f64, 0.0_f64), (0.0, 0.3), (0.25, 0.25), (-0.4, 0.1)] {
            let origin = Point::new(46.0, 40.0);
            let other = Point::new(46.0 + lon, 40.0 + lat);
            let delta = (lon * lon + lat * lat).sqrt();
            assert!(min_metres_for_degrees(40.0, delta) <= distance_m(origin, other));
        }
    }

    #[test]
    fn polyline_picks_the_nearest_part() {
        let line = Polyline::new(&[
            vec![Point::new(46.0, 39.0), Point::new(46.0, 40.0)],
            vec![Point::new(47.0, 39.0), Point::new(47.0, 40.0)],
        ]);
        let nearest = line.nearest(Point::new(46.9, 39.5)).expect("non-empty");
        assert!((nearest.point.x() - 47.0).abs() < 1e-9);
        assert!(Polyline::new(&[]).nearest(Point::new(0.0, 0.0)).is_none());
    }

    /// Two segments about 10 km from a point, one due north and one due east, 15 m apart in
    /// true (ellipsoidal) distance: the sphere, whose radius is too long north-south and too
    /// short east-west here, ranks them the other way round. The polyline must refine every
    /// candidate the sphere cannot rule out, not trust the sphere's favourite.
    #[test]
    fn the_ellipsoid_decides_between_candidates_the_sphere_ranks_wrongly() {
        let p = Point::new(46.0, 40.0);
        let north = [Point::new(45.9, 40.09), Point::new(46.1, 40.09)];
        let d_north = distance_to_segment(p, north[0], north[1]).distance_m;
        // An east segment (a meridian) 15 m farther on the ellipsoid than the north one.
        let east_at = |lon: f64| [Point::new(lon, 39.9), Point::new(lon, 40.1)];
        let (mut lo, mut hi) = (46.05, 46.2);
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            let d = distance_to_segment(p, east_at(mid)[0], east_at(mid)[1]).distance_m;
            if d < d_north + 15.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let east = east_at(lo);
        let d_east = distance_to_segment(p, east[0], east[1]).distance_m;
        assert!((d_east - d_north - 15.0).abs() < 0.01);
        // The sphere prefers the east segment: this is the case the refinement exists for.
        assert!(
            spherical_distance_to_segment(p, east[0], east[1])
                < spherical_distance_to_segment(p, north[0], north[1])
        );
        let line = Polyline::new(&[east.to_vec(), north.to_vec()]);
        let nearest = line.nearest(p).expect("non-empty");
        assert!((nearest.distance_m - d_north).abs() < 1e-6, "{nearest:?}");
    }

    #[test]
    fn a_more_uncertain_part_farther_away_lowers_the_low_bound() {
        // Part 0 at 46.0 E, 1 km margin; part 1 at 46.2 E, 20 km margin. From 45.95 E the
        // nearest drawn point is on part 0 (~4.3 km), but part 1 (~21.3 km) may truly lie as
        // close as ~1.3 km: the low bound must come from part 1, the high bound from part 0.
        let line = Polyline::with_margins(
            &[
                vec![Point::new(46.0, 39.0), Point::new(46.0, 41.0)],
                vec![Point::new(46.2, 39.0), Point::new(46.2, 41.0)],
            ],
            &[1_000.0, 20_000.0],
        );
        let p = Point::new(45.95, 40.0);
        let banded = line.banded(p).expect("non-empty");
        assert_eq!(banded.part, 0);
        let d0 = banded.nearest.distance_m;
        assert!((banded.high_m - (d0 + 1_000.0)).abs() < 1e-6);
        let d1 = distance_m(p, Point::new(46.2, 40.0));
        assert!(banded.low_m < d1 - 20_000.0 + 1.0, "{banded:?} vs {d1}");
        // ... and is a lower bound only by the sphere's error (well under 1.5 %).
        assert!(banded.low_m > d1 * 0.985 - 20_000.0, "{banded:?}");
        // With equal margins the low bound is the nearest distance less the margin.
        let even = Polyline::with_margins(
            &[vec![Point::new(46.0, 39.0), Point::new(46.0, 41.0)]],
            &[2_000.0],
        );
        let banded = even.banded(p).expect("non-empty");
        assert!((banded.low_m - (banded.nearest.distance_m - 2_000.0)).abs() < 1e-6);
    }

    #[test]
    fn point_set_radius_and_box() {
        let set = PointSet::new([
            (Point::new(46.0, 40.0), 0),
            (Point::new(46.1, 40.0), 1),
            (Point::new(179.9, 0.0), 2),
            // Inside the degree box searched for a 5 km radius, but about 5.6 km away.
            (Point::new(46.04, 40.04), 3),
        ]);
        let near: Vec<u32> = set
            .within(Point::new(46.0, 40.0), 5_000.0)
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(near, vec![0]);
        assert_eq!(
            set.nearest(Point::new(46.09, 40.0)).map(|(i, _)| i),
            Some(1)
        );
        assert!(distance_m(Point::new(46.0, 40.0), Point::new(46.04, 40.04)) > 5_000.0);
        let mut boxed = set.in_bbox(45.0, 39.0, 47.0, 41.0);
        boxed.sort();
        assert_eq!(boxed, vec![0, 1, 3]);
        assert_eq!(set.in_bbox(170.0, -1.0, -170.0, 1.0), vec![2]);
    }
}
