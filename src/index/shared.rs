//! How many incidents two ranges of two ordered indexes share, without gathering either. A
//! CQL2 filter on two measured quantities (`depth_km > 30 AND killed >= 1`) matches hundreds
//! of thousands of incidents, and its `numberMatched` must be exact. Intersecting the
//! indexes' precomputed prefix sets cost four whole-set intersections and up to four chunks
//! of 1/128th checked one by one, on every request: most of that query's time.
//!
//! Instead, for a pair of indexes that a query has asked about, a table counts the incidents
//! in each pair of fine chunks (1/1024th of each order), summed so that any block of whole
//! chunks is four lookups; only the members at the ends of each range, outside its whole
//! chunks (at most two fine chunks), are checked one by one. They are checked against the
//! other order's positions kept beside them in the table (one pass over a few thousand
//! numbers side by side, not a lookup far off in memory for each: those lookups were most of
//! the query's remaining time). A table is made on first use (one pass over the incidents)
//! and belongs to the two indexes it was made from: a write makes new indexes, which make
//! their own.

use super::bitmaps::{RangeIndex, Span};
use super::kept::Kept;
use std::ops::Range;
use std::sync::Arc;

/// How many fine chunks each order is cut into: the table of a pair holds the square of this
/// (4 MB at 1,024, beside 8 bytes an incident of positions: 12 MB in all at a million), and a
/// range checks up to two chunks' worth one by one.
const FINE: usize = 1024;

/// How many tables one index keeps.
const KEPT: usize = 8;

/// The incidents of two orders `x` and `y` counted by fine chunk of each: `below(a, b)` is
/// how many stand before position `a * wx` of `x` and before `b * wy` of `y`. The incidents'
/// positions in the other order, read at the ends of a range, are kept by whoever owns the
/// orders: a table of two indexes keeps them ([`SharedCounts`]), a table of incident numbers
/// with an index reads that index's own ranks and order ([`Counts::by_number`]).
#[derive(Debug)]
pub struct Counts {
    wx: usize,
    wy: usize,
    /// Columns of the table: `y`'s chunks plus one.
    columns: usize,
    below: Vec<u32>,
}

/// [`Counts`] of two indexes, with the positions that link them.
#[derive(Debug)]
pub struct SharedCounts {
    counts: Counts,
    /// For each position of `x`'s order, the same incident's position in `y`'s
    /// (`u32::MAX`: not in it).
    x_in_y: Vec<u32>,
    /// For each position of `y`'s order, its position in `x`'s.
    y_in_x: Vec<u32>,
}

impl SharedCounts {
    /// Counts what `x` and `y` share, cutting each order into `chunks` chunks (the last may
    /// be shorter).
    pub fn new(x: &RangeIndex, y: &RangeIndex, chunks: usize) -> SharedCounts {
        let position_in = |index: &RangeIndex, i: &u32| {
            index.rank().get(*i as usize).copied().unwrap_or(u32::MAX)
        };
        let x_in_y: Vec<u32> = x.order.iter().map(|i| position_in(y, i)).collect();
        let y_in_x: Vec<u32> = y.order.iter().map(|i| position_in(x, i)).collect();
        SharedCounts {
            counts: Counts::new(&x_in_y, y_in_x.len(), chunks),
            x_in_y,
            y_in_x,
        }
    }

    /// How many incidents `x` (a span of the `x` this was made from) and `y` (of `y`) share.
    pub fn count(&self, x: &Span, y: &Span) -> u64 {
        let (x, y) = (x.from()..x.to(), y.from()..y.to());
        self.counts.count(x, y, &self.x_in_y, &self.y_in_x)
    }
}

impl Counts {
    /// From each position of `x`'s order, its incident's position in `y`'s (`u32::MAX`:
    /// not in it), `y` holding `y_len` positions.
    fn new(x_in_y: &[u32], y_len: usize, chunks: usize) -> Counts {
        let width = |n: usize| n.div_ceil(chunks.max(1)).max(1);
        let (wx, wy) = (width(x_in_y.len()), width(y_len));
        let rows = x_in_y.len().div_ceil(wx) + 1;
        let columns = y_len.div_ceil(wy) + 1;
        let mut below = vec![0u32; rows * columns];
        for (p, q) in x_in_y.iter().enumerate() {
            if *q != u32::MAX {
                below[(p / wx + 1) * columns + *q as usize / wy + 1] += 1;
            }
        }
        // Summed over rows and columns, each cell holds what stands before it in both.
        for a in 1..rows {
            for b in 1..columns {
                below[a * columns + b] += below[(a - 1) * columns + b] + below[a * columns + b - 1]
                    - below[(a - 1) * columns + b - 1];
            }
        }
        Counts {
            wx,
            wy,
            columns,
            below,
        }
    }

