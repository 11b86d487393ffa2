//! Incidents by grid cell, for boxes and radii. Each cell's incidents are stored together,
//! with their positions beside them, so a box reads whole cells as runs of numbers (its
//! interior as blocks of 4 × 4 cells) and checks only the incidents of the cells on its
//! edge, from memory that lies together. The numbers found are gathered into a set by marking
//! a bit per incident rather than by uniting hundreds of small sets, so a box around a town
//! holding 27,000 incidents costs about as much as touching 27,000 words.

mod blocks;
mod marked;
mod ranked;

pub use marked::{Bits, Marked, Marking};
pub use ranked::{Counting, Ranked, Region, key_order};

use super::gather::Gather;
use super::kept::Kept;
use crate::geodesy::{Coverage, Radius};
use blocks::Blocks;
use geo::Point;
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

/// Cell size in degrees (about 550 m north-south).
const CELL_DEG: f64 = 0.005;

/// What a member read in a merge costs (a step of a heap of runs) against one gathered
/// (a bit found and its number copied, then sorted with the others).
const MERGE_COST: u64 = 8;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    /// The non-empty cells, ascending by column then row, so a column's cells in a box are
    /// one slice found by binary search (no hashing per cell).
    keys: Vec<(i32, i32)>,
    /// Cell `k`'s incidents are `members[starts[k]..starts[k + 1]]` (one more entry than keys).
    starts: Vec<u32>,
    /// Incident numbers grouped by cell, ascending within a cell.
    members: Vec<u32>,
    /// Each member's position (longitude, latitude), beside it.
    positions: Vec<[f64; 2]>,
    /// Cell `k`'s members lie in `bounds[k]` (`[west, south, east, north]`, their extent): a
    /// box whose edge crosses the cell but not its members (as a box drawn on round
    /// coordinates meets the cells along its edges) takes them all, or none, unchecked.
    bounds: Vec<[f64; 4]>,
    /// How many incidents there are (members are numbered below this).
    incidents: usize,
    /// The smallest box holding every incident: `[west, south, east, north]`.
    extent: Option<[f64; 4]>,
    /// The positions again as offsets east and north of their cell's south-west bounds, in
    /// single precision, longitudes and latitudes apart, for counting the cells a circle's rim
    /// crosses four points at a time (see [`Radius::count_within`]); made from `positions`
    /// on the first circle (a few milliseconds at a million), so a snapshot need not hold
    /// them.
    #[serde(skip)]
    columns: OnceLock<(Vec<f32>, Vec<f32>)>,
    /// Blocks of cells, read whole inside a box or a circle (see [`Blocks`]); made from the
    /// cells on the first of them (14 ms at a million), so a snapshot need not hold them.
    #[serde(skip)]
    blocks: OnceLock<Blocks>,
    /// Which members hold a named set ([`Marked`]), for a few sets a query has asked about
    /// with a box or a radius, made on first use. Only an index as built reads them: its
    /// sets are the ones they were made from.
    #[serde(skip)]
    marks: Kept<Marking, Marked, MARKED_KEPT>,
}

/// How many named sets' marks a grid keeps (about 400 KB each at a million).
const MARKED_KEPT: usize = 16;

/// What a box reads: a cell's members (where they lie in the grid's), all inside the box or
/// each to be checked, or a block's members, all inside (and where they begin among the
/// blocks' members).
enum Part<'g> {
    Cell(Range<u32>, bool),
    Block(u32, &'g [u32]),
}

fn cell_of(lon: f64, lat: f64) -> (i32, i32) {
    (
        (lon / CELL_DEG).floor() as i32,
        (lat / CELL_DEG).floor() as i32,
    )
}

/// The smallest box `[west, south, east, north]` holding the positions (`[0; 4]` for none).
fn extent_of(positions: &[[f64; 2]]) -> [f64; 4] {
    let Some([lon, lat]) = positions.first() else {
        return [0.0; 4];
    };
    positions
        .iter()
        .fold([*lon, *lat, *lon, *lat], |[w, s, e, n], [lon, lat]| {
            [w.min(*lon), s.min(*lat), e.max(*lon), n.max(*lat)]
        })
}

/// Whether the box `inner` lies wholly in the box `outer` (both `[west, south, east, north]`,
/// edges included).
fn holds([w, s, e, n]: [f64; 4], [bw, bs, be, bn]: [f64; 4]) -> bool {
    w <= bw && be <= e && s <= bs && bn <= n
}

