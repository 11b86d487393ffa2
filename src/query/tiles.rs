//! What one map tile shows of the incidents matching a query: every matching incident as a
//! point when the tile holds few enough to draw, otherwise cells of a fixed grid with their
//! count, summed death toll and dominant type, weapon and verification, so that a map can
//! colour and size its clusters honestly. Cells are fixed in the world at each zoom (not per
//! tile), so a cell near a tile's edge is the same in both tiles' buffers and no incident is
//! counted in two cells.

use super::IncidentQuery;
use super::execute::matching_among;
use crate::geodesy::mercator::{EXTENT_BITS, TileId};
use crate::index::{Index, MAP_CLASSES, MapPoint};
use crate::model::{IncidentType, Verification, Weapon};

/// Tile units across a tile.
pub const EXTENT: u32 = 1 << EXTENT_BITS;
/// How far beyond each edge a tile carries features, in tile units, so that circles and
/// labels near an edge are drawn whole.
pub const BUFFER: u32 = 64;
/// Cells are this many tile units across (64 × 64 cells per tile).
pub const CELL_BITS: u32 = 6;
/// A tile whose matches (buffer included) are at most this many carries them as points.
pub const POINTS_MAX: usize = 4_000;
/// From this zoom on, a tile carries points up to [`POINTS_MAX_DEEP`]: the cells would be a
/// few metres across and splitting them further shows nothing new.
pub const DEEP_ZOOM: u8 = 16;
pub const POINTS_MAX_DEEP: usize = 20_000;

/// Several incidents in one cell of the tile grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The members' mean position in tile units (may lie in the buffer).
    pub x: i32,
    pub y: i32,
    pub count: u32,
    /// Sum of each member's highest reported death toll (members without a figure add 0).
    pub killed: u64,
    /// Members with no reported death toll.
    pub killed_unreported: u32,
    /// The first member (the only one when `count` is 1).
    pub first: u32,
    /// The commonest type, weapon and verification among the members (ties: the first in
    /// the vocabulary), and how many members have it.
    pub dominant: [(u8, u32); 3],
}

/// A point of the tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePoint {
    pub incident: u32,
    pub x: i32,
    pub y: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TileFeatures {
    Points(Vec<TilePoint>),
    Cells(Vec<Cell>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Matching incidents inside the tile proper (the buffer not counted).
    pub matched: u64,
    pub features: TileFeatures,
}

/// Vocabulary sizes of the three classes, in [`MAP_CLASSES`] order.
fn class_sizes() -> [usize; 3] {
    [
        IncidentType::ALL.len(),
        Weapon::ALL.len(),
        Verification::ALL.len(),
    ]
}

/// Running totals of one cell.
struct Acc {
    sum_x: i64,
    sum_y: i64,
    count: u32,
    killed: u64,
    killed_unreported: u32,
    first: u32,
    /// Counts per class value, the classes one after another.
    classes: Vec<u32>,
}

/// The incidents matching `q` in `tile`.
pub fn tile(index: &Index, q: &IncidentQuery, tile: TileId) -> Tile {
    let [west, south, east, north] = tile.bounds(BUFFER);
    let candidates = index.grid.in_bbox(west, south, east, north);
    let members = matching_among(index, q, candidates);
    let lo = -i64::from(BUFFER);
    let hi = i64::from(EXTENT + BUFFER);
    let inside = |(x, y): (i64, i64)| (lo..hi).contains(&x) && (lo..hi).contains(&y);
    let proper = |(x, y): (i64, i64)| {
        (0..i64::from(EXTENT)).contains(&x) && (0..i64::from(EXTENT)).contains(&y)
    };
    let local = |i: u32| tile.local(index.map_points[i as usize].at);
    let limit = if tile.z() >= DEEP_ZOOM {
        POINTS_MAX_DEEP
    } else {
        POINTS_MAX
    };
    let mut matched = 0u64;
    if members.len() <= limit as u64 {
        let mut points = Vec::with_capacity(members.len() as usize);
        for i in &members {
            let at = local(i);
            if !inside(at) {
                continue;
            }
            matched += u64::from(proper(at));
            points.push(TilePoint {
                incident: i,
                x: at.0 as i32,
                y: at.1 as i32,
            });
        }
        return Tile {
            matched,
            features: TileFeatures::Points(points),
        };
    }
    let sizes = class_sizes();
    let offsets = [0, sizes[0], sizes[0] + sizes[1]];
    let width = sizes.iter().sum::<usize>();
    // Cells from one before the tile to one after it on each axis.
    let per_side = (EXTENT >> CELL_BITS) as i64 + 2;
    let mut slots: Vec<u32> = vec![u32::MAX; (per_side * per_side) as usize];
    let mut cells: Vec<Acc> = Vec::new();
    for i in &members {
        let at = local(i);
        if !inside(at) {
            continue;
        }
        matched += u64::from(proper(at));
        let cx = (at.0 >> CELL_BITS) + 1;
        let cy = (at.1 >> CELL_BITS) + 1;
        let slot = &mut slots[(cy * per_side + cx) as usize];
        if *slot == u32::MAX {
            *slot = cells.len() as u32;
            cells.push(Acc {
                sum_x: 0,
                sum_y: 0,
                count: 0,
                killed: 0,
                killed_unreported: 0,
                first: i,
                classes: vec![0; width],
            });
        }
        let acc = &mut cells[*slot as usize];
        let point: &MapPoint = &index.map_points[i as usize];
        acc.sum_x += at.0;
        acc.sum_y += at.1;
        acc.count += 1;
        if point.killed_high == MapPoint::UNREPORTED {
            acc.killed_unreported += 1;
        } else {
            acc.killed += u64::from(point.killed_high);
        }
        for class in MAP_CLASSES {
            let c = class as usize;
            acc.classes[offsets[c] + usize::from(point.classes[c])] += 1;
        }
    }
    let cells = cells
        .into_iter()
        .map(|acc| {
            let dominant = std::array::from_fn(|c| {
                let counts = &acc.classes[offsets[c]..offsets[c] + sizes[c]];
                let (value, n) = counts.iter().enumerate().fold((0, 0), |best, (v, n)| {
                    if *n > best.1 { (v, *n) } else { best }
                });
                (value as u8, n)
            });
            let n = i64::from(acc.count);
            Cell {
                x: (acc.sum_x.div_euclid(n)) as i32,
                y: (acc.sum_y.div_euclid(n)) as i32,
                count: acc.count,
                killed: acc.killed,
                killed_unreported: acc.killed_unreported,
                first: acc.first,
                dominant,
            }
        })
        .collect();
    Tile {
        matched,
        features: TileFeatures::Cells(cells),
    }
}
