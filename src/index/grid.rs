//! Incidents by grid cell, for boxes and radii. Each cell's incidents are stored together,
//! with their positions beside them, so a box reads whole cells as runs of numbers and checks
//! only the incidents of the cells on its edge, from memory that lies together. The numbers
//! found are gathered into a set by marking a bit per incident rather than by uniting
//! hundreds of small sets, so a box around a town holding 27,000 incidents costs about as
//! much as touching 27,000 words.

use super::gather::Gather;
use crate::geodesy::{Coverage, Radius};
use geo::Point;
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::ops::Range;

/// Cell size in degrees (about 550 m north-south).
const CELL_DEG: f64 = 0.005;
/// Cells closer than this to a box's edge are checked point by point (floating-point margin).
const EDGE_DEG: f64 = 1e-9;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    /// Where each cell's incidents lie in `members`.
    cells: HashMap<(i32, i32), Range<u32>>,
    /// Incident numbers grouped by cell, ascending within a cell.
    members: Vec<u32>,
    /// Each member's position (longitude, latitude), beside it.
    positions: Vec<[f64; 2]>,
    /// How many incidents there are (members are numbered below this).
    incidents: usize,
    /// The smallest box holding every incident: `[west, south, east, north]`.
    extent: Option<[f64; 4]>,
}

fn cell_of(lon: f64, lat: f64) -> (i32, i32) {
    (
        (lon / CELL_DEG).floor() as i32,
        (lat / CELL_DEG).floor() as i32,
    )
}

/// The box `[west, south, east, north]` of cell `(x, y)`.
fn cell_box((x, y): (i32, i32)) -> [f64; 4] {
    [
        f64::from(x) * CELL_DEG,
        f64::from(y) * CELL_DEG,
        f64::from(x + 1) * CELL_DEG,
        f64::from(y + 1) * CELL_DEG,
    ]
}

impl Grid {
    /// Incident `i` at `positions[i]` (longitude, latitude).
    pub fn new(positions: &[[f64; 2]]) -> Grid {
        let mut by_cell: HashMap<(i32, i32), Vec<u32>> = HashMap::new();
        let mut extent: Option<[f64; 4]> = None;
        for (i, [lon, lat]) in positions.iter().enumerate() {
            // Incidents are visited in ascending order, so every cell's list is sorted.
            by_cell
                .entry(cell_of(*lon, *lat))
                .or_default()
                .push(i as u32);
            let e = extent.get_or_insert([*lon, *lat, *lon, *lat]);
            *e = [
                e[0].min(*lon),
                e[1].min(*lat),
                e[2].max(*lon),
                e[3].max(*lat),
            ];
        }
        let mut members = Vec::with_capacity(positions.len());
        let mut cells = HashMap::with_capacity(by_cell.len());
        for (key, list) in by_cell {
            let start = members.len() as u32;
            members.extend_from_slice(&list);
            cells.insert(key, start..members.len() as u32);
        }
        Grid {
            cells,
            positions: members.iter().map(|i| positions[*i as usize]).collect(),
            members,
            incidents: positions.len(),
            extent,
        }
    }

    /// Whether this grid can serve `incidents` incidents without reading out of bounds (a
    /// grid read back from a snapshot is checked before it is used).
    pub fn check(&self, incidents: usize) -> Result<(), String> {
        if self.incidents != incidents || self.positions.len() != self.members.len() {
            return Err("the grid's parts disagree in length".into());
        }
        if self.members.iter().any(|i| *i as usize >= incidents) {
            return Err("the grid names an incident that is not there".into());
        }
        let members = self.members.len() as u32;
        if self
            .cells
            .values()
            .any(|r| r.start > r.end || r.end > members)
        {
            return Err("a grid cell lies outside the grid".into());
        }
        Ok(())
    }

    /// The smallest box `[west, south, east, north]` holding every incident (`None`: none).
    pub fn extent(&self) -> Option<[f64; 4]> {
        self.extent
    }

    /// The box as one or two spans (`west > east` crosses the antimeridian).
    fn spans(west: f64, south: f64, east: f64, north: f64) -> Vec<[f64; 4]> {
        if west > east {
            vec![[west, south, 180.0, north], [-180.0, south, east, north]]
        } else {
            vec![[west, south, east, north]]
        }
    }

    /// Calls `visit` with each non-empty cell overlapping the box's spans: where its incidents
    /// lie in `members`, whether the cell lies wholly inside the span (its members need no
    /// check), and the span.
    fn visit_box(&self, spans: &[[f64; 4]], mut visit: impl FnMut(Range<u32>, bool, [f64; 4])) {
        for &[w, s, e, n] in spans {
            self.visit_cells(w, s, e, n, |key, range| {
                let [cw, cs, ce, cn] = cell_box(key);
                let whole = cw > w + EDGE_DEG
                    && ce < e - EDGE_DEG
                    && cs > s + EDGE_DEG
                    && cn < n - EDGE_DEG;
                visit(range, whole, [w, s, e, n]);
            });
        }
    }