/// Whether the position lies in the box (edges included).
fn inside([w, s, e, n]: [f64; 4], [lon, lat]: [f64; 2]) -> bool {
    (w..=e).contains(&lon) && (s..=n).contains(&lat)
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
        let mut cells: Vec<((i32, i32), Vec<u32>)> = by_cell.into_iter().collect();
        cells.sort_unstable_by_key(|(key, _)| *key);
        let mut members = Vec::with_capacity(positions.len());
        let mut keys = Vec::with_capacity(cells.len());
        let mut starts = Vec::with_capacity(cells.len() + 1);
        for (key, list) in cells {
            keys.push(key);
            starts.push(members.len() as u32);
            members.extend_from_slice(&list);
        }
        starts.push(members.len() as u32);
        let incidents = positions.len();
        let positions: Vec<[f64; 2]> = members.iter().map(|i| positions[*i as usize]).collect();
        let bounds = starts
            .windows(2)
            .map(|w| extent_of(&positions[w[0] as usize..w[1] as usize]))
            .collect();
        Grid {
            keys,
            starts,
            positions,
            bounds,
            members,
            incidents,
            extent,
            columns: OnceLock::new(),
            blocks: OnceLock::new(),
            marks: Kept::default(),
        }
    }

    /// Which members hold the set kept under `key`, made now from `set` if not kept and
    /// `make` is set (`None` from `set`: it cannot be marked); `None` until then.
    pub fn marks<'s>(
        &self,
        key: &Marking,
        set: impl FnOnce() -> Option<super::Held<'s>>,
        make: bool,
    ) -> Option<std::sync::Arc<Marked>> {
        if let Some(marked) = self.marks.kept(key) {
            return Some(marked);
        }
        if !make {
            return None;
        }
        let set = set()?;
        Some(self.marks.with(key.clone(), || self.marked(&set)))
    }

    fn blocks(&self) -> &Blocks {
        self.blocks
            .get_or_init(|| Blocks::new(&self.keys, &self.starts, &self.members, &self.bounds))
    }

    /// The single-precision offsets of `positions` from their cells' corners (see
    /// `columns`).
    fn columns(&self) -> (&[f32], &[f32]) {
        let (lon, lat) = self.columns.get_or_init(|| {
            let mut columns = (Vec::with_capacity(self.positions.len()), Vec::new());
            columns.1.reserve(self.positions.len());
            for (w, [west, south, ..]) in self.starts.windows(2).zip(&self.bounds) {
                for [lon, lat] in &self.positions[w[0] as usize..w[1] as usize] {
                    columns.0.push((lon - west) as f32);
                    columns.1.push((lat - south) as f32);
                }
            }
            columns
        });
        (lon, lat)
    }

    /// Whether the member at a slot of cell `cell` (one the circle crosses) lies within the
    /// radius: first tested on its offsets in single precision, measured only if undecided
    /// (see [`Radius::in_cell`]).
    fn rim<'a>(&'a self, radius: &'a Radius, cell: u32) -> impl Fn(usize) -> bool + 'a {
        let (lon, lat) = self.columns();
        let within = radius.in_cell(self.bounds[cell as usize]);
        move |slot| within.contains(lon[slot], lat[slot], || self.positions[slot])
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
        if self.starts.len() != self.keys.len() + 1
            || self.starts.first().is_some_and(|s| *s != 0)
            || self.starts.last().map(|s| *s as usize) != Some(self.members.len())
            || self.starts.windows(2).any(|w| w[0] > w[1])
        {
            return Err("a grid cell lies outside the grid".into());
        }
        if self.keys.windows(2).any(|w| w[0] >= w[1]) {
            return Err("the grid's cells are out of order".into());
        }
        let bounded = self.bounds.len() == self.keys.len()
            && self.starts.windows(2).zip(&self.bounds).all(|(w, b)| {
                self.positions[w[0] as usize..w[1] as usize]
                    .iter()
                    .all(|p| inside(*b, *p))
            });
        if !bounded {
            return Err("a grid cell's members lie outside its bounds".into());
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

    /// How many cells the box spans (both parts, across the antimeridian), empty or not.
    pub fn cells_spanned([west, south, east, north]: [f64; 4]) -> u64 {
        Self::spans(west, south, east, north)
            .iter()
            .map(|&[w, s, e, n]| {
                let (x0, y0) = cell_of(w, s);
                let (x1, y1) = cell_of(e, n);
                let side = |a: i32, b: i32| (i64::from(b) - i64::from(a) + 1).max(0) as u64;
                side(x0, x1) * side(y0, y1)
            })
            .sum()
    }

    /// Calls `visit` with each part of the box's spans that may have members in them, and the
    /// span: a block of cells wholly inside a span (its members need no check), or a cell
    /// with where its incidents lie in `members` and whether they all lie inside the span (by
    /// the cell's bounds: they need no check). Cells whose bounds miss the span are not
    /// visited.
    fn visit_box<'g, 's>(
        &'g self,
        spans: &'s [[f64; 4]],
        blocks: bool,
        mut visit: impl FnMut(Part<'g>, &'s [f64; 4]),
    ) {
        let blocks = blocks.then(|| self.blocks());
        for span in spans {
            let [w, s, e, n] = *span;
            self.visit_cells(w, s, e, n, |k, range| {
                if let Some(whole) =
                    blocks.and_then(|b| b.whole_at(k, |_, bounds| holds(*span, bounds)))
                {
                    if let Some((from, members)) = whole {
                        visit(Part::Block(from, members), span);
                    }
                    return;
                }
                let [bw, bs, be, bn] = self.bounds[k];
                if be < w || bw > e || bn < s || bs > n {
                    return;
                }
                visit(Part::Cell(range, holds(*span, self.bounds[k])), span);
            });
        }
    }

    /// Calls `visit` with the members of each cell the circle reaches, their positions beside
    /// them, and whether all of them lie within it (otherwise each is to be checked).
    pub fn visit_within(&self, radius: &Radius, mut visit: impl FnMut(&[u32], &[[f64; 2]], bool)) {
        self.visit_radius(radius, |_, range, whole| {
            let (from, to) = (range.start as usize, range.end as usize);
            visit(&self.members[from..to], &self.positions[from..to], whole);
        });
    }

    /// Every incident inside the box (edges included); `west > east` crosses the antimeridian.
    pub fn in_bbox(&self, west: f64, south: f64, east: f64, north: f64) -> RoaringBitmap {
        let spans = Self::spans(west, south, east, north);
        if let Some(extent) = self.extent
            && spans.iter().any(|span| holds(*span, extent))
        {
            // The box holds everything.
            let mut all = RoaringBitmap::new();
            all.insert_range(0..self.incidents as u32);
            return all;
        }
        let mut visits = Vec::new();
        let mut blocks = Vec::new();
        self.visit_box(&spans, true, |part, span| match part {
            Part::Cell(range, whole) => visits.push((range, whole, *span)),
            Part::Block(_, members) => blocks.push(members),
        });
        let expected = visits.iter().map(|(r, _, _)| r.len()).sum::<usize>()
            + blocks.iter().map(|b| b.len()).sum::<usize>();
        let mut gather = Gather::new(expected, self.incidents);
        for members in blocks {
            gather.add_all(members);
        }
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
    /// counted by their length and merged as sorted runs, edge cells counted point by point
    /// and merged as runs that skip what lies outside (nothing is copied). With `days`, only
    /// the members in its run of numbers count, and its list of others (ascending, known to lie
    /// in the box) joins the merge as one more run.
    pub fn page_in_bbox(
        &self,
        [west, south, east, north]: [f64; 4],
        days: Option<(Range<u32>, Vec<u32>)>,
        skip: usize,
        take: usize,
        descending: bool,
    ) -> (usize, Vec<u32>) {
        let spans = Self::spans(west, south, east, north);
        self.page_of(
            |cell| {
                self.visit_box(&spans, true, |part, span| match part {
                    Part::Cell(range, whole) => cell.add(
                        range,
                        if whole {
                            Check::Every
                        } else {
                            Check::Span(span)
                        },
                    ),
                    Part::Block(from, members) => cell.add_block(from, members),
                })
            },
            days,
            skip,
            take,
            descending,
        )
    }

    /// As [`Grid::page_in_bbox`], for the incidents within the radius (boundary included, on
    /// the ellipsoid, as [`Grid::within`]): cells wholly inside counted by their length, cells
    /// the circle crosses point by point.
    pub fn page_within(
        &self,
        radius: &Radius,
        days: Option<(Range<u32>, Vec<u32>)>,
        skip: usize,
        take: usize,
        descending: bool,
    ) -> (usize, Vec<u32>) {
        self.page_of(
            |cell| {
                self.visit_radius_parts(radius, true, |(k, part)| match part {
                    Part::Cell(range, whole) => cell.add(
                        range,
                        if whole {
                            Check::Every
                        } else {
                            Check::Within(radius, k as u32)
                        },
                    ),
                    Part::Block(from, members) => cell.add_block(from, members),
                })
            },
            days,
            skip,
            take,
            descending,
        )
    }

    /// The count and page of the members of the cells that `cells` hands over (each with
    /// the check its members need), within `days` when given (see [`Grid::page_in_bbox`]).
    fn page_of<'a>(
        &'a self,
        cells: impl FnOnce(&mut Cells<'a>),
        days: Option<(Range<u32>, Vec<u32>)>,
        skip: usize,
        take: usize,
        descending: bool,
    ) -> (usize, Vec<u32>) {
        let (run, others) = match days {
            Some((run, others)) => (Some(run), others),
            None => (None, Vec::new()),
        };
        let mut kept = Cells::new(self, run, None);
        cells(&mut kept);
        let (count, runs) = kept.with_others(&others);
        let wanted = skip.saturating_add(take).min(count);
        (count, merge(self, &runs, skip, wanted, descending))
    }

    /// As [`Grid::page_in_bbox`] and [`Grid::page_within`], for the members of the region
    /// that `marked` marks (of a named set; `days`' list of others holds only those): whole
    /// cells and blocks counted by the bits set among them, edge cells member by member. A
    /// merge reads about `members / count` of the region's members for each one it keeps;
    /// when the set is rare enough in the region that this costs more than gathering what it
    /// keeps (and sorting the page's worth), that is done instead. With `most`, `None`
    /// rather than reading more than that many members either way. A box is read as
    /// `spans`, its [`Grid::box_spans`].
    #[allow(clippy::too_many_arguments)]
    pub fn page_marked<'a>(
        &'a self,
        region: Region<'a>,
        spans: &'a [[f64; 4]],
        marked: &'a Marked,
        days: Option<(Range<u32>, Vec<u32>)>,
        (skip, take): (usize, usize),
        descending: bool,
        most: Option<u64>,
    ) -> Option<(usize, Vec<u32>)> {
        let (run, others) = match days {
            Some((run, others)) => (Some(run), others),
            None => (None, Vec::new()),
        };
        let keeps = [Keep::Bits(&marked.cells), Keep::Bits(&marked.blocks)];
        let mut kept = Cells::new(self, run, Some([&keeps[0], &keeps[1]]));
        self.visit_region(region, spans, true, |part, check| match part {
            Part::Cell(range, _) => kept.add(range, check),
            Part::Block(from, members) => kept.add_block(from, members),
        });
        let (members, cells) = (kept.members as u64, kept.runs.len() as u64);
        let (count, runs) = kept.with_others(&others);
        let wanted = skip.saturating_add(take).min(count);
        // A merge puts each run's first member in a heap, then reads about `members / count`
        // members for each one it keeps; gathering reads every member's bit and sorts what
        // it keeps.
        let walked = (wanted as u64).saturating_mul(members) / (count.max(1) as u64);
        let gather = walked.saturating_mul(MERGE_COST) > count as u64;
        let cost = if gather { members } else { walked + cells };
        if most.is_some_and(|most| cost > most) {
            return None;
        }
        if !gather {
            return Some((count, merge(self, &runs, skip, wanted, descending)));
        }
        let mut numbers = Vec::with_capacity(count);
        for run in &runs {
            run.kept_into(self, &mut numbers);
        }
        Some((count, first_of(numbers, skip, wanted, descending)))
    }

    /// What keeps the members of some days (the run of numbers that begin in them, and the
    /// others, ascending, that reach in) in a merge of the cells and of the blocks: read by
    /// where each member lies, whatever order a run holds them in.
    pub fn days_kept<'a>(&'a self, run: Range<u32>, others: &'a [u32]) -> [Keep<'a>; 2] {
        let kept = |numbers| Keep::Days {
            numbers,
            run: run.clone(),
            others,
        };
        [kept(&self.members), kept(self.blocks().members())]
    }

    /// Every incident within the radius (boundary included), measured on the ellipsoid.
    pub fn within(&self, radius: &Radius) -> RoaringBitmap {
        let mut ranges = Vec::new();
        self.visit_radius(radius, |_, range, whole| ranges.push((range, whole)));
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

    /// Calls `visit` with each non-empty cell the circle reaches: its number, where its
    /// incidents lie in `members`, and whether the cell lies wholly inside the circle (its
    /// members need no check).
    ///
    /// A cell whose members' bounds lie in its column's inner box (see
    /// [`Radius::inner_box`], found once a column) is inside without a test of its own: most
    /// of a town's circle.
    fn visit_radius(&self, radius: &Radius, mut visit: impl FnMut(usize, Range<u32>, bool)) {
        self.visit_radius_parts(radius, false, |part| match part {
            (k, Part::Cell(range, whole)) => visit(k, range, whole),
            (_, Part::Block(..)) => {}
        })
    }

    /// As [`Grid::visit_radius`], with `blocks`: blocks of cells wholly inside the circle
    /// handed over whole (see [`Blocks`]; their cells are not), with the number of their
    /// first cell.
    fn visit_radius_parts<'g>(
        &'g self,
        radius: &Radius,
        blocks: bool,
        mut visit: impl FnMut((usize, Part<'g>)),
    ) {
        let blocks = blocks.then(|| self.blocks());
        for [w, s, e, n] in radius.envelopes() {
            let mut cell_columns = ColumnBoxes::new(radius);
            let mut block_columns = ColumnBoxes::new(radius);
            self.visit_cells(w, s, e, n, |k, range| {
                if let Some(blocks) = blocks {
                    let inside = |(x, _), bounds| {
                        block_columns
                            .of(x, || Blocks::columns_of(x, CELL_DEG))
                            .is_some_and(|inner| holds(inner, bounds))
                    };
                    if let Some(whole) = blocks.whole_at(k, inside) {
                        if let Some((from, members)) = whole {
                            visit((k, Part::Block(from, members)));
                        }
                        return;
                    }
                }
                let x = self.keys[k].0;
                let inner = cell_columns.of(x, || {
                    let west = f64::from(x) * CELL_DEG;
                    [west, west + CELL_DEG]
                });
                if inner.is_some_and(|inner| holds(inner, self.bounds[k])) {
                    visit((k, Part::Cell(range, true)));
                    return;
                }
                match radius.covers(self.bounds[k]) {
                    Coverage::Outside => {}
                    coverage => visit((k, Part::Cell(range, coverage == Coverage::Inside))),
                }
            });
        }
    }

    /// Calls `visit` with each non-empty cell overlapping the box (`west <= east`): its
    /// number and where its incidents lie in `members`.
    fn visit_cells(
        &self,
        west: f64,
        south: f64,
        east: f64,
        north: f64,
        mut visit: impl FnMut(usize, Range<u32>),
    ) {
        let (x0, y0) = cell_of(west, south);
        let (x1, y1) = cell_of(east, north);
        let range = |k: usize| self.starts[k]..self.starts[k + 1];
        let columns = i64::from(x1) - i64::from(x0) + 1;
        if columns > self.keys.len() as i64 {
            // A box wider than the data has cells: visit the cells that exist.
            for (k, key) in self.keys.iter().enumerate() {
                if (x0..=x1).contains(&key.0) && (y0..=y1).contains(&key.1) {
                    visit(k, range(k));
                }
            }
            return;
        }
        // Column by column: the cells from (x, y0) to (x, y1) are one run of keys, found from
        // where the last one ended.
        let mut k = self.keys.partition_point(|key| *key < (x0, y0));
        for x in x0..=x1 {
            if k < self.keys.len() && self.keys[k] < (x, y0) {
                k = gallop(&self.keys, k, (x, y0));
            }
            while k < self.keys.len() && self.keys[k] <= (x, y1) {
                visit(k, range(k));
                k += 1;
            }
            if k >= self.keys.len() {
                return;
            }
        }
    }
}

/// The circle's inner box (see [`Radius::inner_box`]) of one column at a time, of cells or of
/// blocks: found once a column, as the cells are visited column by column.
struct ColumnBoxes<'r> {
    radius: &'r Radius,
    /// The column last asked for and its box.
    at: Option<(i32, Option<[f64; 4]>)>,
}

impl<'r> ColumnBoxes<'r> {
    fn new(radius: &'r Radius) -> Self {
        ColumnBoxes { radius, at: None }
    }

    /// The inner box of column `x`, whose longitudes `span` gives (`[west, east]`).
    fn of(&mut self, x: i32, span: impl FnOnce() -> [f64; 2]) -> Option<[f64; 4]> {
        match self.at {
            Some((at, inner)) if at == x => inner,
            _ => {
                let [west, east] = span();
                let inner = self.radius.inner_box(west, east);
                self.at = Some((x, inner));
                inner
            }
        }
    }
}

/// The first position from `from` on whose key is not below `key` (the keys ascend), found
/// by steps doubling from `from` and then halving: a circle's or box's next column begins a
/// few dozen cells on, where a search of all the keys after it would touch a dozen far
/// apart.
fn gallop<K: Ord + Copy>(keys: &[K], from: usize, key: K) -> usize {
    let mut step = 1;
    let mut low = from;
    while low + step < keys.len() && keys[low + step] < key {
        low += step;
        step *= 2;
    }
    let high = (low + step).min(keys.len());
    low + keys[low..high].partition_point(|k| *k < key)
}

/// The first position of `cell` (ascending numbers) whose number is not below `value`, as
/// `partition_point` would find it. A cell's incidents spread over the days about evenly, so
/// where `value` falls between its first and last numbers is close to where it falls among
/// them: the search starts there and gallops outwards, reading two or three nearby cache
/// lines where halving a cell of a few hundred reads half a dozen far apart (with days, each
/// of a box's few hundred cells is searched twice).
fn first_not_below(cell: &[u32], value: u32) -> usize {
    let n = cell.len();
    match (cell.first(), cell.last()) {
        (Some(first), Some(last)) if *first < value && value <= *last => {
            let guess = u64::from(value - first) * n as u64 / (u64::from(last - first) + 1);
            let guess = (guess as usize).min(n - 1);
            if cell[guess] < value {
                // Up from a number below `value`.
                gallop(cell, guess, value)
            } else {
                // Down from a number not below it (the first number is below it).
                let (mut high, mut step) = (guess, 1);
                while high >= step && cell[high - step] >= value {
                    high -= step;
                    step *= 2;
                }
                let low = high.saturating_sub(step);
                low + cell[low..high].partition_point(|i| *i < value)
            }
        }
        (Some(first), _) if value <= *first => 0,
        _ => n,
    }
}

/// The cells of a box or circle as they are handed over, kept as runs of what counts: a plain
/// type whose `add` inlines into the visit, not a closure called through a pointer with its
/// check written out and read back for each of hundreds of cells.
struct Cells<'a> {
    grid: &'a Grid,
    /// The run of numbers within the days, when the query has days.
    days: Option<Range<u32>>,
    /// What keeps a cell's members and a block's besides their check, when something does.
    keep: Option<[&'a Keep<'a>; 2]>,
    runs: Vec<Run<'a>>,
    count: usize,
    /// How many members the runs hold, counted or not.
    members: usize,
}

