//! "Within r metres of a centre" on the WGS84 ellipsoid, decided cheaply where that is safe.
//!
//! A `near` query asks for every incident within a radius: tens of thousands of candidates
//! around a town. Karney's inverse costs about 0.6 µs a point; a local flat approximation
//! with the ellipsoid's radii of curvature at the mid-latitude costs a few nanoseconds and,
//! for the distances and latitudes where it is used, is wrong by less than a known bound. Only
//! the points whose approximate distance falls within that bound of the radius are measured
//! exactly, so the answer is always the exact one.

use geo::Point;

/// WGS84 semi-major axis, metres.
const A_M: f64 = 6_378_137.0;
/// WGS84 first eccentricity squared.
const E2: f64 = 0.006_694_379_990_141_316;
/// Radius of the sphere the error bound scales with, metres.
const BOUND_RADIUS_M: f64 = 6_370_000.0;
/// Beyond this radius, or this close to a pole, every candidate is measured exactly.
const FAST_MAX_RADIUS_M: f64 = 500_000.0;
const FAST_MAX_LAT: f64 = 80.0;

/// [`Radius::contains`] for the points of one grid cell (see [`Radius::in_cell`]).
pub struct InCell<'r> {
    radius: &'r Radius,
    /// The first test and the cell's corner from the centre, where it holds.
    narrow: Option<(Narrow, f32, f32)>,
}

impl InCell<'_> {
    /// Whether the point `x`, `y` degrees east and north of the cell's south-west corner
    /// lies within the radius; its `position` (longitude, latitude) is read only when the
    /// first test leaves it undecided, so most points cost two floats read, not four.
    #[inline]
    pub fn contains(&self, x: f32, y: f32, position: impl FnOnce() -> [f64; 2]) -> bool {
        if let Some((narrow, dx, dy)) = &self.narrow {
            match narrow.decide(dx + x, dy + y) {
                [true, _] => return true,
                [_, true] => return false,
                _ => {}
            }
        }
        let [lon, lat] = position();
        self.radius.contains(Point::new(lon, lat))
    }
}

/// How a box lies with respect to a circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every point of the box is within the radius.
    Inside,
    /// No point of the box is.
    Outside,
    /// Either, or not decided cheaply: check point by point.
    Partly,
}

/// A circle of `radius_m` metres around `centre`, on the ellipsoid.
#[derive(Debug, Clone, Copy)]
pub struct Radius {
    centre: Point,
    radius_m: f64,
    /// How far the approximation may be from the truth at this radius and these latitudes,
    /// metres; `None` where the approximation is not used.
    margin_m: Option<f64>,
    /// A first, coarser test that needs no trigonometry per point; `None` with `margin_m`.
    flat: Option<Flat>,
    /// That test in single precision, for counting; `None` with `flat`.
    narrow: Option<Narrow>,
}

/// The flat distance with scales that need no sine or cosine per point, trusted to decide
/// the points clearly inside or outside. The distance [`Radius::contains`] measures against
/// uses the scales of the mid-latitude between the centre and the point; here they are either
/// the centre's (for boxes, see [`Flat::covers`]), within a share `ε` of the mid-latitude's,
/// or a straight line through the centre's in the point's latitude (for points, see
/// [`Flat::decide`]), within a far smaller share `ε'` (see [`Flat::new`]). Either way the
/// mid-latitude distance lies within `d (1 ± ε)` of this one, so a point is inside when
/// `d (1 + ε) + margin < r` and outside when `d (1 − ε) − margin > r`; the rest are measured
/// as before. Compared squared: no square root either.
#[derive(Debug, Clone, Copy)]
struct Flat {
    /// Metres per degree east-west and north-south at the centre's latitude.
    per_degree: [f64; 2],
    /// How those at the mid-latitude change per degree the point lies north of the centre.
    slope: [f64; 2],
    /// The farthest north or south of the centre (degrees) the scales are trusted; past it
    /// a point is outside.
    max_dlat: f64,
    /// Squared flat distances with the centre's scales below which a point is inside, above
    /// which outside.
    inside_2: f64,
    outside_2: f64,
    /// The same with the sloped scales.
    sloped_inside_2: f64,
    sloped_outside_2: f64,
}

