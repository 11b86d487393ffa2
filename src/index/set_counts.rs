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
//!
//! The same table holds the members' positions in the order, so that a page of a town
//! sorted by depth reads the town's members from the deep end one after the other, not every
//! position between them.

use super::bitmaps::{Bitmaps, RangeIndex, Span};
use super::held::Held;
use super::shared::{loose, whole};
use roaring::RoaringBitmap;
use std::borrow::Cow;

/// Positions in each fine chunk: a range checks fewer than twice this one by one, and a
/// table takes 4 bytes per this many incidents (62.5 KB at a million).
const WIDTH: usize = 64;

/// How many tables one ordered index keeps (2 MB at a million).
pub const KEPT: usize = 32;

/// The vocabularies (and places) whose values name sets of incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// The set of incidents with any of some values of each of one or more vocabularies (a
/// type and a weapon: the incidents with both): what a table of [`SetCounts`], a grid's
/// marks or a kept intersection ([`Bitmaps::joined`]) is kept under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// By vocabulary, each once; values ascending, each once.
    clauses: Vec<(Vocabulary, Vec<usize>)>,
}

impl Named {
    /// The incidents with any of `values` of `vocabulary`.
    pub fn new(vocabulary: Vocabulary, values: Vec<usize>) -> Named {
        Named::all([(vocabulary, values)])
    }

    /// The incidents with any of the values of each clause. A vocabulary may come twice: an
    /// incident may hold several of its values (reporters), so the two clauses stay two.
    pub fn all(clauses: impl IntoIterator<Item = (Vocabulary, Vec<usize>)>) -> Named {
        let mut clauses: Vec<(Vocabulary, Vec<usize>)> = clauses
            .into_iter()
            .map(|(vocabulary, mut values)| {
                values.sort_unstable();
                values.dedup();
                (vocabulary, values)
            })
            .collect();
        clauses.sort_unstable();
        clauses.dedup();
        Named { clauses }
    }

    /// How many values (and places) it names in all: the sets a query reads to make it.
    pub fn values(&self) -> usize {
        self.clauses.iter().map(|(_, values)| values.len()).sum()
    }

    /// Whether incident `i` is among its incidents in `sets`.
    pub fn contains(&self, sets: &Bitmaps, i: u32) -> bool {
        self.clauses.iter().all(|(vocabulary, values)| {
            let of = sets.of(*vocabulary);
            values
                .iter()
                .any(|v| of.get(*v).is_some_and(|set| set.contains(i)))
        })
    }

    /// Its incidents among `sets`: the one set itself, borrowed, for one value; the
    /// intersection of several vocabularies' as [`Bitmaps::joined`] keeps it.
    pub fn set<'a>(&self, sets: &'a Bitmaps) -> Held<'a> {
        match self.clauses.as_slice() {
            [(vocabulary, values)] => any_of(sets.of(*vocabulary), values).into(),
            _ => Held::Kept(sets.joined(self)),
        }
    }

    /// Its incidents among `sets`, made now: each vocabulary's values joined, and those
    /// sets intersected, the smallest first.
    pub fn made(&self, sets: &Bitmaps) -> RoaringBitmap {
        let mut each: Vec<Cow<'_, RoaringBitmap>> = self
            .clauses
            .iter()
            .map(|(vocabulary, values)| any_of(sets.of(*vocabulary), values))
            .collect();
        each.sort_unstable_by_key(|set| set.len());
        let mut each = each.into_iter();
        let Some(first) = each.next() else {
            return RoaringBitmap::new();
        };
        each.fold(first.into_owned(), |set, other| set & other.as_ref())
    }
}

/// The incidents with any of `values` among the sets `of` one vocabulary: the one set
/// itself, borrowed, for one value.
fn any_of<'a>(of: &'a [RoaringBitmap], values: &[usize]) -> Cow<'a, RoaringBitmap> {
    match values {
        [one] if let Some(set) = of.get(*one) => Cow::Borrowed(set),
        _ => Cow::Owned(Bitmaps::any_of(of, values.iter().copied())),
    }
}

/// A named set's incidents counted by fine chunk of an ordered index: `below[c]` is how many
/// stand before position `c * WIDTH` of its order; and where they stand in it.
#[derive(Debug)]
pub struct SetCounts {
    below: Vec<u32>,
    /// The members' positions in the order: a walk of the order looking for the set's
    /// members reads them one after the other, in either direction, instead of testing every
    /// position of a stretch (a town's members stand about one in forty at a million, and
    /// testing them one by one was most of a sorted page of a town).
    pub positions: RoaringBitmap,
}

impl SetCounts {
    /// Counts the members of `set` by chunk of `index`'s order (a member not in the order,
    /// which a sound index does not have, is not counted).
    pub fn new(set: &RoaringBitmap, index: &RangeIndex) -> SetCounts {
        let rank = index.rank();
        let ats: Vec<u32> = set
            .iter()
            .filter_map(|i| rank.get(i as usize).copied())
            .filter(|at| *at != u32::MAX)
            .collect();
        let mut below = vec![0u32; index.order.len().div_ceil(WIDTH) + 1];
        for at in &ats {
            below[*at as usize / WIDTH + 1] += 1;
        }
        for c in 1..below.len() {
            below[c] += below[c - 1];
        }
        // Sorted by chunk (each to its place from the counts), then within each chunk.
        let mut next = below.clone();
        let mut sorted = vec![0u32; ats.len()];
        for at in ats {
            let slot = &mut next[at as usize / WIDTH];
            sorted[*slot as usize] = at;
            *slot += 1;
        }
        for c in 0..below.len() - 1 {
            sorted[below[c] as usize..below[c + 1] as usize].sort_unstable();
        }
        let positions = RoaringBitmap::from_sorted_iter(sorted).unwrap_or_default();
        SetCounts { below, positions }
    }