impl<'a> Cells<'a> {
    fn new(grid: &'a Grid, days: Option<Range<u32>>, keep: Option<[&'a Keep<'a>; 2]>) -> Self {
        Cells {
            grid,
            days,
            keep,
            // A town's circle hands over about 400 cells.
            runs: Vec::with_capacity(512),
            count: 0,
            members: 0,
        }
    }

    /// How many members count, with `others` (known to count), and the runs to merge,
    /// `others` one of them.
    fn with_others(self, others: &'a [u32]) -> (usize, Vec<Run<'a>>) {
        let Cells {
            mut runs,
            mut count,
            ..
        } = self;
        if !others.is_empty() {
            count += others.len();
            runs.push(Run {
                members: others,
                from: 0,
                at: None,
                keep: None,
                check: Check::Every,
            });
        }
        (count, runs)
    }

    /// Keeps the members of a cell (`range` of the grid's members) that `check` passes and
    /// that lie in the days, if any do.
    #[inline]
    fn add(&mut self, range: Range<u32>, check: Check<'a>) {
        let grid = self.grid;
        let from = range.start as usize;
        let cell = &grid.members[from..range.end as usize];
        let days = self.in_days(cell);
        if days.is_empty() {
            return;
        }
        let cell = Run {
            members: &cell[days.clone()],
            from: (from + days.start) as u32,
            at: None,
            keep: self.keep.map(|[cells, _]| cells),
            check,
        };
        self.push(cell);
    }