impl Flat {
    fn new(centre: Point, radius_m: f64, margin_m: f64) -> Option<Flat> {
        // Points up to a grid cell beyond the circle's reach in latitude are candidates.
        let max_dlat = degrees_of_latitude_within(radius_m) + 0.01;
        let lat = centre.y();
        let half = (max_dlat / 2.0).to_radians();
        let worst = (lat.abs() + max_dlat / 2.0).min(89.0).to_radians();
        // |d/dφ ln(N cos φ)| ≤ tan|φ| + e²/2/(1 − e²) and |d/dφ ln M| ≤ 3e²/2/(1 − e²), both
        // below tan|φ| + 0.011: over half the latitude span a scale changes by a factor
        // within e^(±L), and e^(−L) ≥ 1 − (e^L − 1).
        let epsilon = ((worst.tan() + 0.011) * half).exp_m1();
        if epsilon >= 0.5 || margin_m >= radius_m {
            return None;
        }
        let phi = lat.to_radians();
        let (east_west, north_south) = metres_per_radian(phi);
        let per_degree = [east_west, north_south].map(|m| m * 1f64.to_radians());
        // The scales' logarithms change at g = (f' − tan φ, 3 f') a radian at the centre,
        // f = −½ ln(1 − e² sin² φ); their second derivatives are at most sec² φ + e²/(1 − e²)
        // + e⁴/2/(1 − e²)² and three times f'' ≤ 0.0068, both below sec² φ + 0.021 at the
        // worst latitude. The line k (1 + g Δ), Δ the mid-latitude's distance from the centre
        // (at most `half`), is then off the scale's logarithm by at most ½ C Δ² (Taylor) plus
        // u − ln(1 + u) ≤ u² / 2 / (1 − |u|), u = g Δ.
        let (sin, cos) = phi.sin_cos();
        let f1 = E2 * sin * cos / (1.0 - E2 * sin * sin);
        let g = [f1 - sin / cos, 3.0 * f1];
        let u = g[0].abs().max(g[1].abs()) * half;
        let curve = 1.0 / worst.cos().powi(2) + 0.021;
        let sloped = (u < 0.5)
            .then(|| (0.5 * curve * half * half + u * u / 2.0 / (1.0 - u)).exp_m1())
            .filter(|sloped| *sloped < epsilon);
        // Per degree north of the centre the mid-latitude moves half a degree.
        let slope = match sloped {
            Some(_) => {
                [per_degree[0] * g[0], per_degree[1] * g[1]].map(|k| k * 0.5f64.to_radians())
            }
            None => [0.0; 2],
        };
        let squares = |epsilon: f64| {
            let inside = (radius_m - margin_m) / (1.0 + epsilon);
            let outside = (radius_m + margin_m) / (1.0 - epsilon);
            // Shaved and padded by a part in a billion for the rounding of the squares.
            [
                inside * inside * (1.0 - 1e-9),
                outside * outside * (1.0 + 1e-9),
            ]
        };
        let [inside_2, outside_2] = squares(epsilon);
        let [sloped_inside_2, sloped_outside_2] = squares(sloped.unwrap_or(epsilon));
        Some(Flat {
            per_degree,
            slope,
            max_dlat,
            inside_2,
            outside_2,
            sloped_inside_2,
            sloped_outside_2,
        })
    }

    /// How the box `[west, south, east, north]` lies, or `None` when it reaches beyond the
    /// latitudes this test is trusted at or straddles the antimeridian opposite the centre.
    /// With fixed scales the distance is Euclidean in the plane of degrees, so the box's
    /// nearest point and farthest corner bound every point of it exactly.
    fn covers(&self, centre: Point, [west, south, east, north]: [f64; 4]) -> Option<Coverage> {
        let (lon, lat) = (centre.x(), centre.y());
        let (w, e) = (wrap(west - lon), wrap(east - lon));
        if w > e || (south - lat).abs() > self.max_dlat || (north - lat).abs() > self.max_dlat {
            return None;
        }
        let squared = |dlon: f64, dlat: f64| self.squared_m(dlon, dlat);
        let nearest = squared(0.0_f64.clamp(w, e), lat.clamp(south, north) - lat);
        let farthest = [w, e]
            .into_iter()
            .flat_map(|x| [south, north].map(|y| squared(x, y - lat)))
            .fold(0.0_f64, f64::max);
        Some(if nearest > self.outside_2 {
            Coverage::Outside
        } else if farthest < self.inside_2 {
            Coverage::Inside
        } else {
            Coverage::Partly
        })
    }

    /// The tallest box between longitudes `west` and `east` whose every point is inside by
    /// [`Flat::covers`]'s test: at most the farthest longitude's distance east-west, the
    /// rest of the inside radius north-south (within the latitudes trusted). `None` when no
    /// such box, or the span straddles the antimeridian opposite the centre.
    fn inner_box(&self, centre: Point, west: f64, east: f64) -> Option<[f64; 4]> {
        let (lon, lat) = (centre.x(), centre.y());
        let (w, e) = (wrap(west - lon), wrap(east - lon));
        if w > e {
            return None;
        }
        let [kx, ky] = self.per_degree;
        let across = (kx * w.abs().max(e.abs())).powi(2);
        let left = self.inside_2 - across;
        if left <= 0.0 {
            return None;
        }
        // Shaved by a part in a billion for the rounding of the root and the squares.
        let reach = ((left.sqrt() / ky) * (1.0 - 1e-9)).min(self.max_dlat);
        Some([west, lat - reach, east, lat + reach])
    }

    /// The squared flat distance of a difference of longitude and latitude (degrees), with
    /// the centre's scales.
    fn squared_m(&self, dlon: f64, dlat: f64) -> f64 {
        let [kx, ky] = self.per_degree;
        (kx * dlon).powi(2) + (ky * dlat).powi(2)
    }

    /// The same with the sloped scales.
    fn sloped_squared_m(&self, dlon: f64, dlat: f64) -> f64 {
        let [kx, ky] = self.per_degree;
        let [sx, sy] = self.slope;
        ((kx + sx * dlat) * dlon).powi(2) + ((ky + sy * dlat) * dlat).powi(2)
    }

