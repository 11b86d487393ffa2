//! Each cell's members in the order of one key (depth, toll), for a box's or a circle's page
//! sorted by that key. Keying every incident of a town's box to find its ten deepest read
//! 27,000 scattered records (450 µs at a million); with each cell's members already in the
//! key's order, the page is a merge of the cells from their deep ends, as a page in date
//! order is a merge of the cells from their first members, and a range of the same key is
//! one stretch of each cell, counted by two binary searches. The blocks of cells a region
//! holds whole are kept in the key's order too, so a town's box merges about thirty runs, not
//! three hundred (11 µs to 3.5 µs for its ten deepest).

use super::{Check, Grid, Keep, Marked, Part, Run, first_not_below, first_of, merge};
use crate::geodesy::Radius;
use std::ops::Range;

/// The grid's members cell by cell, each cell's in ascending order of their positions in an
/// ordered index (its ranks), laid out as the grid's members are (cell `k` at
/// `starts[k]..starts[k + 1]`).
#[derive(Debug, Default)]
pub struct Ranked {
    /// The members' positions in the order, ascending within each cell (`u32::MAX`: not in
    /// it, last).
    ranks: Vec<u32>,
    /// Where each lies among the grid's members (for its position).
    at: Vec<u32>,
    /// The same for the blocks' members (see [`super::Blocks`]), laid out as they are: a
    /// region's interior is then a dozen blocks to visit and merge rather than two hundred
    /// cells.
    block_ranks: Vec<u32>,
    /// Where each lies among the blocks' members.
    block_at: Vec<u32>,
}

/// Where a page sorted by a key looks.
#[derive(Clone, Copy)]
pub enum Region<'a> {
    /// `[west, south, east, north]`; west past east crosses the antimeridian.
    Box([f64; 4]),
    Circle(&'a Radius),
}

/// Which of a region's members [`Grid::found`] counts, besides lying in the region.
pub enum Counting<'a> {
    /// Those whose positions in the order lie in a stretch of ranks (the cells are cut to it).
    Ranks(Range<u32>),
    /// Those a named set's marks mark ([`Marked`]).
    Marked(&'a Marked),
    /// Those whose numbers lie in a run (some days), and the others given (ascending, known
    /// to lie in the region and to count, numbered before the run), whose cells are kept for
    /// a merge to find them.
    Days(Range<u32>, &'a [u32]),
}

/// The cells of a region (cut to a stretch of ranks), each with the check its members need,
/// how many of their members lie in the region and count, and how many they hold.
pub struct Found<'g> {
    grid: &'g Grid,
    runs: Vec<Run<'g>>,
    /// Whether each run is a block's (its members' bits lie among the blocks').
    of_block: Vec<bool>,
    /// Where each run's part lies among the grid's members (or the blocks'), whole.
    layout: Vec<Range<u32>>,
    pub count: usize,
    /// The members of the runs, whether they count or not: what a merge of them may read.
    pub members: usize,
}

impl Grid {
    /// The grid's cells in the order whose positions `rank` gives (an incident's position,
    /// by its number).
    pub fn ranked(&self, rank: &[u32]) -> Ranked {
        let (ranks, at) = by_rank(rank, &self.members, self.starts.windows(2));
        let blocks = self.blocks();
        let (block_ranks, block_at) = by_rank(rank, blocks.members(), blocks.starts().windows(2));
        Ranked {
            ranks,
            at,
            block_ranks,
            block_at,
        }
    }

    /// A box as the one or two spans [`Grid::found`] reads (west past east crosses the
    /// antimeridian).
    pub fn box_spans([west, south, east, north]: [f64; 4]) -> Vec<[f64; 4]> {
        Self::spans(west, south, east, north)
    }