    /// Keeps the members of a block (all inside; `from`: where they begin among the
    /// blocks' members) that lie in the days, if any do.
    #[inline]
    fn add_block(&mut self, from: u32, members: &'a [u32]) {
        let days = self.in_days(members);
        if !days.is_empty() {
            let block = Run {
                members: &members[days.clone()],
                from: from + days.start as u32,
                at: None,
                keep: self.keep.map(|[_, blocks]| blocks),
                check: Check::Every,
            };
            self.push(block);
        }
    }

    #[inline]
    fn push(&mut self, run: Run<'a>) {
        let inside = run.count(self.grid);
        if inside > 0 {
            self.count += inside;
            self.members += run.members.len();
            self.runs.push(run);
        }
    }

    /// Where the members in the run of days lie among ascending `members` (all of them
    /// without days): one slice of them.
    #[inline]
    fn in_days(&self, members: &[u32]) -> Range<usize> {
        match &self.days {
            Some(days) => first_not_below(members, days.start)..first_not_below(members, days.end),
            None => 0..members.len(),
        }
    }
}

/// Which members of a run count.
#[derive(Clone, Copy)]
enum Check<'a> {
    /// All of them.
    Every,
    /// Those whose position lies in the span (a cell on a box's edge).
    Span(&'a [f64; 4]),
    /// Those within the radius (a cell the circle crosses, whose number is given).
    Within(&'a Radius, u32),
}

/// Ascending incident numbers of one cell (or a list known to match), of which those that
/// pass the check count. Small (the cells of a town's circle number hundreds, and each
/// request makes a list of them): the members' positions are read from the grid, at `from`.
struct Run<'a> {
    members: &'a [u32],
    /// Where the members lie in the grid's `members` (for a cell's run), or in its blocks'
    /// (for a block's: read only by [`Keep::Bits`], as a block's members need no check).
    from: u32,
    /// Where each member lies in the grid's `members`, when they do not lie together from
    /// `from` (a cell's members in the order of a key, see [`Ranked`]).
    at: Option<&'a [u32]>,
    /// Only the members whose positions in an ordered index lie in a range count (besides
    /// the check).
    keep: Option<&'a Keep<'a>>,
    check: Check<'a>,
}

