//! What one map tile shows of the incidents matching a query: every matching incident as a
//! point when the tile holds few enough to draw, otherwise cells of a fixed grid with their
//! count, summed death toll and dominant type, weapon and verification, so that a map can
//! colour and size its clusters honestly. Each incident is in exactly one tile at each zoom
//! and in one cell of it, so the counts of a zoom's tiles add up to the matches.

use super::IncidentQuery;
use super::execute::matching_among;
use crate::geodesy::mercator::{EXTENT_BITS, TileId};
use crate::index::{Index, MAP_CLASSES, MapPoint};
use crate::model::{IncidentType, Verification, Weapon};

/// Tile units across a tile.
pub const EXTENT: u32 = 1 << EXTENT_BITS;
/// The box asked of the grid reaches this many tile units beyond each edge, so that rounding
/// between degrees and tile units loses no incident on an edge; only incidents inside the
/// tile proper are carried (MapLibre draws circles and labels across tile edges, and an
/// incident in two tiles would be counted twice by a heatmap).
pub const BUFFER: u32 = 1;
/// Cells are 2^CELL_BITS tile units across: 8 × 8 cells per tile, about 64 px on a screen
/// where a tile is drawn 512 px wide, room for a cluster circle and its count.
pub const CELL_BITS: u32 = 9;
/// A tile with at most this many matches carries them as points.
pub const POINTS_MAX: usize = 4_000;
/// From this zoom on, a tile carries points up to [`POINTS_MAX_DEEP`]: the cells would be a
/// few metres across and splitting them further shows nothing new.
pub const DEEP_ZOOM: u8 = 16;
pub const POINTS_MAX_DEEP: usize = 20_000;

/// Several incidents in one cell of the tile grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The members' mean position in tile units.
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
    /// Matching incidents in the tile.
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
    let candidates = index.in_bbox(west, south, east, north);
    let members = matching_among(index, q, candidates);
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
            if !proper(at) {
                continue;
            }
            matched += 1;
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
    let per_side = (EXTENT >> CELL_BITS) as i64;
    let mut slots: Vec<u32> = vec![u32::MAX; (per_side * per_side) as usize];
    let mut cells: Vec<Acc> = Vec::new();
    for i in &members {
        let at = local(i);
        if !proper(at) {
            continue;
        }
        matched += 1;
        let cx = at.0 >> CELL_BITS;
        let cy = at.1 >> CELL_BITS;
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