    /// Counts what incident numbers (the date order of an index as built) and `y`'s order
    /// share: a run of days is a run of numbers, and the days' matches in a range of `y`'s
    /// key are counted as a range of another order's are. Its positions are `y`'s own ranks
    /// (by number) and order (numbers by position), not copied.
    pub fn by_number(y: &RangeIndex, chunks: usize) -> Counts {
        Counts::new(y.rank(), y.order.len(), chunks)
    }

    fn below(&self, a: usize, b: usize) -> u64 {
        u64::from(self.below[a * self.columns + b])
    }

    /// How many incidents positions `x` of the `x` order and `y` of the `y` order share
    /// (past the end of either order, none), with `x_in_y` and `y_in_x` the positions this
    /// was made from and their reverse.
    pub fn count(&self, x: Range<usize>, y: Range<usize>, x_in_y: &[u32], y_in_x: &[u32]) -> u64 {
        let x = x.start.min(x_in_y.len())..x.end.min(x_in_y.len());
        let y = y.start.min(y_in_x.len())..y.end.min(y_in_x.len());
        if x.is_empty() || y.is_empty() {
            return 0;
        }
        let (xa, xb) = whole(x.start, x.end, self.wx);
        let (ya, yb) = whole(y.start, y.end, self.wy);
        let inner =
            (self.below(xb, yb) + self.below(xa, ya)) - (self.below(xa, yb) + self.below(xb, ya));
        // Those at the ends of `x`: in all of `y`; at the ends of `y`: in the whole of `x`.
        let loose_x = loose(x.start, x.end, xa * self.wx, xb * self.wx)
            .map(|run| positions_in(&x_in_y[run], y.clone()))
            .iter()
            .sum::<u64>();
        let loose_y = loose(y.start, y.end, ya * self.wy, yb * self.wy)
            .map(|run| positions_in(&y_in_x[run], xa * self.wx..xb * self.wx))
            .iter()
            .sum::<u64>();
        inner + loose_x + loose_y
    }
}

/// How many of `positions` lie in `range` (`u32::MAX`, "not there", never does: a range
/// ends at most at the number of incidents), with no branch per position.
fn positions_in(positions: &[u32], range: Range<usize>) -> u64 {
    let (from, len) = (range.start as u32, range.len() as u32);
    positions
        .iter()
        .map(|p| u32::from(p.wrapping_sub(from) < len))
        .sum::<u32>()
        .into()
}

/// The whole chunks (of `width`) inside positions `from..to`, as chunk numbers `a..b`
/// (`a == b` when there is none).
pub(super) fn whole(from: usize, to: usize, width: usize) -> (usize, usize) {
    let (a, b) = (from.div_ceil(width), to / width);
    if a < b { (a, b) } else { (0, 0) }
}

/// Positions of `from..to` outside its whole chunks `start..end` (all of them when
/// `start == end`), as runs.
pub(super) fn loose(from: usize, to: usize, start: usize, end: usize) -> [Range<usize>; 2] {
    if start == end {
        [from..to, 0..0]
    } else {
        [from..start, end..to]
    }
}

/// The tables an index has made with others, by the other's serial number (one per other
/// index it has been counted against; the index holds five of them, and more only if an
/// index outlives a write to another).
pub type Tables = Kept<u64, SharedCounts, KEPT>;

/// The table of `x` (whose `tables` these are) with `y`, made now if it is not kept.
pub fn table_with(tables: &Tables, x: &RangeIndex, y: &RangeIndex) -> Arc<SharedCounts> {
    tables.with(y.serial(), || SharedCounts::new(x, y, FINE))
}

