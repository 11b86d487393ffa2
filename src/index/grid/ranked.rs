//! Each cell's members in the order of one key (depth, toll), for a box's or a circle's page
//! sorted by that key. Keying every incident of a town's box to find its ten deepest read
//! 27,000 scattered records (450 µs at a million); with each cell's members already in the
//! key's order, the page is a merge of the cells from their deep ends, as a page in date
//! order is a merge of the cells from their first members, and a range of the same key is
//! one stretch of each cell, counted by two binary searches.

use super::{Check, Grid, Part, Run, merge};
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
}

/// Where a page sorted by a key looks.
#[derive(Clone, Copy)]
pub enum Region<'a> {
    /// `[west, south, east, north]`; west past east crosses the antimeridian.
    Box([f64; 4]),
    Circle(&'a Radius),
}

/// The cells of a region cut to a stretch of ranks, each with the check its members need,
/// and how many of their members lie in the region.
pub struct Found<'g> {
    grid: &'g Grid,
    runs: Vec<Run<'g>>,
    pub count: usize,
}

impl Grid {
    /// The grid's cells in the order whose positions `rank` gives (an incident's position,
    /// by its number).
    pub fn ranked(&self, rank: &[u32]) -> Ranked {
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(self.members.len());
        for w in self.starts.windows(2) {
            let first = pairs.len();
            for slot in w[0]..w[1] {
                let i = self.members[slot as usize];
                pairs.push((rank.get(i as usize).copied().unwrap_or(u32::MAX), slot));
            }
            pairs[first..].sort_unstable();
        }
        let (ranks, at) = pairs.into_iter().unzip();
        Ranked { ranks, at }
    }

    /// A box as the one or two spans [`Grid::found`] reads (west past east crosses the
    /// antimeridian).
    pub fn box_spans([west, south, east, north]: [f64; 4]) -> Vec<[f64; 4]> {
        Self::spans(west, south, east, north)
    }

    /// The members of the region whose ranks lie in `ranks`, cell by cell (none read
    /// yet but those of the cells its edge crosses, which are counted one by one). A box is
    /// read as `spans`, its [`Grid::box_spans`].
    pub fn found<'g>(
        &'g self,
        ranked: &'g Ranked,
        region: Region<'g>,
        spans: &'g [[f64; 4]],
        ranks: Range<u32>,
    ) -> Found<'g> {
        let mut found = Found {
            grid: self,
            runs: Vec::with_capacity(512),
            count: 0,
        };
        let mut add = |range: Range<u32>, check: Check<'g>| {
            let (from, to) = (range.start as usize, range.end as usize);
            let cell = &ranked.ranks[from..to];
            let stretch = cell.partition_point(|r| *r < ranks.start)
                ..cell.partition_point(|r| *r < ranks.end);
            if stretch.is_empty() {
                return;
            }
            let whole_cell = stretch.len() == cell.len();
            let run = Run {
                members: &cell[stretch.clone()],
                from: (from + stretch.start) as u32,
                at: Some(&ranked.at[from + stretch.start..from + stretch.end]),
                check,
            };
            let inside = if whole_cell {
                // The same members in the grid's own layout: counted from memory that lies
                // together (a circle's cells four at a time).
                Run {
                    members: &self.members[from..to],
                    from: range.start,
                    at: None,
                    check,
                }
                .count(self)
            } else {
                run.count(self)
            };
            if inside > 0 {
                found.count += inside;
                found.runs.push(run);
            }
        };
        match region {
            Region::Box(_) => {
                self.visit_box(spans, false, |part, span| {
                    if let Part::Cell(range, whole) = part {
                        add(
                            range,
                            if whole {
                                Check::Every
                            } else {
                                Check::Span(span)
                            },
                        );
                    }
                });
            }
            Region::Circle(radius) => {
                self.visit_radius_parts(radius, false, |(k, part)| {
                    if let Part::Cell(range, whole) = part {
                        add(
                            range,
                            if whole {
                                Check::Every
                            } else {
                                Check::Within(radius, k as u32)
                            },
                        );
                    }
                });
            }
        }
        found
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
    ) -> Vec<u32> {
        let runs: Vec<Run> = self
            .runs
            .iter()
            .filter_map(|run| {
                let from = run.members.partition_point(|r| *r < ranks.start);
                let to = run.members.partition_point(|r| *r < ranks.end);
                (from < to).then(|| Run {
                    members: &run.members[from..to],
                    from: run.from + from as u32,
                    at: run.at.map(|at| &at[from..to]),
                    check: run.check,
                })
            })
            .collect();
        merge(self.grid, &runs, skip, wanted, descending)
    }
}

impl Found<'_> {
    /// The ranks from `skip` on, at most `take`, in the order a page by the key reads them:
    /// ascending, ranks ascend (equal keys lie in date order, unknown keys last); descending,
    /// the known keys from the largest down with equal keys still in date order, then the
    /// unknown ones in date order. `keys` are the order's keys, finite for the first `known`.
    pub fn page_by_key(
        &self,
        keys: &[f64],
        known: usize,
        skip: usize,
        take: usize,
        descending: bool,
    ) -> Vec<u32> {
        let wanted = skip.saturating_add(take).min(self.count);
        if !descending {
            return self.ranks(0..u32::MAX, skip, wanted, false);
        }
        let known = u32::try_from(known).unwrap_or(u32::MAX);
        // Down the ranks of known keys: each run of equal keys is met from its last rank, so
        // the run the page ends in is read again from its first.
        let mut page = self.ranks(0..known, 0, wanted, true);
        if page.len() == wanted {
            if let Some(&last) = page.last() {
                let key = keys[last as usize];
                let run = keys[..known as usize].partition_point(|k| *k < key) as u32
                    ..keys[..known as usize].partition_point(|k| *k <= key) as u32;
                page.retain(|r| *r >= run.end);
                let rest = wanted - page.len();
                page.extend(self.ranks(run, 0, rest, false));
            }
        } else {
            let rest = wanted - page.len();
            page.extend(self.ranks(known..u32::MAX, 0, rest, false));
        }
        // Equal keys in date order: by key descending, then rank ascending (unknown keys,
        // found last, keep their place).
        let known_len = page.iter().take_while(|r| **r < known).count();
        page[..known_len].sort_unstable_by(|a, b| {
            keys[*b as usize]
                .partial_cmp(&keys[*a as usize])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(b))
        });
        page.split_off(skip.min(page.len()))
    }
}
