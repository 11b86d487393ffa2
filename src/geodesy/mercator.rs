//! Web Mercator (EPSG:3857) as the WebMercatorQuad tile matrix set of OGC API – Tiles uses
//! it: the world between ±85.0511° is a square, split into 2^z × 2^z tiles at zoom z, tile
//! (0, 0) in the north-west. Positions are kept as 32-bit fixed-point fractions of that square,
//! so a tile and a pixel within it are bit shifts of the same integer at every zoom up to
//! [`MAX_ZOOM`], and an incident lands in exactly one cell whichever tile is asked for.

use std::f64::consts::PI;

/// The latitude where Web Mercator's square ends.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;
/// Units across a tile (the MVT default).
pub const EXTENT_BITS: u32 = 12;
/// The deepest zoom with a whole number of fixed-point units per tile unit.
pub const MAX_ZOOM: u8 = (32 - EXTENT_BITS) as u8;

/// A position in the Web Mercator square as fractions of 2^32 from the west and north edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldPoint {
    pub x: u32,
    pub y: u32,
}

const SCALE: f64 = 4_294_967_296.0; // 2^32

fn to_fixed(fraction: f64) -> u32 {
    // Saturates at both ends: a pole or the antimeridian stays on the square's edge.
    (fraction * SCALE).clamp(0.0, SCALE - 1.0) as u32
}

impl WorldPoint {
    /// Projects a longitude and latitude (degrees); latitudes beyond ±85.05° are held at the
    /// square's edge.
    pub fn from_lon_lat(lon: f64, lat: f64) -> WorldPoint {
        let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
        let x = (lon + 180.0) / 360.0;
        let y = 0.5 - ((PI / 4.0 + lat / 2.0).tan().ln()) / (2.0 * PI);
        WorldPoint {
            x: to_fixed(x),
            y: to_fixed(y),
        }
    }

    /// Back to longitude and latitude (degrees).
    pub fn lon_lat(self) -> (f64, f64) {
        unproject(f64::from(self.x) / SCALE, f64::from(self.y) / SCALE)
    }
}

fn unproject(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    (lon, lat)
}

/// One tile of WebMercatorQuad; only valid addresses can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    z: u8,
    x: u32,
    y: u32,
}

/// Why a tile address is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileIdError {
    #[error("zoom {0} is deeper than the deepest offered, {MAX_ZOOM}")]
    Zoom(u32),
    #[error("column {x} is outside 0..{n} at zoom {z}")]
    Column { x: u32, z: u8, n: u64 },
    #[error("row {y} is outside 0..{n} at zoom {z}")]
    Row { y: u32, z: u8, n: u64 },
}

impl TileId {
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, TileIdError> {
        if z > u32::from(MAX_ZOOM) {
            return Err(TileIdError::Zoom(z));
        }
        let z = z as u8;
        let n = 1u64 << z;
        if u64::from(x) >= n {
            return Err(TileIdError::Column { x, z, n });
        }
        if u64::from(y) >= n {
            return Err(TileIdError::Row { y, z, n });
        }
        Ok(TileId { z, x, y })
    }

    pub fn z(self) -> u8 {
        self.z
    }
    pub fn x(self) -> u32 {
        self.x
    }
    pub fn y(self) -> u32 {
        self.y
    }

    /// Fixed-point units per tile unit at this zoom.
    fn shift(self) -> u32 {
        32 - EXTENT_BITS - u32::from(self.z)
    }

    /// The tile's corner in tile units counted from the world's north-west corner.
    fn origin(self) -> (i64, i64) {
        (
            i64::from(self.x) << EXTENT_BITS,
            i64::from(self.y) << EXTENT_BITS,
        )
    }

    /// Where `p` falls in this tile's coordinates (0..4096 inside, beyond in the buffer).
    pub fn local(self, p: WorldPoint) -> (i64, i64) {
        let (ox, oy) = self.origin();
        (
            i64::from(p.x >> self.shift()) - ox,
            i64::from(p.y >> self.shift()) - oy,
        )
    }

    /// `[west, south, east, north]` in degrees, widened by `buffer` tile units on each side
    /// (clamped to the world).
    pub fn bounds(self, buffer: u32) -> [f64; 4] {
        let n = f64::from(1u32 << EXTENT_BITS) * (1u64 << self.z) as f64;
        let (ox, oy) = self.origin();
        let b = i64::from(buffer);
        let edge = |v: i64| (v as f64 / n).clamp(0.0, 1.0);
        let (west, north) = unproject(edge(ox - b), edge(oy - b));
        let extent = 1i64 << EXTENT_BITS;
        let (east, south) = unproject(edge(ox + extent + b), edge(oy + extent + b));
        [west, south, east, north]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_like_the_published_tile_scheme() {
        // Stepanakert/Khankendi (46.7528 E, 39.8177 N) is in tile 10/644/388 of the OSM scheme:
        // x = floor((46.7528 + 180) / 360 * 1024) = floor(644.99) = 644, y from the Mercator formula = 388.
        let p = WorldPoint::from_lon_lat(46.7528, 39.8177);
        let tile = TileId::new(10, 644, 388).expect("valid");
        let (x, y) = tile.local(p);
        assert!((0..4096).contains(&x) && (0..4096).contains(&y), "{x} {y}");
        let [w, s, e, n] = tile.bounds(0);
        assert!(w < 46.7528 && 46.7528 < e && s < 39.8177 && 39.8177 < n);
        // The neighbour sees it west of its own edge.
        let east = TileId::new(10, 645, 388).expect("valid");
        assert!(east.local(p).0 < 0);
    }

    #[test]
    fn round_trips_within_a_millimetre_scale() {
        for (lon, lat) in [(46.75, 39.82), (-179.9, -84.0), (0.0, 0.0), (179.99, 85.0)] {
            let (lo, la) = WorldPoint::from_lon_lat(lon, lat).lon_lat();
            assert!(
                (lo - lon).abs() < 1e-6 && (la - lat).abs() < 1e-6,
                "{lon} {lat}"
            );
        }
    }

    #[test]
    fn refuses_addresses_outside_the_matrix() {
        assert!(TileId::new(0, 0, 0).is_ok());
        assert_eq!(TileId::new(21, 0, 0), Err(TileIdError::Zoom(21)));
        assert!(matches!(
            TileId::new(3, 8, 0),
            Err(TileIdError::Column { .. })
        ));
        assert!(matches!(TileId::new(3, 0, 8), Err(TileIdError::Row { .. })));
        let [w, s, e, n] = TileId::new(0, 0, 0).expect("valid").bounds(64);
        assert_eq!((w, e), (-180.0, 180.0));
        assert!((n - MAX_LATITUDE).abs() < 1e-9 && (s + MAX_LATITUDE).abs() < 1e-9);
    }
}