/// The table of incident numbers with `y`, kept in `kept`, made now if it is not kept.
pub fn numbers_with(kept: &Kept<(), Counts, 1>, y: &RangeIndex) -> Arc<Counts> {
    kept.with((), || Counts::by_number(y, FINE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use roaring::RoaringBitmap;

    /// Every pair of ranges (ends falling inside chunks, on their bounds, or within one
    /// chunk) counts what their sets share, whatever the chunks are cut to, on two indexes
    /// of the same incidents where some have no key in one or were written after a build.
    #[test]
    fn a_table_counts_what_two_ranges_share() {
        let depth = |i: u32| (!i.is_multiple_of(11)).then(|| f64::from((i * 37) % 101));
        let toll = |i: u32| (!i.is_multiple_of(6)).then(|| f64::from((i * 13) % 7));
        let a = RangeIndex::new(&(0..700).map(depth).collect::<Vec<_>>());
        let b = RangeIndex::new(&(0..700).map(toll).collect::<Vec<_>>());
        let gone: Vec<_> = (0..700).step_by(9).map(|i| (i, toll(i))).collect();
        let put: Vec<_> = (700..760).map(|i| (i, toll(i))).collect();
        let b = b.applied(&gone, &put, |x, y| x.cmp(&y));
        let cuts = [
            None,
            Some((0.0, false)),
            Some((2.0, true)),
            Some((3.0, false)),
            Some((40.0, false)),
            Some((41.0, true)),
            Some((99.0, true)),
        ];
        let (mut compared, mut overlapping) = (0, 0);
        for chunks in [1, 2, 7, 64, 1024] {
            let table = SharedCounts::new(&a, &b, chunks);
            for (low, high) in cuts.iter().flat_map(|l| cuts.iter().map(move |h| (*l, *h))) {
                for with_unknown in [false, true] {
                    let (Some(x), Some(y)) = (
                        a.span(low, high, with_unknown),
                        b.span(high, low.map(|(v, _)| (v + 2.0, false)), false),
                    ) else {
                        continue;
                    };
                    let want = (x.set() & y.set()).len();
                    assert_eq!(table.count(&x, &y), want, "{chunks} {low:?} {high:?}");
                    compared += 1;
                    overlapping += usize::from(want > 0);
                }
            }
        }
        // The pairs really overlap, though not always.
        assert!(compared > 200, "{compared}");
        assert!(
            overlapping * 4 > compared && overlapping < compared,
            "{overlapping} of {compared}"
        );
    }

    /// Runs of incident numbers (days, on an index as built) count what they share with
    /// ranges of an order, whatever the chunks, with runs past the last number counting
    /// none beyond it.
    #[test]
    fn a_table_of_numbers_counts_what_a_run_of_numbers_shares_with_a_range() {
        let depth = |i: u32| (!i.is_multiple_of(7)).then(|| f64::from((i * 29) % 83));
        let index = RangeIndex::new(&(0..900).map(depth).collect::<Vec<_>>());
        let cuts = [
            None,
            Some((0.0, false)),
            Some((10.0, true)),
            Some((41.0, false)),
        ];
        let runs = [
            0..900,
            0..1,
            13..14,
            75..95,
            0..450,
            450..900,
            250..899,
            899..1200,
            64..64,
        ];
        let mut compared = 0;
        for chunks in [1, 5, 64, 1024] {
            let table = Counts::by_number(&index, chunks);
            for (low, high) in cuts.iter().flat_map(|l| cuts.iter().map(move |h| (*l, *h))) {
                let Some(span) = index.span(low, high, low.is_none()) else {
                    continue;
                };
                for run in runs.clone() {
                    let want = (span.set() & RoaringBitmap::from_iter(run.clone())).len();
                    let got = table.count(
                        run.start as usize..run.end as usize,
                        span.from()..span.to(),
                        index.rank(),
                        &index.order,
                    );
                    assert_eq!(got, want, "{chunks} {low:?} {high:?} {run:?}");
                    compared += usize::from(want > 0);
                }
            }
        }
        assert!(compared > 100, "{compared}");
    }

    /// A table is kept for the index it was made with, and not used for another.
    #[test]
    fn a_table_is_kept_for_its_pair_only() {
        let a = RangeIndex::new(
            &(0..300)
                .map(|i| Some(f64::from(i % 13)))
                .collect::<Vec<_>>(),
        );
        let b = RangeIndex::new(&(0..300).map(|i| Some(f64::from(i % 5))).collect::<Vec<_>>());
        let c = RangeIndex::new(&(0..300).map(|i| Some(f64::from(i % 7))).collect::<Vec<_>>());
        let tables = Tables::default();
        assert!(tables.kept(&b.serial()).is_none());
        let first = table_with(&tables, &a, &b);
        assert!(Arc::ptr_eq(&first, &tables.kept(&b.serial()).unwrap()));
        assert!(tables.kept(&c.serial()).is_none());
        assert!(Arc::ptr_eq(&first, &table_with(&tables, &a, &b)));
        assert!(!Arc::ptr_eq(&first, &table_with(&tables, &a, &c)));
        let (x, y) = (
            a.span(Some((4.0, false)), None, false).unwrap(),
            c.span(None, Some((2.0, false)), false).unwrap(),
        );
        assert_eq!(
            table_with(&tables, &a, &c).count(&x, &y),
            (x.set() & y.set()).len()
        );
    }
}