    /// `Some(inside)` when decided, `None` when the point needs the finer test.
    fn decide(&self, centre: Point, p: Point) -> Option<bool> {
        let dlat = p.y() - centre.y();
        if dlat.abs() > self.max_dlat {
            // Farther north or south than the radius reaches: no path between the two
            // parallels is shorter than the meridian's arc, at least 110 km a degree.
            return Some(false);
        }
        let d2 = self.sloped_squared_m(wrap(p.x() - centre.x()), dlat);
        if d2 < self.sloped_inside_2 {
            Some(true)
        } else if d2 > self.sloped_outside_2 {
            Some(false)
        } else {
            None
        }
    }
}

/// The first test of [`Flat::decide`] in single precision, for counting a grid cell's points
/// at once: with half the width, twice as many points go through each instruction. The
/// points are given as offsets from a corner of their cell, no more than [`NARROW_CELL_DEG`]
/// away, and the corner's difference from the centre is taken in double precision and then
/// rounded, so each difference from the centre is off by at most 2^-24 of its own size and of
/// the corner's, and of the offset: 1.2e-7 of itself and 1.2e-9°, or 0.2 mm at 111.7 km a
/// degree, on both axes together. The single-precision scales, products and sums add well
/// under a part in a million of the distance. So a point is decided inside only when its
/// distance is 1 mm and 2e-6 of itself short of [`Flat`]'s sloped inside radius, and outside
/// only when as far past the outside one (or farther north or south than [`Flat`] trusts its
/// scales, by 1e-4°): every decision is one [`Flat`] would make, and the rest are left to
/// [`Radius::contains`].
#[derive(Debug, Clone, Copy)]
struct Narrow {
    per_degree: [f32; 2],
    slope: [f32; 2],
    inside_2: f32,
    outside_2: f32,
    max_dlat: f32,
}

/// How far a single-precision distance may be from the double-precision one, metres and
/// share of itself (see [`Narrow`]).
const NARROW_SLACK_M: f64 = 1e-3;
const NARROW_SLACK_SHARE: f64 = 2e-6;
/// The largest cell (degrees, east-west and north-south) whose points are counted in single
/// precision; larger ones are measured one by one.
const NARROW_CELL_DEG: f64 = 0.01;
/// The farthest a cell's corner may lie from the centre in longitude (degrees) to be counted
/// in single precision: nearer the antimeridian the plain difference of longitudes is not
/// the short way round.
const NARROW_REACH_DEG: f64 = 90.0;

impl Narrow {
    fn new(flat: &Flat) -> Narrow {
        let inside =
            (flat.sloped_inside_2.sqrt() - NARROW_SLACK_M).max(0.0) * (1.0 - NARROW_SLACK_SHARE);
        let outside = (flat.sloped_outside_2.sqrt() + NARROW_SLACK_M) * (1.0 + NARROW_SLACK_SHARE);
        Narrow {
            per_degree: flat.per_degree.map(|k| k as f32),
            slope: flat.slope.map(|k| k as f32),
            inside_2: (inside * inside) as f32,
            outside_2: (outside * outside) as f32,
            max_dlat: (flat.max_dlat + 1e-4) as f32,
        }
    }

    /// `[inside, outside]` for a point `dx`, `dy` degrees east and north of the centre, both
    /// false when undecided.
    #[inline(always)]
    fn decide(&self, dx: f32, dy: f32) -> [bool; 2] {
        let kx = self.per_degree[0] + self.slope[0] * dy;
        let ky = self.per_degree[1] + self.slope[1] * dy;
        let (x, y) = (kx * dx, ky * dy);
        let d2 = x * x + y * y;
        // Without short circuits: no branch per point.
        [
            d2 < self.inside_2,
            (d2 > self.outside_2) | (dy.abs() > self.max_dlat),
        ]
    }
}

impl Radius {
    pub fn new(centre: Point, radius_m: f64) -> Radius {
        let dlat = degrees_of_latitude_within(radius_m);
        let worst_lat = (centre.y().abs() + dlat).min(90.0);
        let margin_m = (radius_m <= FAST_MAX_RADIUS_M && worst_lat <= FAST_MAX_LAT).then(|| {
            let tan = worst_lat.to_radians().tan();
            // Fitted against GeographicLib: the relative error is about
            // 0.04 (d / R)^2 tan^2(lat) at high latitudes and smaller nearer the equator; the
            // bound below is at least four times that everywhere it is used (see the test).
            let relative = (radius_m / BOUND_RADIUS_M).powi(2) * (1.0 + tan * tan);
            radius_m * relative + 1e-3
        });
        let flat = margin_m.and_then(|margin| Flat::new(centre, radius_m, margin));
        Radius {
            centre,
            radius_m,
            margin_m,
            flat,
            narrow: flat.map(|flat| Narrow::new(&flat)),
        }
    }

    pub fn centre(&self) -> Point {
        self.centre
    }

    pub fn radius_m(&self) -> f64 {
        self.radius_m
    }