/// Which members of a run count besides its check.
pub enum Keep<'a> {
    /// Of members that are incident numbers, those whose positions in an ordered index
    /// (`rank`, by number) lie in `ranks`: those whose key lies in a range.
    Ranks { rank: &'a [u32], ranks: Range<u32> },
    /// The incidents numbered in `run` or listed in `others` (ascending), by where they lie
    /// in the list the run is part of (`numbers`: the grid's members, or its blocks'):
    /// those of some days.
    Days {
        numbers: &'a [u32],
        run: Range<u32>,
        others: &'a [u32],
    },
    /// The members whose bits are set, by where they lie in the list the run is part of
    /// (the grid's members, or its blocks'): those of a named set (see [`Marked`]).
    Bits(&'a Bits),
}

impl Keep<'_> {
    /// Whether `member`, lying at `slot` of the list its run is part of, is kept.
    #[inline]
    fn keeps(&self, member: u32, slot: usize) -> bool {
        match self {
            Keep::Bits(bits) => bits.has(slot),
            Keep::Ranks { rank, ranks } => {
                rank.get(member as usize).is_some_and(|r| ranks.contains(r))
            }
            Keep::Days {
                numbers,
                run,
                others,
            } => numbers
                .get(slot)
                .is_some_and(|i| run.contains(i) || others.binary_search(i).is_ok()),
        }
    }
}