    /// The members of the region that `counting` counts, cell by cell, and how many: none
    /// read yet but those of the cells its edge crosses, which are counted one by one. A box
    /// is read as `spans`, its [`Grid::box_spans`]. Counting a named set's members or some
    /// days' here, in the one visit of the region that finds its cells, spares a second.
    pub fn found<'g>(
        &'g self,
        ranked: &'g Ranked,
        region: Region<'g>,
        spans: &'g [[f64; 4]],
        counting: Counting<'g>,
    ) -> Found<'g> {
        let mut found = Found {
            grid: self,
            runs: Vec::with_capacity(256),
            of_block: Vec::with_capacity(256),
            layout: Vec::with_capacity(256),
            count: 0,
            members: 0,
        };
        let blocks = self.blocks().members();
        let add = |part: Part<'g>, check: Check<'g>| {
            // The part's members in rank order, and in the grid's (or the blocks') layout.
            let (of_block, from, laid_out, (in_order, at)) = match part {
                Part::Cell(range, _) => {
                    let (from, to) = (range.start as usize, range.end as usize);
                    let ranked = (&ranked.ranks[from..to], &ranked.at[from..to]);
                    (false, from, &self.members[from..to], ranked)
                }
                Part::Block(from, members) => {
                    let (from, to) = (from as usize, from as usize + members.len());
                    let ranked = (&ranked.block_ranks[from..to], &ranked.block_at[from..to]);
                    (true, from, &blocks[from..to], ranked)
                }
            };
            let run = |part: Range<usize>| Run {
                members: &in_order[part.clone()],
                from: (from + part.start) as u32,
                at: Some(&at[part]),
                keep: None,
                check,
            };
            // Counted from the layout, whose memory lies together (a circle's cells four at
            // a time).
            let count = |part: Range<usize>, keep: Option<&Keep>| {
                Run {
                    members: &laid_out[part.clone()],
                    from: (from + part.start) as u32,
                    at: None,
                    keep,
                    check,
                }
                .count(self)
            };
            let (run, inside) = match &counting {
                Counting::Ranks(ranks) => {
                    let checked = !matches!(check, Check::Every);
                    let whole = || count(0..in_order.len(), None);
                    match self.stretch_found(in_order, ranks, checked, run, whole) {
                        Some(found) => found,
                        None => return,
                    }
                }
                Counting::Marked(marked) => {
                    let bits = if of_block {
                        &marked.blocks
                    } else {
                        &marked.cells
                    };
                    let all = 0..in_order.len();
                    (run(all.clone()), count(all, Some(&Keep::Bits(bits))))
                }
                Counting::Days(days, others) => {
                    let d =
                        first_not_below(laid_out, days.start)..first_not_below(laid_out, days.end);
                    let inside = count(d.clone(), None);
                    // A part with none of the days may hold others reaching into them.
                    if inside == 0 && !holds_any(&laid_out[..d.start], others) {
                        return;
                    }
                    (run(0..in_order.len()), inside)
                }
            };
            if inside > 0 || matches!(counting, Counting::Days(..)) {
                found.count += inside;
                found.members += run.members.len();
                found.runs.push(run);
                found.of_block.push(of_block);
                found
                    .layout
                    .push(from as u32..(from + laid_out.len()) as u32);
            }
        };
        self.visit_region(region, spans, true, add);
        if let Counting::Days(_, others) = counting {
            found.count += others.len();
        }
        found
    }

    /// The stretch of a part's members whose ranks lie in `ranks` (`run` of positions among
    /// its `cell`, its ranks in order), and how many of them pass its check; `None` for
    /// none. `whole` counts all the part's members that pass, from its own layout.
    fn stretch_found<'g>(
        &self,
        cell: &[u32],
        ranks: &Range<u32>,
        checked: bool,
        run: impl Fn(Range<usize>) -> Run<'g>,
        whole: impl Fn() -> usize,
    ) -> Option<(Run<'g>, usize)> {
        let stretch = cut(cell, ranks);
        if stretch.is_empty() {
            return None;
        }
        // The part's members in its own layout are counted from memory that lies together
        // (a circle's cells four at a time): the whole part, less what the stretch leaves
        // out when that is the smaller part.
        let inside = if stretch.len() == cell.len() {
            whole()
        } else if checked && stretch.len() * 2 > cell.len() {
            whole() - run(0..stretch.start).count(self) - run(stretch.end..cell.len()).count(self)
        } else {
            run(stretch.clone()).count(self)
        };
        Some((run(stretch), inside))
    }

    /// Calls `visit` with each part of the region that may hold members (cells, and with
    /// `blocks` blocks of cells wholly inside) and the check its members need. A box is read
    /// as `spans`, its [`Grid::box_spans`].
    pub(super) fn visit_region<'g>(
        &'g self,
        region: Region<'g>,
        spans: &'g [[f64; 4]],
        blocks: bool,
        mut visit: impl FnMut(Part<'g>, Check<'g>),
    ) {
        match region {
            Region::Box(_) => self.visit_box(spans, blocks, |part, span| {
                let check = match &part {
                    Part::Cell(_, false) => Check::Span(span),
                    _ => Check::Every,
                };
                visit(part, check);
            }),
            Region::Circle(radius) => self.visit_radius_parts(radius, blocks, |(k, part)| {
                let check = match &part {
                    Part::Cell(_, false) => Check::Within(radius, k as u32),
                    _ => Check::Every,
                };
                visit(part, check);
            }),
        }
    }
}

