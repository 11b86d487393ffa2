//! Depth bands for display: areas within 0–10, 10–25, 25–50 and 50–100 km of the line of
//! contact, for the map's shading. They are drawn by buffering the line in a local
//! equirectangular plane, good to about 1 % for display; every number strikemap reports
//! comes from the exact geodesic measures, never from these shapes.

use geo::{BooleanOps, Buffer, Coord, LineString, MapCoords, MultiLineString, MultiPolygon};

/// Band edges in kilometres.
pub const BAND_EDGES_KM: &[f64] = &[0.0, 10.0, 25.0, 50.0, 100.0];

/// Kilometres per degree of latitude (mean).
const KM_PER_DEGREE: f64 = 111.2;

/// One band: from and to (km) and its area.
#[derive(Debug, Clone)]
pub struct DepthBand {
    pub from_km: f64,
    pub to_km: f64,
    pub area: MultiPolygon,
}

/// Builds the bands around the line's parts (`(lon, lat)` degrees).
pub fn depth_bands(parts: &[Vec<geo::Point>]) -> Vec<DepthBand> {
    let count: usize = parts.iter().map(Vec::len).sum();
    if count == 0 {
        return Vec::new();
    }
    let lat0 = parts.iter().flatten().map(|p| p.y()).sum::<f64>() / count as f64;
    let scale_x = KM_PER_DEGREE * lat0.to_radians().cos();
    let to_plane = |c: Coord| Coord {
        x: c.x * scale_x,
        y: c.y * KM_PER_DEGREE,
    };
    let to_degrees = |c: Coord| Coord {
        x: c.x / scale_x,
        y: c.y / KM_PER_DEGREE,
    };
    let line = MultiLineString(
        parts
            .iter()
            .map(|part| LineString::from(part.clone()))
            .collect(),
    )
    .map_coords(to_plane);
    let mut bands = Vec::new();
    let mut inner: Option<MultiPolygon> = None;
    for pair in BAND_EDGES_KM.windows(2) {
        let outer = line.buffer(pair[1]);
        let area = match &inner {
            Some(inner) => outer.difference(inner),
            None => outer.clone(),
        };
        bands.push(DepthBand {
            from_km: pair[0],
            to_km: pair[1],
            area: area.map_coords(to_degrees),
        });
        inner = Some(outer);
    }
    bands
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Point};

    #[test]
    fn bands_nest_around_the_line() {
        let line = vec![vec![Point::new(46.0, 40.0), Point::new(46.0, 41.0)]];
        let bands = depth_bands(&line);
        assert_eq!(bands.len(), 4);
        // 0.2 degrees of longitude at 40.5 N is about 16.9 km: inside the 10-25 km band.
        let probe = Point::new(46.2, 40.5);
        let holder: Vec<f64> = bands
            .iter()
            .filter(|b| b.area.contains(&probe))
            .map(|b| b.from_km)
            .collect();
        assert_eq!(holder, vec![10.0]);
    }
}