impl Run<'_> {
    /// Where member `k` lies in the grid's `members`.
    #[inline]
    fn slot(&self, k: usize) -> usize {
        match self.at {
            Some(at) => at[k] as usize,
            None => self.from as usize + k,
        }
    }

    /// Whether every member counts, unchecked.
    fn all_count(&self) -> bool {
        matches!(self.check, Check::Every) && self.keep.is_none()
    }

    fn counts(&self, grid: &Grid, k: usize) -> bool {
        if let Some(keep) = self.keep
            && !keep.keeps(self.members[k], self.slot(k))
        {
            return false;
        }
        self.passes(grid, self.slot(k))
    }

    /// Whether the member at `slot` of the grid's members passes the check.
    #[inline]
    fn passes(&self, grid: &Grid, slot: usize) -> bool {
        let at = || grid.positions[slot];
        match self.check {
            Check::Every => true,
            Check::Span(span) => inside(*span, at()),
            Check::Within(radius, _) => {
                let [lon, lat] = at();
                radius.contains(Point::new(lon, lat))
            }
        }
    }

    fn count(&self, grid: &Grid) -> usize {
        let (from, to) = (self.from as usize, self.from as usize + self.members.len());
        // Kept by bits, lying together: the bits set among them, each checked when the
        // check needs a position (a cell's: a block's need none).
        if let (None, Some(Keep::Bits(bits))) = (self.at, self.keep) {
            if let Check::Every = self.check {
                return bits.count(from..to);
            }
            let mut inside = 0;
            match self.check {
                // A cell the circle crosses: its members' first test is on their offsets.
                Check::Within(radius, cell) => {
                    let within = grid.rim(radius, cell);
                    bits.each_set(from..to, |slot| inside += usize::from(within(slot)));
                }
                _ => bits.each_set(from..to, |slot| {
                    inside += usize::from(self.passes(grid, slot))
                }),
            }
            return inside;
        }
        match self.check {
            // Kept by a range or days, or not lying together: member by member (in a cell
            // the circle crosses, each member's first test on its offsets).
            Check::Within(radius, cell) if self.keep.is_some() || self.at.is_some() => {
                let within = grid.rim(radius, cell);
                let kept = |k: usize| {
                    let slot = self.slot(k);
                    self.keep
                        .is_none_or(|keep| keep.keeps(self.members[k], slot))
                        && within(slot)
                };
                (0..self.members.len()).filter(|k| kept(*k)).count()
            }
            _ if self.keep.is_some() || (self.at.is_some() && !self.all_count()) => {
                (0..self.members.len())
                    .filter(|k| self.counts(grid, *k))
                    .count()
            }
            Check::Every => self.members.len(),
            Check::Within(radius, cell) => {
                let (lon, lat) = grid.columns();
                let bounds = grid.bounds[cell as usize];
                let positions = &grid.positions[from..to];
                radius.count_within(bounds, positions, &lon[from..to], &lat[from..to])
            }
            Check::Span(span) => grid.positions[from..to]
                .iter()
                .filter(|p| inside(*span, **p))
                .count(),
        }
    }

    /// Appends the members that count to `out`, in the run's order.
    fn kept_into(&self, grid: &Grid, out: &mut Vec<u32>) {
        if let (None, Some(Keep::Bits(bits))) = (self.at, self.keep) {
            let from = self.from as usize;
            bits.each_set(from..from + self.members.len(), |slot| {
                if self.passes(grid, slot) {
                    out.push(self.members[slot - from]);
                }
            });
            return;
        }
        let kept = (0..self.members.len()).filter(|k| self.counts(grid, *k));
        out.extend(kept.map(|k| self.members[k]));
    }

    /// Where the first counted member lies from position `at` on (inclusive) in the walk's
    /// direction.
    fn next_from(&self, grid: &Grid, at: usize, descending: bool) -> Option<usize> {
        if self.all_count() {
            return Some(at);
        }
        if descending {
            (0..=at).rev().find(|k| self.counts(grid, *k))
        } else {
            (at..self.members.len()).find(|k| self.counts(grid, *k))
        }
    }
}