    /// Every incident inside the box (edges included); `west > east` crosses the antimeridian.
    pub fn in_bbox(&self, west: f64, south: f64, east: f64, north: f64) -> RoaringBitmap {
        let spans = Self::spans(west, south, east, north);
        if let Some([w, s, e, n]) = self.extent
            && spans
                .iter()
                .any(|b| b[0] <= w && b[1] <= s && b[2] >= e && b[3] >= n)
        {
            // The box holds everything.
            let mut all = RoaringBitmap::new();
            all.insert_range(0..self.incidents as u32);
            return all;
        }
        let mut visits = Vec::new();
        self.visit_box(&spans, |range, whole, span| {
            visits.push((range, whole, span))
        });
        let expected = visits.iter().map(|(r, _, _)| r.len()).sum();
        let mut gather = Gather::new(expected, self.incidents);
        for (range, whole, [w, s, e, n]) in visits {
            let (from, to) = (range.start as usize, range.end as usize);
            if whole {
                gather.add_all(&self.members[from..to]);
                continue;
            }
            for (i, [lon, lat]) in self.members[from..to].iter().zip(&self.positions[from..to]) {
                if (w..=e).contains(lon) && (s..=n).contains(lat) {
                    gather.add(*i);
                }
            }
        }
        gather.finish()
    }

    /// How many incidents lie inside the box (edges included, as [`Grid::in_bbox`]) and the
    /// `take` smallest numbers among them after the first `skip` (the largest, with
    /// `descending`), without gathering the box's incidents into a set: whole cells are
    /// counted by their length and merged as sorted runs, edge cells checked point by point.
    /// With `days`, only the members in its run of numbers count, and its list of others
    /// (ascending, known to lie in the box) joins the merge as one more run.
    pub fn page_in_bbox(
        &self,
        [west, south, east, north]: [f64; 4],
        days: Option<(Range<u32>, Vec<u32>)>,
        skip: usize,
        take: usize,
        descending: bool,
    ) -> (usize, Vec<u32>) {
        let spans = Self::spans(west, south, east, north);
        let (run, others) = match days {
            Some((run, others)) => (run, others),
            None => (0..u32::MAX, Vec::new()),
        };
        let mut runs: Vec<std::borrow::Cow<[u32]>> = Vec::new();
        self.visit_box(&spans, |range, whole, [w, s, e, n]| {
            // A cell's members ascend: those in the run of days are one slice of them.
            let cell = &self.members[range.start as usize..range.end as usize];
            let from = range.start as usize + cell.partition_point(|i| *i < run.start);
            let to = range.start as usize + cell.partition_point(|i| *i < run.end);
            if from >= to {
                return;
            }
            let members = &self.members[from..to];
            if whole {
                runs.push(std::borrow::Cow::Borrowed(members));
            } else {
                let inside: Vec<u32> = members
                    .iter()
                    .zip(&self.positions[from..to])
                    .filter(|(_, [lon, lat])| (w..=e).contains(lon) && (s..=n).contains(lat))
                    .map(|(i, _)| *i)
                    .collect();
                if !inside.is_empty() {
                    runs.push(std::borrow::Cow::Owned(inside));
                }
            }
        });
        if !others.is_empty() {
            runs.push(std::borrow::Cow::Owned(others));
        }
        let count = runs.iter().map(|r| r.len()).sum();
        // A k-way merge of the runs (each ascending) through a heap of their next members.
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let wanted = skip.saturating_add(take).min(count);
        let mut page = Vec::with_capacity(take.min(wanted));
        let mut next: Vec<usize> = runs
            .iter()
            .map(|r| if descending { r.len() } else { 0 })
            .collect();
        let head = |run: &[u32], at: usize| -> Option<u32> {
            if descending {
                at.checked_sub(1).map(|a| run[a])
            } else {
                run.get(at).copied()
            }
        };
        // Keys ordered so that the heap's top is the next member in the requested order.
        let key = |i: u32| {
            if descending {
                u64::from(u32::MAX - i)
            } else {
                u64::from(i)
            }
        };
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = runs
            .iter()
            .enumerate()
            .filter_map(|(r, run)| head(run, next[r]).map(|i| Reverse((key(i), r))))
            .collect();
        let mut seen = 0;
        while seen < wanted {
            let Some(Reverse((_, r))) = heap.pop() else {
                break;
            };
            let Some(i) = head(&runs[r], next[r]) else {
                continue;
            };
            if seen >= skip {
                page.push(i);
            }
            seen += 1;
            next[r] = if descending { next[r] - 1 } else { next[r] + 1 };
            if let Some(j) = head(&runs[r], next[r]) {
                heap.push(Reverse((key(j), r)));
            }
        }
        (count, page)
    }