    /// Boxes `[west, south, east, north]` in degrees that together hold the whole circle (two
    /// when it crosses the antimeridian; every longitude when it reaches a pole).
    pub fn envelopes(&self) -> Vec<[f64; 4]> {
        let (lon, lat) = (self.centre.x(), self.centre.y());
        let dlat = degrees_of_latitude_within(self.radius_m);
        let (south, north) = ((lat - dlat).max(-90.0), (lat + dlat).min(90.0));
        let worst_lat = lat.abs() + dlat;
        if worst_lat >= 89.9 {
            return vec![[-180.0, south, 180.0, north]];
        }
        // A degree of longitude is at least 111.0 km * cos(lat) on the ellipsoid.
        let dlon = self.radius_m / (111_000.0 * worst_lat.to_radians().cos());
        if dlon >= 180.0 {
            return vec![[-180.0, south, 180.0, north]];
        }
        let (west, east) = (lon - dlon, lon + dlon);
        if west < -180.0 {
            vec![
                [west + 360.0, south, 180.0, north],
                [-180.0, south, east, north],
            ]
        } else if east > 180.0 {
            vec![
                [west, south, 180.0, north],
                [-180.0, south, east - 360.0, north],
            ]
        } else {
            vec![[west, south, east, north]]
        }
    }

    /// Whether `p` lies within the radius (boundary included), exactly as Karney's inverse
    /// says.
    pub fn contains(&self, p: Point) -> bool {
        if let Some(inside) = self.flat.and_then(|flat| flat.decide(self.centre, p)) {
            return inside;
        }
        if let Some(margin) = self.margin_m {
            let approx = self.approximate_m(p);
            if approx + margin < self.radius_m {
                return true;
            }
            if approx - margin > self.radius_m {
                return false;
            }
        }
        super::distance_m(self.centre, p) <= self.radius_m
    }

    /// How many of a grid cell's `positions` (`[lon, lat]`) lie within the radius: the count
    /// of [`Radius::contains`] over them. `cell` is their extent `[west, south, east, north]`
    /// and `lon`, `lat` their offsets east and north of its south-west corner in single
    /// precision (see [`Narrow`]), over which a first test runs without a branch per point,
    /// four at a time; only the points it leaves undecided are tested again, one by one. The
    /// cells a circle's rim crosses are counted this way, a few thousand points for a town.
    pub fn count_within(
        &self,
        cell: [f64; 4],
        positions: &[[f64; 2]],
        lon: &[f32],
        lat: &[f32],
    ) -> usize {
        let contains = |[lon, lat]: &[f64; 2]| self.contains(Point::new(*lon, *lat));
        let narrow = self
            .narrow_in(cell)
            .filter(|_| lon.len() == positions.len() && lat.len() == positions.len());
        let Some((narrow, dx, dy)) = narrow else {
            return positions.iter().filter(|p| contains(p)).count();
        };
        // The first test over them all with no branch per point (so four points go through
        // each instruction), counting those inside and those undecided; then, if any were
        // (the band between the two radii is a millimetre or so wide, so rarely), those
        // found again and measured.
        let (mut count, mut unsure) = (0u32, 0u32);
        for (x, y) in lon.iter().zip(lat) {
            let [is_in, is_out] = narrow.decide(dx + x, dy + y);
            count += u32::from(is_in);
            unsure += u32::from(!(is_in | is_out));
        }
        if unsure > 0 {
            let undecided = |((x, y), _): &((&f32, &f32), &[f64; 2])| {
                let [is_in, is_out] = narrow.decide(dx + *x, dy + *y);
                !(is_in | is_out)
            };
            count += (lon.iter().zip(lat).zip(positions))
                .filter(undecided)
                .filter(|(_, p)| contains(p))
                .count() as u32;
        }
        count as usize
    }

    /// The first test of [`Radius::count_within`] for the points of a grid cell whose extent
    /// is `cell`, and the cell's south-west corner east and north of the centre (degrees);
    /// `None` where it does not hold (a large cell, or one far round the globe).
    fn narrow_in(&self, [west, south, east, north]: [f64; 4]) -> Option<(Narrow, f32, f32)> {
        let (dx, dy) = (west - self.centre.x(), south - self.centre.y());
        let fits = east - west <= NARROW_CELL_DEG
            && north - south <= NARROW_CELL_DEG
            && dx.abs() <= NARROW_REACH_DEG;
        Some((self.narrow.filter(|_| fits)?, dx as f32, dy as f32))
    }

