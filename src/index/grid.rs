//! Incidents by grid cell, for boxes: the cells a box covers whole contribute their sets as
//! they are, and only the incidents of the cells on its edge are checked one by one. Counting
//! the incidents in a box around a town then costs a few hundred set unions and a few
//! thousand comparisons, however many incidents the box holds.

use roaring::{MultiOps, RoaringBitmap};
use std::collections::HashMap;

/// Cell size in degrees (about 550 m north-south).
const CELL_DEG: f64 = 0.005;
/// Cells closer than this to a box's edge are checked point by point (floating-point margin).
const EDGE_DEG: f64 = 1e-9;

#[derive(Debug, Default)]
pub struct Grid {
    cells: HashMap<(i32, i32), RoaringBitmap>,
    /// Each incident's position, for the edge checks.
    positions: Vec<[f64; 2]>,
}

fn cell_of(lon: f64, lat: f64) -> (i32, i32) {
    (
        (lon / CELL_DEG).floor() as i32,
        (lat / CELL_DEG).floor() as i32,
    )
}

impl Grid {
    /// Incident `i` at `positions[i]` (longitude, latitude).
    pub fn new(positions: Vec<[f64; 2]>) -> Grid {
        let mut cells: HashMap<(i32, i32), RoaringBitmap> = HashMap::new();
        for (i, [lon, lat]) in positions.iter().enumerate() {
            cells
                .entry(cell_of(*lon, *lat))
                .or_default()
                .insert(i as u32);
        }
        Grid { cells, positions }
    }

    /// Every incident inside the box (edges included); `west > east` crosses the antimeridian.
    pub fn in_bbox(&self, west: f64, south: f64, east: f64, north: f64) -> RoaringBitmap {
        if west > east {
            let mut set = self.span(west, 180.0, south, north);
            set |= self.span(-180.0, east, south, north);
            return set;
        }
        self.span(west, east, south, north)
    }

    /// The incidents between longitudes `west` and `east` (`west <= east`) and latitudes
    /// `south` and `north`.
    fn span<'a>(&'a self, west: f64, east: f64, south: f64, north: f64) -> RoaringBitmap {
        let (x0, y0) = cell_of(west, south);
        let (x1, y1) = cell_of(east, north);
        // Whole cells are united in one pass (accumulating them one by one merges ever longer
        // arrays, quadratic in the cells).
        let mut whole_cells: Vec<&'a RoaringBitmap> = Vec::new();
        // Edge hits are gathered and added once, sorted: inserting them one by one in random
        // order would shift the bitmap's arrays at every insert.
        let mut edges: Vec<u32> = Vec::new();
        let mut take = |(x, y): (i32, i32), cell: &'a RoaringBitmap| {
            let (w, e) = (f64::from(x) * CELL_DEG, f64::from(x + 1) * CELL_DEG);
            let (s, n) = (f64::from(y) * CELL_DEG, f64::from(y + 1) * CELL_DEG);
            let whole = w > west + EDGE_DEG
                && e < east - EDGE_DEG
                && s > south + EDGE_DEG
                && n < north - EDGE_DEG;
            if whole {
                whole_cells.push(cell);
            } else {
                for i in cell {
                    let [lon, lat] = self.positions[i as usize];
                    if (west..=east).contains(&lon) && (south..=north).contains(&lat) {
                        edges.push(i);
                    }
                }
            }
        };
        let covered = (i64::from(x1) - i64::from(x0) + 1) * (i64::from(y1) - i64::from(y0) + 1);
        if covered > self.cells.len() as i64 {
            // A box larger than the data: visit the cells that exist.
            for (key, cell) in &self.cells {
                if (x0..=x1).contains(&key.0) && (y0..=y1).contains(&key.1) {
                    take(*key, cell);
                }
            }
        } else {
            for x in x0..=x1 {
                for y in y0..=y1 {
                    if let Some(cell) = self.cells.get(&(x, y)) {
                        take((x, y), cell);
                    }
                }
            }
        }
        edges.sort_unstable();
        let mut set = whole_cells.into_iter().union();
        set |= RoaringBitmap::from_sorted_iter(edges).unwrap_or_default();
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_select_exactly_what_they_contain() {
        // Points on a fine lattice, some exactly on cell and box edges.
        let mut positions = Vec::new();
        for i in 0..200 {
            for j in 0..50 {
                positions.push([46.0 + f64::from(i) * 0.0013, 39.5 + f64::from(j) * 0.0025]);
            }
        }
        positions.push([179.999, 0.0]);
        positions.push([-179.999, 0.0]);
        let grid = Grid::new(positions.clone());
        for (w, s, e, n) in [
            (46.01, 39.51, 46.1, 39.55),
            (46.0, 39.5, 46.005, 39.505),
            (46.0026, 39.5025, 46.0026, 39.5025),
            (40.0, 30.0, 50.0, 45.0),
            (179.0, -1.0, -179.0, 1.0),
            (-180.0, -90.0, 180.0, 90.0),
        ] {
            let inside = |lon: f64, lat: f64| {
                let in_lon = if w <= e {
                    (w..=e).contains(&lon)
                } else {
                    lon >= w || lon <= e
                };
                in_lon && (s..=n).contains(&lat)
            };
            let want: RoaringBitmap = positions
                .iter()
                .enumerate()
                .filter(|(_, [lon, lat])| inside(*lon, *lat))
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(grid.in_bbox(w, s, e, n), want, "{w} {s} {e} {n}");
        }
    }
}
