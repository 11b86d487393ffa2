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

use super::bitmaps::{RangeIndex, Span};
use super::shared::{loose, whole};
use roaring::RoaringBitmap;

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

    pub fn vocabulary(&self) -> Vocabulary {
        self.vocabulary
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