impl Found<'_> {
    /// The members from `skip` to `wanted` of those whose ranks lie in `ranks`, by rank
    /// (descending with `descending`).
    pub fn ranks(
        &self,
        ranks: Range<u32>,
        skip: usize,
        wanted: usize,
        descending: bool,
        keep: Option<[&Keep; 2]>,
    ) -> Vec<u32> {
        let mut runs: Vec<Run> = Vec::with_capacity(self.runs.len());
        // A loop that pushes each run where it is made: a run handed back from a closure
        // was written to the stack field by field and read back whole, a stall each.
        for (run, of_block) in self.runs.iter().zip(&self.of_block) {
            let Range {
                start: from,
                end: to,
            } = cut(run.members, &ranks);
            if from < to {
                runs.push(Run {
                    members: &run.members[from..to],
                    from: run.from + from as u32,
                    at: run.at.map(|at| &at[from..to]),
                    keep: keep.map(|[cells, blocks]| if *of_block { blocks } else { cells }),
                    check: run.check,
                });
            }
        }
        merge(self.grid, &runs, skip, wanted.min(self.count), descending)
    }

    /// The positions from `skip` on, at most `take`, of the members found (and kept by
    /// `keep`, with it) in the order of a page by the key (see [`key_order`]): ascending,
    /// as the positions ascend. Descending, the cells must be in the order mirrored (see
    /// [`RangeIndex::mirror`](crate::index::bitmaps::RangeIndex::mirror)), and so are the
    /// positions given: the largest of the first `known` (the known keys) down, which meets
    /// each run of equal keys in date order, then the others (unknown keys, not mirrored)
    /// up, in date order.
    pub fn page_by_key(
        &self,
        known: usize,
        (skip, take): (usize, usize),
        descending: bool,
        keep: Option<[&Keep; 2]>,
    ) -> Vec<u32> {
        let wanted = skip.saturating_add(take).min(self.count);
        if !descending {
            return self.ranks(0..u32::MAX, skip, wanted, false, keep);
        }
        let known = u32::try_from(known).unwrap_or(u32::MAX);
        let mut page = self.ranks(0..known, 0, wanted, true, keep);
        let rest = wanted - page.len();
        if rest > 0 {
            page.extend(self.ranks(known..u32::MAX, 0, rest, false, keep));
        }
        page.split_off(skip.min(page.len()))
    }
}

/// The `members` of each stretch that `starts` gives, in ascending order of their positions
/// in an ordered index (`rank`, by number; `u32::MAX`: not in it, last), and where each
/// lies among `members`.
fn by_rank<'a>(
    rank: &[u32],
    members: &[u32],
    starts: impl Iterator<Item = &'a [u32]>,
) -> (Vec<u32>, Vec<u32>) {
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(members.len());
    for w in starts {
        let first = pairs.len();
        for slot in w[0]..w[1] {
            let i = members[slot as usize];
            pairs.push((rank.get(i as usize).copied().unwrap_or(u32::MAX), slot));
        }
        pairs[first..].sort_unstable();
    }
    pairs.into_iter().unzip()
}

/// Where the ascending ranks `in_order` (a part's, or a run's) lie in `ranks`. A part's
/// members lie close together, their keys (a depth) too: most parts lie wholly inside the
/// ranks or wholly outside, found without a search. Where one straddles an end, a guess by
/// where the end lies between its first and last ranks lands near it (a block holds a
/// thousand ranks: a search by halves would miss the cache at most of its ten steps).
fn cut(in_order: &[u32], ranks: &Range<u32>) -> Range<usize> {
    let (Some(first), Some(last)) = (in_order.first(), in_order.last()) else {
        return 0..0;
    };
    if *first >= ranks.end || *last < ranks.start {
        return 0..0;
    }
    let start = match *first >= ranks.start {
        true => 0,
        false => first_not_below(in_order, ranks.start),
    };
    let end = match *last < ranks.end {
        true => in_order.len(),
        false => first_not_below(in_order, ranks.end),
    };
    start..end.max(start)
}

/// Whether ascending `cell` holds any of ascending `others`.
fn holds_any(cell: &[u32], others: &[u32]) -> bool {
    let (Some(first), Some(last)) = (cell.first(), cell.last()) else {
        return false;
    };
    let from = others.partition_point(|o| o < first);
    others[from..]
        .iter()
        .take_while(|o| *o <= last)
        .any(|o| cell.binary_search(o).is_ok())
}

