//! How many incidents of one of the index's named sets (a town's, a weapon's) lie in a range
//! of a measured quantity, without gathering the range. `town=Khankendi&depth_min_km=10`
//! matches the town's 25,000 incidents at a million that lie 10 km or more from the line,
//! and its `numberMatched` must be exact: gathering the 760,000 incidents of the range into
//! a set to intersect it with the town's was most of that query's time, and checking each of
//! the town's incidents against the range instead was slower still.
//!
//! Instead, for a named set a query has asked about with a range of an ordered index, a
//! table counts the set's incidents in each fine chunk of the index's order, summed so that
//! any run of whole chunks is two lookups; only the positions at the ends of the range,
//! outside its whole chunks (fewer than two chunks' worth), are checked one by one. A table
//! is made on first use (one lookup per member of the set) and kept by the ordered index it
//! was made with: a write makes new sets and new ordered indexes, which make their own.

use super::bitmaps::{Bitmaps, RangeIndex, Span};
use super::shared::{loose, whole};
use roaring::RoaringBitmap;
use std::borrow::Cow;
use std::ops::Range;

/// Positions in each fine chunk: a range checks fewer than twice this one by one, and a
/// table takes 4 bytes per this many incidents (62.5 KB at a million).
const WIDTH: usize = 64;

/// How many tables one ordered index keeps (2 MB at a million).
pub const KEPT: usize = 32;

/// The vocabularies (and places) whose values name sets of incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Places,
    Types,
    Weapons,
    Targets,
    Perpetrators,
    Reporters,
    Verifications,
    Sides,
}

/// The set of incidents with any of some values of one vocabulary: what a table of
/// [`SetCounts`] is kept under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    vocabulary: Vocabulary,
    /// Ascending, each once.
    values: Vec<usize>,
}

impl Named {
    pub fn new(vocabulary: Vocabulary, mut values: Vec<usize>) -> Named {
        values.sort_unstable();
        values.dedup();
        Named { vocabulary, values }
    }

    /// Its incidents among `sets`: the one set itself, borrowed, for one value.
    pub fn set<'a>(&self, sets: &'a Bitmaps) -> Cow<'a, RoaringBitmap> {
        let of = sets.of(self.vocabulary);
        match self.values.as_slice() {
            [one] if let Some(set) = of.get(*one) => Cow::Borrowed(set),
            _ => Cow::Owned(Bitmaps::any_of(of, self.values.iter().copied())),
        }
    }
}

/// A named set's incidents counted by fine chunk of an ordered index: `below[c]` is how many
/// stand before position `c * WIDTH` of its order.
#[derive(Debug)]
pub struct SetCounts {
    below: Vec<u32>,
}

impl SetCounts {
    /// Counts the members of `set` by chunk of `index`'s order (a member not in the order,
    /// which a sound index does not have, is not counted).
    pub fn new(set: &RoaringBitmap, index: &RangeIndex) -> SetCounts {
        let rank = index.rank();
        let mut below = vec![0u32; index.order.len().div_ceil(WIDTH) + 1];
        for i in set {
            if let Some(at) = rank.get(i as usize).filter(|at| **at != u32::MAX) {
                below[*at as usize / WIDTH + 1] += 1;
            }
        }
        for c in 1..below.len() {
            below[c] += below[c - 1];
        }
        SetCounts { below }
    }

    /// How many members of `set` (the set this was made from) `span` (of the index this was
    /// made with) holds.
    pub fn count(&self, set: &RoaringBitmap, span: &Span) -> u64 {
        let (a, b) = whole(span.from(), span.to(), WIDTH);
        let inner = u64::from(self.below[b] - self.below[a]);
        let order = &span.index().order;
        let ends = loose(span.from(), span.to(), a * WIDTH, b * WIDTH)
            .map(|run| order[run].iter().filter(|i| set.contains(**i)).count() as u64);
        inner + ends.iter().sum::<u64>()
    }

    /// `end` moved down past the chunks before it that hold no member of the set: a walk
    /// down the order from `end` meets none of them before the position returned.
    pub fn occupied_end(&self, mut end: usize) -> usize {
        while end > 0 {
            let chunk = (end - 1) / WIDTH;
            if self.below[chunk + 1] > self.below[chunk] {
                break;
            }
            end = chunk * WIDTH;
        }
        end
    }