    /// [`Radius::contains`] for the points of one grid cell whose extent is `cell`, each
    /// given with its offsets from the cell's south-west corner in single precision (see
    /// [`Radius::count_within`]): most are decided by the first test on those, the others
    /// measured. For a few points of a cell (those of a named set), where counting them
    /// all at once would read the rest for nothing.
    pub fn in_cell(&self, cell: [f64; 4]) -> InCell<'_> {
        InCell {
            radius: self,
            narrow: self.narrow_in(cell),
        }
    }

    /// Whether the box `[west, south, east, north]` (degrees, a few kilometres across at most
    /// for a useful answer) lies wholly inside or outside the circle. Within so small a box the
    /// approximation is a plain Euclidean distance to within a part in a thousand of the box's
    /// size, so its nearest point and farthest corner bound every point of the box.
    pub fn covers(&self, [west, south, east, north]: [f64; 4]) -> Coverage {
        let Some(margin) = self.margin_m else {
            return Coverage::Partly;
        };
        let bounds = [west, south, east, north];
        if let Some(coverage) = self.flat.and_then(|flat| flat.covers(self.centre, bounds)) {
            return coverage;
        }
        let (lon, lat) = (self.centre.x(), self.centre.y());
        let (w, e) = (wrap(west - lon), wrap(east - lon));
        if w > e || north - south > 1.0 || e - w > 1.0 {
            // Straddles the antimeridian opposite the centre, or too large to bound simply.
            return Coverage::Partly;
        }
        let at = |dlon: f64, y: f64| self.approximate_m(Point::new(lon + dlon, y));
        let nearest = at(0.0_f64.clamp(w, e), lat.clamp(south, north));
        let farthest = [at(w, south), at(w, north), at(e, south), at(e, north)]
            .into_iter()
            .fold(0.0_f64, f64::max);
        // Across the box the mid-latitude (and so the scale east-west) moves by half the box's
        // height, changing a distance by at most that part of it times tan(lat); and rounding.
        let worst_lat = south.abs().max(north.abs()).min(FAST_MAX_LAT).to_radians();
        let size = approximate_between(Point::new(lon + w, south), Point::new(lon + e, north));
        let slop =
            farthest * (1.0 + worst_lat.tan()) * (north - south).to_radians() + 1e-3 * size + 1e-3;
        if nearest - margin - slop > self.radius_m {
            Coverage::Outside
        } else if farthest + margin + slop < self.radius_m {
            Coverage::Inside
        } else {
            Coverage::Partly
        }
    }

    /// A box `[west, south, east, north]` between longitudes `west` and `east` (a column of
    /// grid cells) wholly inside the circle, as tall as it can be shown to be cheaply; a grid
    /// cell within it needs no test of its own. `None` where none is known.
    pub fn inner_box(&self, west: f64, east: f64) -> Option<[f64; 4]> {
        self.flat
            .and_then(|flat| flat.inner_box(self.centre, west, east))
    }

    /// Local flat distance with the meridional and prime-vertical radii of curvature at the
    /// mid-latitude, metres.
    fn approximate_m(&self, p: Point) -> f64 {
        approximate_between(self.centre, p)
    }
}

/// Local flat distance between two points, with the meridional and prime-vertical radii of
/// curvature at their mid-latitude, metres.
fn approximate_between(a: Point, p: Point) -> f64 {
    let (east_west, north_south) = metres_per_radian(((a.y() + p.y()) / 2.0).to_radians());
    let dx = east_west * wrap(p.x() - a.x()).to_radians();
    let dy = north_south * (p.y() - a.y()).to_radians();
    // Not `hypot`: its care for overflow costs a fifth of a radius query, and distances here
    // are far from overflowing (the margin covers the last bit of rounding).
    (dx * dx + dy * dy).sqrt()
}

/// Metres per radian of longitude (the prime-vertical radius of curvature times the cosine)
/// and of latitude (the meridional radius) at latitude `lat` (radians).
fn metres_per_radian(lat: f64) -> (f64, f64) {
    let (sin, cos) = lat.sin_cos();
    let w2 = 1.0 - E2 * sin * sin;
    let w = w2.sqrt();
    (A_M / w * cos, A_M * (1.0 - E2) / (w2 * w))
}

/// A difference of longitudes brought into -180..180.
fn wrap(dlon: f64) -> f64 {
    if dlon > 180.0 {
        dlon - 360.0
    } else if dlon < -180.0 {
        dlon + 360.0
    } else {
        dlon
    }
}