    /// Every incident within the radius (boundary included), measured on the ellipsoid.
    pub fn within(&self, radius: &Radius) -> RoaringBitmap {
        let mut ranges = Vec::new();
        for [w, s, e, n] in radius.envelopes() {
            self.visit_cells(w, s, e, n, |key, range| {
                match radius.covers(cell_box(key)) {
                    Coverage::Outside => {}
                    coverage => ranges.push((range, coverage == Coverage::Inside)),
                }
            });
        }
        let expected = ranges.iter().map(|(r, _)| r.len()).sum();
        let mut gather = Gather::new(expected, self.incidents);
        for (range, whole) in ranges {
            let (from, to) = (range.start as usize, range.end as usize);
            if whole {
                gather.add_all(&self.members[from..to]);
                continue;
            }
            for (i, [lon, lat]) in self.members[from..to].iter().zip(&self.positions[from..to]) {
                if radius.contains(Point::new(*lon, *lat)) {
                    gather.add(*i);
                }
            }
        }
        gather.finish()
    }

    /// Calls `visit` with each non-empty cell overlapping the box (`west <= east`) and where
    /// its incidents lie in `members`.
    fn visit_cells(
        &self,
        west: f64,
        south: f64,
        east: f64,
        north: f64,
        mut visit: impl FnMut((i32, i32), Range<u32>),
    ) {
        let (x0, y0) = cell_of(west, south);
        let (x1, y1) = cell_of(east, north);
        let covered = (i64::from(x1) - i64::from(x0) + 1) * (i64::from(y1) - i64::from(y0) + 1);
        if covered > self.cells.len() as i64 {
            // A box larger than the data: visit the cells that exist.
            for (key, range) in &self.cells {
                if (x0..=x1).contains(&key.0) && (y0..=y1).contains(&key.1) {
                    visit(*key, range.clone());
                }
            }
        } else {
            for x in x0..=x1 {
                for y in y0..=y1 {
                    if let Some(range) = self.cells.get(&(x, y)) {
                        visit((x, y), range.clone());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lattice() -> Vec<[f64; 2]> {
        // Points on a fine lattice, some exactly on cell and box edges.
        let mut positions = Vec::new();
        for i in 0..200 {
            for j in 0..50 {
                positions.push([46.0 + f64::from(i) * 0.0013, 39.5 + f64::from(j) * 0.0025]);
            }
        }
        positions.push([179.999, 0.0]);
        positions.push([-179.999, 0.0]);
        positions
    }

    #[test]
    fn boxes_select_exactly_what_they_contain() {
        let positions = lattice();
        let grid = Grid::new(&positions);
        for (w, s, e, n) in [
            (46.01, 39.51, 46.1, 39.55),
            (46.0, 39.5, 46.005, 39.505),
            (46.0026, 39.5025, 46.0026, 39.5025),
            (40.0, 30.0, 50.0, 45.0),
            (179.0, -1.0, -179.0, 1.0),
            (-180.0, -90.0, 180.0, 90.0),
            (46.0, 39.5, 179.999, 39.6225),
            (46.1, 39.55, 46.2, 39.6),
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

    #[test]
    fn radii_select_exactly_what_lies_within() {
        let positions = lattice();
        let grid = Grid::new(&positions);
        for (lon, lat, metres) in [
            (46.1, 39.55, 2_000.0),
            (46.0, 39.5, 50.0),
            (46.13, 39.6, 15_000.0),
            (-179.9995, 0.0, 1_000.0),
            (46.3, 39.9, 1.0),
        ] {
            let centre = Point::new(lon, lat);
            let want: RoaringBitmap = positions
                .iter()
                .enumerate()
                .filter(|(_, [x, y])| {
                    crate::geodesy::distance_m(centre, Point::new(*x, *y)) <= metres
                })
                .map(|(i, _)| i as u32)
                .collect();
            let got = grid.within(&Radius::new(centre, metres));
            assert_eq!(got, want, "{lon} {lat} {metres}");
        }
    }

    #[test]
    fn a_damaged_grid_read_back_is_refused() {
        let positions = lattice();
        let grid = Grid::new(&positions);
        assert_eq!(grid.check(positions.len()), Ok(()));
        assert!(grid.check(positions.len() + 1).is_err());
        let mut beyond = Grid::new(&positions);
        beyond.members[0] = positions.len() as u32;
        assert!(beyond.check(positions.len()).is_err());
        let mut cell = Grid::new(&positions);
        if let Some(range) = cell.cells.values_mut().next() {
            *range = 0..(positions.len() as u32 + 5);
        }
        assert!(cell.check(positions.len()).is_err());
    }
}
