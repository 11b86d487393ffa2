//! Which of the grid's members hold one named set (a weapon's, a type's, a town's), for a
//! box's or a circle's page filtered by vocabulary values. `bbox` with `weapon=artillery`
//! gathered the box's 27,000 incidents at a million into a set to meet the weapon's (50 to
//! 70 µs, most of it marking and reading bits); with a bit for each member of the grid, laid
//! out as its members are, the set's members of a whole cell (or block, or a cell's stretch
//! of days) are counted by two lookups, and a page is a merge of the cells skipping members
//! without the bit, as a page of the box alone is a merge of its cells.

use super::Grid;
use crate::index::Named;
use roaring::RoaringBitmap;
use std::ops::Range;

/// A bit for each member of a list, and how many are set before each word of 64, so that
/// those set in any stretch of the list are counted by two lookups.
#[derive(Debug, Default)]
pub struct Bits {
    words: Vec<u64>,
    /// `before[w]`: how many bits are set in `words[..w]`.
    before: Vec<u32>,
}

impl Bits {
    /// A bit for each of `members` (incident numbers): set when `dense` (a bit per incident
    /// number) holds it.
    fn new(members: &[u32], dense: &[u64]) -> Bits {
        let has = |i: u32| {
            dense
                .get(i as usize / 64)
                .is_some_and(|w| w >> (i % 64) & 1 == 1)
        };
        let mut words = Vec::with_capacity(members.len().div_ceil(64));
        let mut before = Vec::with_capacity(words.capacity());
        let mut set = 0u32;
        for chunk in members.chunks(64) {
            let word = chunk
                .iter()
                .enumerate()
                .fold(0u64, |w, (b, i)| w | u64::from(has(*i)) << b);
            before.push(set);
            set += word.count_ones();
            words.push(word);
        }
        Bits { words, before }
    }

    /// Whether the bit of member `at` is set.
    #[inline]
    pub fn has(&self, at: usize) -> bool {
        self.words
            .get(at / 64)
            .is_some_and(|w| w >> (at % 64) & 1 == 1)
    }

    /// How many bits are set before member `at`.
    #[inline]
    fn below(&self, at: usize) -> usize {
        let (w, b) = (at / 64, at % 64);
        match self.words.get(w) {
            Some(word) => {
                let low = if b == 0 { 0 } else { word << (64 - b) };
                self.before[w] as usize + low.count_ones() as usize
            }
            // Past the last word: every bit.
            None => self
                .before
                .last()
                .zip(self.words.last())
                .map_or(0, |(b, w)| *b as usize + w.count_ones() as usize),
        }
    }