    /// The parts of positions `from..to` of the order that lie in chunks holding a member of
    /// the set, ascending: an ordered walk looking for the set's members reads only these.
    pub fn occupied(&self, from: usize, to: usize) -> impl Iterator<Item = Range<usize>> + '_ {
        let chunks = match from < to {
            true => from / WIDTH..(to - 1) / WIDTH + 1,
            false => 0..0,
        };
        chunks
            .filter(|c| self.below[c + 1] > self.below[*c])
            .map(move |c| (c * WIDTH).max(from)..((c + 1) * WIDTH).min(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every range (ends inside chunks, on their bounds, within one chunk, with the unknown
    /// keys or not) counts what it shares with a set, for sets sparse and dense, on an index
    /// where some incidents were taken out and others written after the build.
    #[test]
    fn a_table_counts_what_a_range_shares_with_a_set() {
        let depth = |i: u32| (!i.is_multiple_of(11)).then(|| f64::from((i * 37) % 101));
        let built = RangeIndex::new(&(0..900).map(depth).collect::<Vec<_>>());
        let gone: Vec<_> = (0..900).step_by(9).map(|i| (i, depth(i))).collect();
        let put: Vec<_> = (900..1000).map(|i| (i, depth(i))).collect();
        let index = built.applied(&gone, &put, |x, y| x.cmp(&y));
        let live = |i: &u32| *i >= 900 || !i.is_multiple_of(9);
        let sets: Vec<RoaringBitmap> = [3, 5, 2]
            .iter()
            .map(|m| (0..1000).filter(|i| i % m == 1).filter(live).collect())
            .chain([RoaringBitmap::new(), (0..1000).filter(live).collect()])
            .collect();
        let cuts = [
            None,
            Some((0.0, false)),
            Some((3.0, true)),
            Some((17.0, false)),
            Some((18.0, false)),
            Some((64.0, true)),
            Some((100.0, true)),
        ];
        let (mut compared, mut overlapping) = (0, 0);
        for set in &sets {
            let table = SetCounts::new(set, &index);
            for (low, high) in cuts.iter().flat_map(|l| cuts.iter().map(move |h| (*l, *h))) {
                for with_unknown in [false, true] {
                    let Some(span) = index.span(low, high, with_unknown) else {
                        continue;
                    };
                    let want = (span.set() & set).len();
                    assert_eq!(table.count(set, &span), want, "{low:?} {high:?}");
                    compared += 1;
                    overlapping += usize::from(want > 0);
                }
            }
        }
        assert!(compared > 150, "{compared}");
        assert!(
            overlapping * 2 > compared && overlapping < compared,
            "{overlapping} of {compared}"
        );
    }

    /// The occupied parts of any run hold every member of the set in the run, and only
    /// parts of chunks that hold one.
    #[test]
    fn a_walk_reads_every_member_of_the_set_in_the_occupied_parts_only() {
        let keys: Vec<Option<f64>> = (0..1000u32)
            .map(|i| Some(f64::from((i * 7) % 997)))
            .collect();
        let index = RangeIndex::new(&keys);
        // Members clustered in one stretch of the order and a few apart.
        let set: RoaringBitmap = (0..1000u32)
            .filter(|i| (300..420).contains(&((i * 7) % 997)) || i % 331 == 0)
            .collect();
        let table = SetCounts::new(&set, &index);
        for (from, to) in [
            (0, 1000),
            (0, 0),
            (5, 6),
            (63, 65),
            (250, 700),
            (999, 1000),
            (640, 640),
        ] {
            let parts: Vec<Range<usize>> = table.occupied(from, to).collect();
            let read: Vec<u32> = parts
                .iter()
                .flat_map(|r| index.order[r.clone()].to_vec())
                .collect();
            let want: Vec<u32> = index.order[from..to]
                .iter()
                .copied()
                .filter(|i| set.contains(*i))
                .collect();
            assert_eq!(
                read.iter()
                    .copied()
                    .filter(|i| set.contains(*i))
                    .collect::<Vec<_>>(),
                want,
                "{from}..{to}"
            );
            assert!(parts.windows(2).all(|w| w[0].end <= w[1].start));
            assert!(
                parts
                    .iter()
                    .all(|r| from <= r.start && r.end <= to && r.len() <= WIDTH)
            );
            // Each part lies in one chunk, which holds a member (maybe outside the part).
            let chunk = |r: &Range<usize>| {
                r.start / WIDTH * WIDTH..((r.start / WIDTH + 1) * WIDTH).min(1000)
            };
            assert!(parts.iter().all(|r| r.end <= chunk(r).end));
            assert!(
                parts
                    .iter()
                    .all(|r| index.order[chunk(r)].iter().any(|i| set.contains(*i)))
            );
        }
        // Walking down, the first member below any end is below where the walk resumes.
        for end in 0..=1000 {
            let resume = table.occupied_end(end);
            assert!(resume <= end);
            assert!(
                !index.order[resume..end].iter().any(|i| set.contains(*i)),
                "{end}"
            );
            assert!(
                resume == 0 || table.occupied(resume - 1, resume).count() == 1,
                "{end}"
            );
        }
        // Most of the order is skipped.
        assert!(table.occupied(0, 1000).map(|r| r.len()).sum::<usize>() < 600);
    }

    #[test]
    fn a_named_set_is_known_by_its_values_in_any_order() {
        assert_eq!(
            Named::new(Vocabulary::Places, vec![3, 1, 3]),
            Named::new(Vocabulary::Places, vec![1, 3])
        );
        assert_ne!(
            Named::new(Vocabulary::Places, vec![1]),
            Named::new(Vocabulary::Weapons, vec![1])
        );
    }
}