/// How a page by a key orders positions in its ordered index (whose keys are `keys`, finite
/// for the first `known`): ascending, as the positions ascend (equal keys lie in date order,
/// unknown keys last); descending, the known keys from the largest down with equal keys
/// still in date order, then the unknown ones in date order.
pub fn key_order(
    keys: &[f64],
    known: usize,
    descending: bool,
) -> impl Fn(&u32, &u32) -> std::cmp::Ordering + '_ {
    move |a, b| {
        let is_known = |r: u32| (r as usize) < known;
        if !descending || !is_known(*a) || !is_known(*b) {
            return is_known(*b).cmp(&is_known(*a)).then(a.cmp(b));
        }
        keys[*b as usize]
            .partial_cmp(&keys[*a as usize])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(b))
    }
}

impl Found<'_> {
    /// The numbers from `skip` to `wanted` of the members found (those of the region whose
    /// ranks lie in `ranks`, as [`Grid::found`] was given them), in date order (descending
    /// with `descending`). `rank` and `order` are the ordered index's positions by number and
    /// numbers by position. When the range holds most of the region, the parts found are
    /// merged in date order as for a page of the region alone (not visited again), skipping
    /// members out of the range; when it holds few, the members found are gathered and the
    /// page's worth sorted.
    pub fn by_date(
        &self,
        rank: &[u32],
        order: &[u32],
        ranks: Range<u32>,
        skip: usize,
        wanted: usize,
        descending: bool,
    ) -> Vec<u32> {
        let grid = self.grid;
        let wanted = wanted.min(self.count);
        if skip >= wanted {
            return Vec::new();
        }
        let keep = Keep::Ranks { rank, ranks };
        // The parts found, in the layout (date order) of the grid's members or the blocks'.
        let blocks = grid.blocks().members();
        let mut members = 0usize;
        let parts = self.runs.iter().zip(&self.of_block).zip(&self.layout);
        // Pushed where they are made (see [`Found::ranks`]).
        let mut runs: Vec<Run> = Vec::with_capacity(self.runs.len());
        for ((run, of_block), layout) in parts {
            let list = if *of_block { blocks } else { &grid.members[..] };
            members += layout.len();
            runs.push(Run {
                members: &list[layout.start as usize..layout.end as usize],
                from: layout.start,
                at: None,
                keep: Some(&keep),
                check: run.check,
            });
        }
        // A merge reads about `members / count` members of the region for each one found,
        // and as many again for each run before its first is found (every run is read to its
        // first); gathering reads each member found once.
        let read = ((wanted + runs.len()) as u64).saturating_mul(members as u64)
            / (self.count.max(1) as u64);
        if read <= self.count as u64 {
            return merge(grid, &runs, skip, wanted, descending);
        }
        drop(runs);
        let mut numbers: Vec<u32> = Vec::with_capacity(self.count);
        for run in &self.runs {
            for k in 0..run.members.len() {
                if run.counts(grid, k) {
                    numbers.push(order[run.members[k] as usize]);
                }
            }
        }
        first_of(numbers, skip, wanted, descending)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::lattice;
    use super::*;
    use geo::Point;

    /// The lattice's points ordered by a key with many ties, the last 300 without one: the
    /// keys in order, how many are known, each point's position in the order, and the order.
    fn ordered(n: usize) -> (Vec<f64>, usize, Vec<u32>, Vec<u32>) {
        let key = |i: usize| (i < n - 300).then(|| ((i * 7919) % 97) as f64);
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|i| (key(*i as usize).map_or(u64::MAX, |k| k as u64), *i));
        let mut rank = vec![0; n];
        for (at, i) in order.iter().enumerate() {
            rank[*i as usize] = at as u32;
        }
        let keys = order
            .iter()
            .map(|i| key(*i as usize).unwrap_or(f64::NAN))
            .collect();
        (keys, n - 300, rank, order)
    }

    #[test]
    fn a_regions_cells_in_a_keys_order_find_what_checking_every_point_finds() {
        let positions = lattice();
        let grid = Grid::new(&positions);
        let (keys, known, rank, order) = ordered(positions.len());
        let ranked = grid.ranked(&rank);
        // Each run of equal keys reversed, as `RangeIndex::mirror` does (its own inverse).
        let mirror = |r: u32| match (r as usize) < known {
            true => {
                let key = keys[r as usize];
                let run = keys[..known].partition_point(|k| *k < key)
                    ..keys[..known].partition_point(|k| *k <= key);
                (run.start + run.end - 1 - r as usize) as u32
            }
            false => r,
        };
        let mirrored = grid.ranked(&rank.iter().map(|r| mirror(*r)).collect::<Vec<_>>());
        let circles = [
            (46.1, 39.55, 2_000.0),
            (46.13, 39.6, 15_000.0),
            (46.0, 39.5, 50.0),
        ]
        .map(|(lon, lat, m)| Radius::new(Point::new(lon, lat), m));
        let mut regions = vec![
            Region::Box([46.05, 39.52, 46.2, 39.6]),
            Region::Box([46.0, 39.5, 46.0025, 39.505]),
            Region::Box([179.0, -1.0, -179.0, 1.0]),
        ];
        regions.extend(circles.iter().map(Region::Circle));
        for region in regions {
            let inside = |[lon, lat]: [f64; 2]| match region {
                Region::Box(b) => Grid::box_spans(b)
                    .iter()
                    .any(|[w, s, e, n]| (*w..=*e).contains(&lon) && (*s..=*n).contains(&lat)),
                Region::Circle(c) => c.contains(Point::new(lon, lat)),
            };
            let spans = Grid::box_spans(match region {
                Region::Box(b) => b,
                Region::Circle(_) => [0.0; 4],
            });
            // Ranges of keys, as a query's are, are whole runs of equal keys (keys 10 to 40,
            // and 50 up with the unknown ones); the others, cut anywhere, are not mirrored.
            let from_key = |key: f64| keys[..known].partition_point(|k| *k < key) as u32;
            for ranks in [
                0..u32::MAX,
                100..5_000,
                0..300,
                9_000..9_500,
                5..5,
                2_000..u32::MAX,
                1_000..8_000,
                from_key(10.0)..from_key(41.0),
                from_key(50.0)..u32::MAX,
            ] {
                let found = grid.found(&ranked, region, &spans, Counting::Ranks(ranks.clone()));
                // In the region and the ranks: by rank, and by number.
                let mut want: Vec<u32> = (0..positions.len() as u32)
                    .filter(|i| {
                        inside(positions[*i as usize]) && ranks.contains(&rank[*i as usize])
                    })
                    .map(|i| rank[i as usize])
                    .collect();
                want.sort_unstable();
                assert_eq!(found.count, want.len(), "{ranks:?}");
                assert_eq!(found.ranks(0..u32::MAX, 0, usize::MAX, false, None), want);
                let mut numbers: Vec<u32> = want.iter().map(|r| order[*r as usize]).collect();
                numbers.sort_unstable();
                for (skip, wanted, descending) in
                    [(0, 10, false), (3, 40, true), (0, usize::MAX, false)]
                {
                    let got = found.by_date(&rank, &order, ranks.clone(), skip, wanted, descending);
                    let mut all = numbers.clone();
                    if descending {
                        all.reverse();
                    }
                    let page: Vec<u32> = all.into_iter().take(wanted).skip(skip).collect();
                    assert_eq!(got, page, "{ranks:?} {skip} {wanted} {descending}");
                }
                // By key: descending, the largest key first, equal keys by rank, unknown last.
                let mut by_key = want.clone();
                by_key.sort_by(|a, b| {
                    let (ka, kb) = (keys[*a as usize], keys[*b as usize]);
                    let known = |r: u32| (r as usize) < known;
                    known(*b)
                        .cmp(&known(*a))
                        .then(kb.partial_cmp(&ka).unwrap_or(std::cmp::Ordering::Equal))
                        .then(a.cmp(b))
                });
                let whole_runs = [ranks.start, ranks.end].iter().all(|r| {
                    let r = *r as usize;
                    r == 0 || r >= known || keys[r - 1] != keys[r]
                });
                if !whole_runs {
                    continue;
                }
                let counting = Counting::Ranks(ranks.clone());
                let found_mirrored = grid.found(&mirrored, region, &spans, counting);
                assert_eq!(found_mirrored.count, want.len(), "{ranks:?}");
                for (skip, take) in [(0, 10), (7, 100), (0, 20_000)] {
                    let page: Vec<u32> = by_key.iter().skip(skip).take(take).copied().collect();
                    let got = found_mirrored.page_by_key(known, (skip, take), true, None);
                    assert_eq!(got.into_iter().map(mirror).collect::<Vec<_>>(), page);
                    let page: Vec<u32> = want.iter().skip(skip).take(take).copied().collect();
                    assert_eq!(found.page_by_key(known, (skip, take), false, None), page);
                }
            }
        }
    }
}