/// The numbers from `skip` to `wanted` of `numbers` sorted (descending with `descending`):
/// only the first `wanted` are put in order.
fn first_of(mut numbers: Vec<u32>, skip: usize, wanted: usize, descending: bool) -> Vec<u32> {
    let wanted = wanted.min(numbers.len());
    if skip >= wanted {
        return Vec::new();
    }
    let order = |a: &u32, b: &u32| if descending { b.cmp(a) } else { a.cmp(b) };
    if wanted < numbers.len() {
        numbers.select_nth_unstable_by(wanted, order);
        numbers.truncate(wanted);
    }
    numbers.sort_unstable_by(order);
    numbers.split_off(skip)
}

/// The members from `skip` to `wanted` of the runs' union, in ascending order (descending
/// with `descending`): a k-way merge through a heap of each run's next member. A run joins
/// the heap at its first member whether or not that one counts (it bounds the run's first
/// that does), and is checked only when it reaches the top: most of a circle's hundreds of
/// cells never do for a page of ten.
fn merge(grid: &Grid, runs: &[Run], skip: usize, wanted: usize, descending: bool) -> Vec<u32> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    // Keys ordered so that the heap's top is the next member in the requested order; an
    // entry is the key and the run's number in one word.
    let key = |i: u32| u64::from(if descending { u32::MAX - i } else { i });
    let entry = |run: usize, k: usize| Reverse(key(runs[run].members[k]) << 32 | run as u64);
    // Each run's position, and whether the member there is known to count.
    let mut at: Vec<(usize, bool)> = runs
        .iter()
        .map(|run| {
            let first = if descending { run.members.len() - 1 } else { 0 };
            (first, run.all_count())
        })
        .collect();
    let mut heap: BinaryHeap<Reverse<u64>> = (0..runs.len()).map(|r| entry(r, at[r].0)).collect();
    let mut page = Vec::with_capacity(wanted.saturating_sub(skip));
    let mut seen = 0;
    while seen < wanted {
        let Some(Reverse(top)) = heap.pop() else {
            break;
        };
        let r = (top & u64::from(u32::MAX)) as usize;
        let (k, known) = at[r];
        if !known {
            // Found at the top unchecked: move to the first member that counts, and back in.
            if let Some(next) = runs[r].next_from(grid, k, descending) {
                at[r] = (next, true);
                heap.push(entry(r, next));
            }
            continue;
        }
        if seen >= skip {
            page.push(runs[r].members[k]);
        }
        seen += 1;
        let next = if descending {
            k.checked_sub(1)
        } else {
            Some(k + 1).filter(|n| *n < runs[r].members.len())
        };
        if let Some(next) = next {
            at[r] = (next, runs[r].all_count());
            heap.push(entry(r, next));
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn lattice() -> Vec<[f64; 2]> {
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
        // Edges through members, computed as the members' own coordinates: on a cell's
        // bounds, a member exactly on the edge is inside.
        let at = |i: u32, j: u32| (46.0 + f64::from(i) * 0.0013, 39.5 + f64::from(j) * 0.0025);
        let ((w1, s1), (e1, n1)) = (at(3, 2), at(77, 21));
        let ((w2, s2), (e2, n2)) = (at(4, 3), at(4, 3));
        for (w, s, e, n) in [
            (w1, s1, e1, n1),
            (w2, s2, e2, n2),
            (w1 + 1e-12, s1 + 1e-12, e1 - 1e-12, n1 - 1e-12),
            // Just west of the easternmost members of a column of cells.
            (w1, s1, at(80, 21).0 - 1e-12, n1),
            (46.005, 39.505, 46.1, 39.6),
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
            // Counted and merged from the cells, in either order, with a run of numbers.
            let all: Vec<u32> = want.iter().collect();
            let (count, page) = grid.page_in_bbox([w, s, e, n], None, 0, usize::MAX, false);
            assert_eq!((count, &page), (all.len(), &all), "{w} {s} {e} {n}");
            let (_, back) = grid.page_in_bbox([w, s, e, n], None, 3, 20, true);
            let reversed: Vec<u32> = all.iter().rev().skip(3).take(20).copied().collect();
            assert_eq!(back, reversed, "{w} {s} {e} {n}");
            let others: Vec<u32> = all.iter().copied().filter(|i| *i < 500).collect();
            let days = Some((2_000..7_000, others.clone()));
            let (count, page) = grid.page_in_bbox([w, s, e, n], days, 1, 30, false);
            let run: Vec<u32> = others
                .iter()
                .copied()
                .chain(all.iter().copied().filter(|i| (2_000..7_000).contains(i)))
                .collect();
            assert_eq!(count, run.len(), "{w} {s} {e} {n}");
            assert_eq!(
                page,
                run.iter().skip(1).take(30).copied().collect::<Vec<_>>()
            );
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
            let all: Vec<u32> = want.iter().collect();
            let radius = Radius::new(centre, metres);
            let (count, page) = grid.page_within(&radius, None, 0, usize::MAX, false);
            assert_eq!((count, &page), (all.len(), &all), "{lon} {lat} {metres}");
            let (_, back) = grid.page_within(&radius, None, 2, 15, true);
            let reversed: Vec<u32> = all.iter().rev().skip(2).take(15).copied().collect();
            assert_eq!(back, reversed, "{lon} {lat} {metres}");
        }
    }

    #[test]
    fn galloping_finds_what_a_search_of_the_rest_finds() {
        let keys: Vec<(i32, i32)> = (0..40)
            .flat_map(|x| (0..(x % 7) * 3).map(move |y| (x, y * 2)))
            .collect();
        for from in 0..keys.len() {
            for x in -1..42 {
                for y in [-1, 0, 1, 5, 40] {
                    let key = (x, y);
                    let want = from + keys[from..].partition_point(|k| *k < key);
                    assert_eq!(gallop(&keys, from, key), want, "{from} {key:?}");
                }
            }
        }
    }

    /// Cells of numbers spread evenly, bunched at one end, or repeated: the interpolated
    /// search finds what halving finds, for every value around them.
    #[test]
    fn an_interpolated_search_finds_what_halving_finds() {
        let cells: Vec<Vec<u32>> = vec![
            vec![],
            vec![7],
            (0..300).map(|i| i * 3 + 5).collect(),
            (0..200).map(|i| i * i).collect(),
            (0..100).map(|i| 1000 + i).chain([50_000, 90_000]).collect(),
            // Guesses far past the place, found by galloping down.
            [0, 1].into_iter().chain(5_000..5_300).collect(),
            (0..200)
                .map(|i| (f64::from(i).sqrt() * 1e4) as u32)
                .collect(),
            [1, 1, 1, 4, 4, 9, 9, 9, 9].into(),
            // Repeats found by galloping up.
            [0, 5, 5, 5, 5, 5, 5, 5, 5, 100].into(),
        ];
        for cell in &cells {
            let top = cell.last().copied().unwrap_or(10) + 2;
            for value in (0..=top).chain([u32::MAX]) {
                let want = cell.partition_point(|i| *i < value);
                assert_eq!(first_not_below(cell, value), want, "{value} in {cell:?}");
            }
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
        cell.starts[1] = positions.len() as u32 + 5;
        assert!(cell.check(positions.len()).is_err());
        let mut order = Grid::new(&positions);
        order.keys.swap(0, 1);
        assert!(order.check(positions.len()).is_err());
        let mut bounds = Grid::new(&positions);
        bounds.bounds[7][2] -= 1e-4;
        assert!(
            bounds.check(positions.len()).is_err(),
            "a member outside its cell's bounds"
        );
        let mut missing = Grid::new(&positions);
        missing.bounds.pop();
        assert!(missing.check(positions.len()).is_err());
    }
}