    /// How many members of the set this was made from `span` (of the index this was made
    /// with) holds: the whole chunks' by two lookups, the positions at either end by the
    /// members' positions.
    pub fn count(&self, span: &Span) -> u64 {
        let (a, b) = whole(span.from(), span.to(), WIDTH);
        let inner = u64::from(self.below[b] - self.below[a]);
        let ends = loose(span.from(), span.to(), a * WIDTH, b * WIDTH).map(|run| {
            let (from, to) = (run.start as u32, run.end as u32);
            self.positions.range_cardinality(from..to)
        });
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
                    assert_eq!(table.count(&span), want, "{low:?} {high:?}");
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

    /// The members' positions are where the order holds them, every one: sets clustered in
    /// one stretch of the order, spread, empty and whole, with chunks of many members.
    #[test]
    fn the_positions_are_where_the_order_holds_the_members() {
        let keys: Vec<Option<f64>> = (0..1000u32)
            .map(|i| (i % 13 != 0).then(|| f64::from((i * 7) % 997)))
            .collect();
        let index = RangeIndex::new(&keys);
        let sets: [RoaringBitmap; 4] = [
            (0..1000u32)
                .filter(|i| (300..420).contains(&((i * 7) % 997)) || i % 331 == 0)
                .collect(),
            (0..1000u32).filter(|i| i % 3 == 0).collect(),
            RoaringBitmap::new(),
            (0..1000u32).collect(),
        ];
        for set in &sets {
            let table = SetCounts::new(set, &index);
            let want: RoaringBitmap = (0..1000u32)
                .filter(|at| set.contains(index.order[*at as usize]))
                .collect();
            assert_eq!(table.positions, want);
            assert_eq!(table.positions.len(), set.len());
        }
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
        let (types, weapons) = (
            (Vocabulary::Types, vec![2, 0]),
            (Vocabulary::Weapons, vec![1]),
        );
        assert_eq!(
            Named::all([types.clone(), weapons.clone()]),
            Named::all([weapons.clone(), (Vocabulary::Types, vec![0, 2, 0])])
        );
        assert_ne!(Named::all([types.clone(), weapons]), Named::all([types]));
    }

    /// Sets where incident `i` holds type `i % 3`, weapon `i % 4`, reporters `i % 5` and
    /// `i % 7` (an incident may hold several), of 2,000 incidents, one type left without any.
    fn sets() -> Bitmaps {
        let of = |values: usize, holds: &dyn Fn(u32, usize) -> bool| -> Vec<RoaringBitmap> {
            (0..values)
                .map(|v| (0..2_000).filter(|i| holds(*i, v)).collect())
                .collect()
        };
        let mut sets = Bitmaps::default();
        sets.types = of(4, &|i, v| i as usize % 3 == v);
        sets.weapons = of(4, &|i, v| i as usize % 4 == v);
        sets.reporters = of(7, &|i, v| i as usize % 5 == v || i as usize % 7 == v);
        sets
    }

    /// Values of several vocabularies name the incidents that hold one of each clause's
    /// values, whether made, kept or checked one by one; a vocabulary an incident may hold
    /// several values of may come twice, each clause holding.
    #[test]
    fn several_vocabularies_name_the_incidents_with_a_value_of_each() {
        let sets = sets();
        let holds = |i: u32, values: &[usize], of: &dyn Fn(u32) -> Vec<usize>| {
            of(i).iter().any(|v| values.contains(v))
        };
        let kind = |i: u32| vec![i as usize % 3];
        let weapon = |i: u32| vec![i as usize % 4];
        let reporters = |i: u32| vec![i as usize % 5, i as usize % 7];
        type Clause = (Vocabulary, Vec<usize>, fn(u32) -> Vec<usize>);
        let cases: Vec<Vec<Clause>> = vec![
            vec![
                (Vocabulary::Types, vec![1], kind),
                (Vocabulary::Weapons, vec![2], weapon),
            ],
            vec![
                (Vocabulary::Types, vec![0, 2], kind),
                (Vocabulary::Weapons, vec![1, 3], weapon),
                (Vocabulary::Reporters, vec![4], reporters),
            ],
            vec![
                (Vocabulary::Reporters, vec![0], reporters),
                (Vocabulary::Reporters, vec![6], reporters),
            ],
            vec![
                (Vocabulary::Types, vec![3], kind),
                (Vocabulary::Weapons, vec![0], weapon),
            ],
            vec![
                (Vocabulary::Types, vec![9], kind),
                (Vocabulary::Weapons, vec![0], weapon),
            ],
        ];
        let mut sizes = Vec::new();
        for clauses in &cases {
            let named = Named::all(clauses.iter().map(|(v, values, _)| (*v, values.clone())));
            let want: RoaringBitmap = (0..2_000)
                .filter(|i| clauses.iter().all(|(_, values, of)| holds(*i, values, of)))
                .collect();
            assert_eq!(named.made(&sets), want, "{named:?}");
            assert_eq!(*named.set(&sets), want, "{named:?}");
            assert!((0..2_000).all(|i| named.contains(&sets, i) == want.contains(i)));
            // Kept once made: the same set, not made again.
            assert!(std::sync::Arc::ptr_eq(
                &sets.joined(&named),
                &sets.joined(&named)
            ));
            sizes.push(want.len());
        }
        // Some incidents and none; and reporters 0 and 6 hold some that neither 0 nor 6
        // alone would take for the two clauses.
        assert!(
            sizes[..3].iter().all(|n| *n > 0) && sizes[3..] == [0, 0],
            "{sizes:?}"
        );
    }
}