/// Degrees of latitude that certainly hold `metres` north or south (a degree is at least
/// 110.5 km anywhere).
fn degrees_of_latitude_within(metres: f64) -> f64 {
    (metres / 110_000.0).min(180.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geographiclib_rs::{DirectGeodesic, Geodesic};
    use rand::{RngExt, SeedableRng};

    /// The approximation's error stays within a quarter of the margin it is trusted with, for
    /// centres at every latitude where it is used and radii up to its limit; and `contains`
    /// agrees with Karney's inverse for points around the circle, inside and out.
    #[test]
    fn the_fast_test_agrees_with_the_exact_distance() {
        let wgs84 = Geodesic::wgs84();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2020);
        for &radius_m in &[50.0, 1_000.0, 10_000.0, 50_000.0, 200_000.0, 500_000.0] {
            for _ in 0..4_000 {
                let lat: f64 = rng.random_range(-78.0..78.0);
                let lon: f64 = rng.random_range(-180.0..180.0);
                let radius = Radius::new(Point::new(lon, lat), radius_m);
                let Some(margin) = radius.margin_m else {
                    continue;
                };
                let azimuth: f64 = rng.random_range(0.0..360.0);
                let d: f64 = rng.random_range(0.0..1.3 * radius_m);
                let (lat2, lon2): (f64, f64) = wgs84.direct(lat, lon, azimuth, d);
                let p = Point::new(lon2, lat2);
                let error = (radius.approximate_m(p) - d).abs();
                assert!(
                    error <= (margin - 1e-3) / 4.0 + 1e-6,
                    "r {radius_m} at ({lon}, {lat}): error {error} m, margin {margin} m"
                );
                assert_eq!(radius.contains(p), d <= radius_m);
            }
        }
    }

    /// Counting a slice at once gives the count of `contains` one by one: for centres at every
    /// latitude (some beside the antimeridian, some past where the first test is used), radii
    /// up to past its limit, and points spread from the centre to beyond the rim, including
    /// ones just either side of it and ones given across the antimeridian.
    #[test]
    fn counting_a_slice_counts_what_contains_says() {
        let wgs84 = Geodesic::wgs84();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut undecided = 0;
        for &radius_m in &[50.0, 5_000.0, 40_000.0, 600_000.0] {
            for round in 0..300 {
                let lat: f64 = rng.random_range(-85.0..85.0);
                let lon: f64 = match round % 3 {
                    0 => rng.random_range(179.0..180.0),
                    _ => rng.random_range(-180.0..180.0),
                };
                let radius = Radius::new(Point::new(lon, lat), radius_m);
                let points: Vec<[f64; 2]> = (0..rng.random_range(0..64))
                    .map(|k| {
                        let d = match k % 4 {
                            0 => radius_m * rng.random_range(0.999..1.001),
                            _ => rng.random_range(0.0..2.0 * radius_m),
                        };
                        let (lat2, lon2): (f64, f64) =
                            wgs84.direct(lat, lon, rng.random_range(0.0..360.0), d);
                        // The same place, its longitude given a turn further round.
                        let lon2 = if k % 7 == 0 && lon2 < 0.0 {
                            lon2 + 360.0
                        } else {
                            lon2
                        };
                        [lon2, lat2]
                    })
                    .collect();
                let one_by_one = points
                    .iter()
                    .filter(|[x, y]| radius.contains(Point::new(*x, *y)))
                    .count();
                // Counted as the grid counts: cell by cell, as offsets from each cell's
                // corner (cells of 0.005°, some of them twice that, past which they are
                // counted one by one).
                let size = [0.005, 0.01, 0.02][round % 3];
                let mut cells: std::collections::BTreeMap<(i64, i64), Vec<[f64; 2]>> =
                    Default::default();
                for [x, y] in &points {
                    let key = ((x / size).floor() as i64, (y / size).floor() as i64);
                    cells.entry(key).or_default().push([*x, *y]);
                }
                let by_cells: usize = cells
                    .values()
                    .map(|cell| {
                        let (bounds, lon, lat) = as_a_cell(cell);
                        radius.count_within(bounds, cell, &lon, &lat)
                    })
                    .sum();
                assert_eq!(by_cells, one_by_one, "r {radius_m} at ({lon}, {lat})");
                undecided += points
                    .iter()
                    .filter(|[x, y]| {
                        radius
                            .flat
                            .is_some_and(|f| f.decide(radius.centre, Point::new(*x, *y)).is_none())
                    })
                    .count();
            }
        }
        assert!(
            undecided > 100,
            "only {undecided} points needed the second pass"
        );
    }

    /// Points as the grid hands a cell to [`Radius::count_within`]: their extent, and their
    /// offsets from its south-west corner in single precision.
    fn as_a_cell(points: &[[f64; 2]]) -> ([f64; 4], Vec<f32>, Vec<f32>) {
        let [w, s] = points
            .iter()
            .fold([f64::MAX; 2], |[w, s], [x, y]| [w.min(*x), s.min(*y)]);
        let [e, n] = points
            .iter()
            .fold([f64::MIN; 2], |[e, n], [x, y]| [e.max(*x), n.max(*y)]);
        let (lon, lat) = points
            .iter()
            .map(|[x, y]| ((x - w) as f32, (y - s) as f32))
            .unzip();
        ([w, s, e, n], lon, lat)
    }

    /// The cells a circle's rim crosses, dense with points and some of them within a
    /// millimetre of the rim, count as `contains` says one by one, at every latitude the
    /// single-precision first test is used and beside the antimeridian; up to 50 km, nearly
    /// every point not by the rim is decided by that test.
    #[test]
    fn a_rim_cell_counted_eight_at_a_time_counts_what_contains_says() {
        let wgs84 = Geodesic::wgs84();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        let (mut points_seen, mut measured) = (0usize, 0usize);
        for round in 0..600 {
            let lat: f64 = rng.random_range(-78.0..78.0);
            let lon: f64 = match (round / 4) % 3 {
                0 => rng.random_range(179.9..180.0),
                _ => rng.random_range(-180.0..180.0),
            };
            let radius_m = [200.0, 5_000.0, 50_000.0, 400_000.0][round % 4];
            let radius = Radius::new(Point::new(lon, lat), radius_m);
            let azimuth: f64 = rng.random_range(0.0..360.0);
            let (rim_lat, rim_lon): (f64, f64) = wgs84.direct(lat, lon, azimuth, radius_m);
            let size = 0.005;
            let (west, south) = (
                rim_lon - rng.random_range(0.0..size),
                rim_lat - rng.random_range(0.0..size),
            );
            let mut points: Vec<[f64; 2]> = (0..rng.random_range(1..200))
                .map(|_| {
                    [
                        west + rng.random_range(0.0..size),
                        south + rng.random_range(0.0..size),
                    ]
                })
                .collect();
            let spread = points.len();
            // Some a millimetre or less either side of the rim, in the cell.
            for _ in 0..20 {
                let d = radius_m + rng.random_range(-1e-3..1e-3);
                let turn = rng.random_range(-1.0..1.0) * size * 20_000.0 / radius_m;
                let (y, x): (f64, f64) = wgs84.direct(lat, lon, azimuth + turn, d);
                if (west..west + size).contains(&x) && (south..south + size).contains(&y) {
                    points.push([x, y]);
                }
            }
            let ([w, s, e, n], lon_off, lat_off) = as_a_cell(&points);
            let one_by_one = points
                .iter()
                .filter(|[x, y]| radius.contains(Point::new(*x, *y)))
                .count();
            assert_eq!(
                radius.count_within([w, s, e, n], &points, &lon_off, &lat_off),
                one_by_one,
                "r {radius_m} at ({lon}, {lat})"
            );
            // And point by point, as a few of the cell's points are tested.
            let within = radius.in_cell([w, s, e, n]);
            for ((p, x), y) in points.iter().zip(&lon_off).zip(&lat_off) {
                assert_eq!(
                    within.contains(*x, *y, || *p),
                    radius.contains(Point::new(p[0], p[1])),
                    "{p:?}, r {radius_m} at ({lon}, {lat})"
                );
            }
            // Up to the radius of a region, short of the polar regions, on the centre's side of
            // the antimeridian: farther, the band the test leaves undecided is as wide as a
            // cell (a part in a thousand is 400 m at 400 km, and the scales change faster
            // near the poles).
            let typical = radius_m <= 50_000.0 && lat.abs() < 60.0 && (w - lon).abs() < 90.0;
            if let Some(narrow) = radius.narrow.filter(|_| typical) {
                let (dx, dy) = ((w - lon) as f32, (s - lat) as f32);
                // Of the points spread over the cell (those by the rim are all measured).
                points_seen += spread;
                measured += lon_off[..spread]
                    .iter()
                    .zip(&lat_off[..spread])
                    .filter(|(x, y)| narrow.decide(dx + **x, dy + **y) == [false, false])
                    .count();
            }
        }
        assert!(points_seen > 20_000, "only {points_seen} points");
        assert!(
            measured * 50 < points_seen,
            "{measured} of {points_seen} points measured one by one"
        );
    }

    /// The points of a lattice of `steps` × `steps` cells over the box `[west, south, east,
    /// north]`, its corners and edges included.
    fn lattice([w, s, e, n]: [f64; 4], steps: u32) -> impl Iterator<Item = Point> {
        let at = move |i: u32| f64::from(i) / f64::from(steps);
        (0..=steps).flat_map(move |i| {
            (0..=steps).map(move |j| Point::new(w + (e - w) * at(i), s + (n - s) * at(j)))
        })
    }

    /// A box said to be inside (outside) has every point inside (outside), checked at a lattice
    /// of points over boxes the size of grid cells and larger, at every distance from the rim.
    #[test]
    fn boxes_inside_or_outside_hold_only_such_points() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut decided = 0;
        for _ in 0..3_000 {
            let lat: f64 = rng.random_range(-75.0..75.0);
            let lon: f64 = rng.random_range(-180.0..180.0);
            let radius_m: f64 = rng.random_range(100.0..60_000.0);
            let radius = Radius::new(Point::new(lon, lat), radius_m);
            let size: f64 = [0.005, 0.02, 0.2][rng.random_range(0..3)];
            let reach = radius_m / 80_000.0 + size;
            let west = lon + rng.random_range(-reach..reach);
            let south = (lat + rng.random_range(-reach..reach)).clamp(-89.0, 88.0);
            let cell = [west, south, west + size, south + size];
            let coverage = radius.covers(cell);
            if coverage == Coverage::Partly {
                continue;
            }
            decided += 1;
            for p in lattice(cell, 8) {
                let inside = crate::geodesy::distance_m(radius.centre(), p) <= radius_m;
                assert_eq!(
                    inside,
                    coverage == Coverage::Inside,
                    "{cell:?} around ({lon}, {lat}) r {radius_m}"
                );
            }
        }
        assert!(decided > 1_000, "only {decided} boxes decided");
    }

    /// Every point of an inner box is within the radius (checked on a lattice, the box's
    /// corners and edges included), and a box around a town's centre is most of the circle's
    /// height.
    #[test]
    fn an_inner_box_holds_only_points_within_the_radius() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let mut boxes = 0;
        for _ in 0..2_000 {
            let lat: f64 = rng.random_range(-78.0..78.0);
            let lon: f64 = rng.random_range(-180.0..180.0);
            let radius_m: f64 = rng.random_range(100.0..100_000.0);
            let radius = Radius::new(Point::new(lon, lat), radius_m);
            let reach = radius_m / 60_000.0;
            let west = lon + rng.random_range(-reach..reach);
            let east = west + rng.random_range(0.0..reach / 4.0);
            let Some([w, s, e, n]) = radius.inner_box(west, east) else {
                continue;
            };
            boxes += 1;
            assert_eq!([w, e], [west, east]);
            for p in lattice([w, s, e, n], 6) {
                assert!(
                    crate::geodesy::distance_m(radius.centre(), p) <= radius_m,
                    "{p:?} in {:?} around ({lon}, {lat}) r {radius_m}",
                    [w, s, e, n]
                );
            }
        }
        assert!(boxes > 500, "only {boxes} inner boxes");
        let town = Radius::new(Point::new(46.75, 39.82), 5_000.0);
        let [_, s, _, n] = town.inner_box(46.749, 46.751).expect("an inner box");
        let height = degrees_of_latitude_within(5_000.0) * 2.0;
        assert!(n - s > 0.9 * height, "{} of {height}", n - s);
    }

    /// The coarse first test's promise: wherever it is trusted, the flat distance with the
    /// centre's scales is within a share ε of the mid-latitude one, for centres at every
    /// latitude and radius the fast test serves, and points up to its latitude reach.
    #[test]
    fn the_first_test_is_within_its_share_of_the_mid_latitude_distance() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut decided = 0;
        for &radius_m in &[50.0, 1_000.0, 10_000.0, 50_000.0, 200_000.0, 500_000.0] {
            for _ in 0..4_000 {
                let lat: f64 = rng.random_range(-79.0..79.0);
                let centre = Point::new(rng.random_range(-180.0..180.0), lat);
                let radius = Radius::new(centre, radius_m);
                let (Some(flat), Some(margin)) = (radius.flat, radius.margin_m) else {
                    continue;
                };
                let half = (flat.max_dlat / 2.0).to_radians();
                let worst = (lat.abs() + flat.max_dlat / 2.0).min(89.0).to_radians();
                let epsilon = ((worst.tan() + 0.011) * half).exp_m1();
                let reach = flat.max_dlat;
                let p = Point::new(
                    centre.x() + rng.random_range(-3.0 * reach..3.0 * reach),
                    (lat + rng.random_range(-1.5 * reach..1.5 * reach)).clamp(-89.9, 89.9),
                );
                let [kx, ky] = flat.per_degree;
                let flat_m = (kx * wrap(p.x() - centre.x())).hypot(ky * (p.y() - lat));
                let mid_m = radius.approximate_m(p);
                let within_reach = (p.y() - lat).abs() <= reach;
                assert!(
                    !within_reach || (flat_m - mid_m).abs() <= epsilon * flat_m + 1e-6,
                    "r {radius_m} at {centre:?}, {p:?}: {flat_m} vs {mid_m}, ε {epsilon}"
                );
                // The sloped scales' share, read back from its thresholds.
                let inside = (flat.sloped_inside_2 / (1.0 - 1e-9)).sqrt();
                let sloped = (radius_m - margin) / inside - 1.0;
                assert!(sloped <= epsilon * (1.0 + 1e-6), "{sloped} > {epsilon}");
                let sloped_m = flat
                    .sloped_squared_m(wrap(p.x() - centre.x()), p.y() - lat)
                    .sqrt();
                assert!(
                    !within_reach || (sloped_m - mid_m).abs() <= sloped * sloped_m + 1e-6,
                    "r {radius_m} at {centre:?}, {p:?}: {sloped_m} vs {mid_m}, ε' {sloped}"
                );
                if within_reach && radius_m == 10_000.0 && lat.abs() < 60.0 {
                    // Where towns are, the line is far closer than the centre's scales.
                    assert!(sloped < epsilon / 20.0, "{sloped} vs {epsilon} at {lat}");
                }
                if let Some(inside) = flat.decide(centre, p) {
                    decided += 1;
                    assert!(within_reach || !inside, "{p:?} beyond reach of {centre:?}");
                    assert_eq!(inside, mid_m + margin < radius_m, "{p:?} around {centre:?}");
                    assert_eq!(inside, crate::geodesy::distance_m(centre, p) <= radius_m);
                }
            }
        }
        assert!(decided > 10_000, "only {decided} points decided");
    }

    #[test]
    fn points_just_either_side_of_the_circle() {
        let wgs84 = Geodesic::wgs84();
        let centre = Point::new(46.7528, 39.8177);
        let radius = Radius::new(centre, 10_000.0);
        for azimuth in [0.0, 45.0, 90.0, 200.0] {
            let at = |d: f64| {
                let (lat, lon): (f64, f64) = wgs84.direct(centre.y(), centre.x(), azimuth, d);
                Point::new(lon, lat)
            };
            assert!(radius.contains(at(9_999.99)));
            assert!(!radius.contains(at(10_000.01)));
        }
    }

    #[test]
    fn envelopes_cross_the_antimeridian_and_reach_the_pole() {
        let boxes = Radius::new(Point::new(179.95, 0.0), 20_000.0).envelopes();
        assert_eq!(boxes.len(), 2);
        assert!(boxes[1][0] == -180.0 && boxes[1][2] > -179.9);
        let polar = Radius::new(Point::new(10.0, 89.95), 20_000.0).envelopes();
        assert_eq!(polar, vec![[-180.0, polar[0][1], 180.0, 90.0]]);
        // Every point of the circle lies in an envelope.
        let wgs84 = Geodesic::wgs84();
        for (lon, lat) in [(46.0, 40.0), (179.95, 0.0), (-179.99, 60.0), (0.0, -70.0)] {
            let radius = Radius::new(Point::new(lon, lat), 150_000.0);
            for step in 0..72 {
                let (lat2, lon2): (f64, f64) =
                    wgs84.direct(lat, lon, f64::from(step) * 5.0, 150_000.0);
                assert!(
                    radius
                        .envelopes()
                        .iter()
                        .any(|[w, s, e, n]| (*w..=*e).contains(&lon2) && (*s..=*n).contains(&lat2)),
                    "({lon2}, {lat2}) around ({lon}, {lat})"
                );
            }
        }
    }
}