    /// Calls `found` with each member of the stretch `range` whose bit is set, in order: a
    /// word of 64 at a time.
    #[inline]
    pub fn each_set(&self, range: Range<usize>, mut found: impl FnMut(usize)) {
        let mut at = range.start;
        while at < range.end {
            let (w, b) = (at / 64, at % 64);
            let Some(word) = self.words.get(w) else {
                return;
            };
            let end = (w * 64 + 64).min(range.end);
            let mut bits = word >> b;
            if end - at < 64 {
                bits &= (1u64 << (end - at)) - 1;
            }
            while bits != 0 {
                found(at + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
            at = end;
        }
    }

    /// How many bits are set in the stretch `range` of members.
    #[inline]
    pub fn count(&self, range: Range<usize>) -> usize {
        if range.is_empty() {
            return 0;
        }
        self.below(range.end) - self.below(range.start)
    }
}

/// What a set of marks is kept under: a named set, or the incidents whose text holds a
/// search (folded, exactly those its words find).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marking {
    Named(Named),
    Text(Box<str>),
}

/// A set's members among the grid's members (as they lie cell by cell) and among its
/// blocks' members.
#[derive(Debug, Default)]
pub struct Marked {
    pub cells: Bits,
    pub blocks: Bits,
}

impl Grid {
    /// Which of the grid's members, and of its blocks' members, `set` holds: one pass over
    /// each (a few milliseconds at a million).
    pub fn marked(&self, set: &RoaringBitmap) -> Marked {
        let mut dense = vec![0u64; self.incidents.div_ceil(64)];
        for i in set.range(..self.incidents as u32) {
            dense[i as usize / 64] |= 1 << (i % 64);
        }
        Marked {
            cells: Bits::new(&self.members, &dense),
            blocks: Bits::new(self.blocks().members(), &dense),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::lattice;
    use super::super::{Region, first_of};
    use super::*;
    use crate::geodesy::Radius;
    use geo::Point;

    /// A region's page of a named set, common or rare, with days or not, equals checking
    /// every point; past `most` members read, none.
    #[test]
    fn a_regions_page_of_a_set_is_what_checking_every_point_finds() {
        let positions = lattice();
        let grid = Grid::new(&positions);
        let n = positions.len() as u32;
        let sets: [RoaringBitmap; 4] = [
            (0..n).filter(|i| i % 3 != 1).collect(),
            (0..n).filter(|i| i % 97 == 5).collect(),
            RoaringBitmap::new(),
            (0..n).collect(),
        ];
        let radii = [
            Radius::new(Point::new(46.1, 39.55), 2_000.0),
            Radius::new(Point::new(46.13, 39.6), 15_000.0),
            Radius::new(Point::new(-179.9995, 0.0), 1_000.0),
        ];
        let mut regions: Vec<Region> = [
            [46.0, 39.5, 46.26, 39.62],
            [46.0013, 39.5025, 46.1013, 39.5525],
            [46.05, 39.51, 46.0501, 39.6],
            [179.0, -1.0, -179.0, 1.0],
        ]
        .into_iter()
        .map(Region::Box)
        .collect();
        regions.extend(radii.iter().map(Region::Circle));
        let inside = |region: &Region, [lon, lat]: [f64; 2]| match region {
            Region::Box([w, s, e, n]) => {
                let in_lon = if w <= e {
                    (*w..=*e).contains(&lon)
                } else {
                    lon >= *w || lon <= *e
                };
                in_lon && (*s..=*n).contains(&lat)
            }
            Region::Circle(radius) => radius.contains(Point::new(lon, lat)),
        };
        for set in &sets {
            let marked = grid.marked(set);
            for region in &regions {
                let spans = match region {
                    Region::Box(b) => Grid::box_spans(*b),
                    Region::Circle(_) => Vec::new(),
                };
                let all: Vec<u32> = (0..n)
                    .filter(|i| set.contains(*i) && inside(region, positions[*i as usize]))
                    .collect();
                for (days, others) in [(None, vec![]), (Some(2_000..7_000), vec![3, 17, 400])] {
                    // The others are known to count (the caller keeps those of the set).
                    let others: Vec<u32> =
                        others.into_iter().filter(|i| set.contains(*i)).collect();
                    let want: Vec<u32> = match &days {
                        None => all.clone(),
                        Some(run) => {
                            let mut want = others.clone();
                            want.extend(all.iter().filter(|i| run.contains(*i)));
                            want
                        }
                    };
                    let with = days.clone().map(|run| (run, others.clone()));
                    for (skip, take, descending) in [
                        (0, usize::MAX, false),
                        (0, 10, false),
                        (3, 20, true),
                        (5, 1, false),
                    ] {
                        let page = grid.page_marked(
                            *region,
                            &spans,
                            &marked,
                            with.clone(),
                            (skip, take),
                            descending,
                            None,
                        );
                        let wanted = skip.saturating_add(take);
                        let expected = first_of(want.clone(), skip, wanted, descending);
                        assert_eq!(page, Some((want.len(), expected)), "{skip} {take}");
                    }
                    // Allowed to read no member, it answers only when no member of a cell
                    // counts.
                    let most = Some(0);
                    let none =
                        grid.page_marked(*region, &spans, &marked, with, (0, 10), false, most);
                    if want.len() > others.len() {
                        assert_eq!(none, None);
                    } else {
                        assert_eq!(none, Some((want.len(), want.clone())));
                    }
                }
            }
        }
    }

    /// Every stretch of a list counts the bits a check of each member counts.
    #[test]
    fn a_stretch_counts_the_members_its_bits_mark() {
        let members: Vec<u32> = (0..300).map(|k| (k * 37) % 311).collect();
        let set: RoaringBitmap = (0..311).filter(|i| i % 3 == 0 || i % 7 == 1).collect();
        let mut dense = vec![0u64; 5];
        for i in &set {
            dense[i as usize / 64] |= 1 << (i % 64);
        }
        let bits = Bits::new(&members, &dense);
        for (at, i) in members.iter().enumerate() {
            assert_eq!(bits.has(at), set.contains(*i), "member {at}");
        }
        assert!(!bits.has(300) && !bits.has(10_000));
        for from in [0, 1, 63, 64, 65, 127, 128, 200, 299, 300] {
            for to in [0, 1, 63, 64, 65, 129, 256, 299, 300, 301, 1_000] {
                let expected = (from..to.min(300))
                    .filter(|at| set.contains(members[*at]))
                    .count();
                assert_eq!(bits.count(from..to), expected, "{from}..{to}");
            }
        }
        assert_eq!(Bits::new(&[], &dense).count(0..5), 0);
    }
}
