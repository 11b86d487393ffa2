//! Filters as sets. Incidents are numbered in date order, so "the first page" is "the smallest
//! numbers that match". For every vocabulary value and place, the incidents that have it are
//! kept as a compressed bitmap; for every measured quantity (depth, death toll, distances to
//! reference objects) a [`RangeIndex`] turns a range into a bitmap with two set operations. A
//! query intersects the sets it names: counting its matches costs the size of the bitmaps,
//! not the number of incidents, and its first page is read off the front of the result.

use super::Grid;
use super::gather::Gather;
use super::grid::Ranked;
use super::held::Held;
use super::kept::Kept;
use super::set_counts::{self, Named, SetCounts, Vocabulary};
use super::shared::Tables;
use crate::model::{Incident, Side};
use roaring::RoaringBitmap;

/// Incidents ordered by a key (unknown keys last, ties in date order), with the sets of the
/// first `bounds[k]` of them precomputed, so that the incidents whose key lies in a range are
/// `prefix[b] - prefix[a]` plus at most two partial chunks added one by one. A write moves
/// the bounds past what it inserts or removes, rather than cutting the order again.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct RangeIndex {
    /// Incident numbers by ascending key; those without a key at the end.
    pub order: Vec<u32>,
    /// The keys, in `order`'s order (finite for the first `known`).
    keys: Vec<f64>,
    /// How many incidents have a key.
    pub known: usize,
    /// Ascending positions in `order`, the first 0.
    bounds: Vec<usize>,
    /// `prefix[k]`: the set of `order[..bounds[k]]`.
    prefix: Vec<RoaringBitmap>,
    /// Every incident number in the index is below this.
    numbers: usize,
    /// Each incident's position in `order` (`u32::MAX`: not in it), made on first use: a
    /// [`Span`] checks its members by position, without gathering them into a set.
    #[serde(skip)]
    rank: std::sync::OnceLock<Vec<u32>>,
    /// Every run of at least two equal known keys, `(start, end)` positions, ascending;
    /// made on first use (a pass over the keys, a millisecond at a million). A page by toll
    /// mirrors each of its positions to find its number: with runs of one toll a third of
    /// all incidents long, a search of the keys for each position's run read dozens of cache
    /// lines far apart; a toll has a few hundred runs, searched in a table that stays in
    /// cache. Most depths are held once and have no run here.
    #[serde(skip)]
    runs: std::sync::OnceLock<Vec<(u32, u32)>>,
    /// Set when the index is made, never reused: what a table of two indexes is kept by
    /// (a copy keeps it, being the same order).
    #[serde(skip, default = "next_serial")]
    serial: u64,
    /// What it shares with others, counted by chunk ([`SharedCounts`](super::shared::SharedCounts)), made on first use.
    #[serde(skip)]
    tables: Tables,
    /// What named sets it holds, counted by chunk ([`SetCounts`]), made on first use.
    #[serde(skip)]
    set_tables: Kept<Named, SetCounts, { set_counts::KEPT }>,
    /// The grid's cells in this order ([`Ranked`]), and in it mirrored (see
    /// [`RangeIndex::mirror`]), made on first use against the grid of the index this one was
    /// built with (a write makes a new order, which starts without).
    #[serde(skip)]
    cells: Kept<bool, Ranked, 2>,
    /// What it shares with incident numbers, counted by chunk (see
    /// [`Counts::by_number`](super::shared::Counts::by_number)), made on first use.
    #[serde(skip)]
    by_number: Kept<(), super::shared::Counts, 1>,
    /// The positions of the range-dated incidents ([`Bitmaps::ranged`], which a build makes
    /// with this index and nothing changes after) in this order, beside them, made on first
    /// use: days with a range check the few thousand that may reach in by reading them in
    /// turn, not by a lookup far off in memory for each.
    #[serde(skip)]
    ranged_ranks: Kept<usize, Vec<u32>, 1>,
}

fn next_serial() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The incidents at positions `from..to` of a [`RangeIndex`]'s order: those whose key lies in
/// one range. Counting them costs nothing and checking one costs a lookup, so a page that
/// finds its matches early need not gather a range of hundreds of thousands into a set.
#[derive(Debug, Clone, Copy)]
pub struct Span<'a> {
    index: &'a RangeIndex,
    from: usize,
    to: usize,
}

impl Span<'_> {
    /// How many incidents it holds.
    pub fn len(&self) -> usize {
        self.to - self.from
    }

    pub fn is_empty(&self) -> bool {
        self.to == self.from
    }

    pub fn contains(&self, i: u32) -> bool {
        self.index
            .rank()
            .get(i as usize)
            .is_some_and(|r| (self.from..self.to).contains(&(*r as usize)))
    }

    /// About how many of its members gathering it into a set reads one by one (those outside
    /// the precomputed chunks): one chunk's worth.
    pub fn gathered_one_by_one(&self) -> u64 {
        self.index.numbers.div_ceil(CHUNKS) as u64
    }

    /// Its incidents as a set.
    pub fn set(&self) -> RoaringBitmap {
        self.index.positions(self.from, self.to)
    }

    /// The members of `set` it holds: `set` cut by the sets of the chunks that hold the run,
    /// then the members of its first and last chunk looked up by position (the run may begin
    /// or end inside them). It costs what `set` holds, not what the run does ([`Span::set`]
    /// gathers a run of most incidents before meeting a set of a few thousand).
    pub fn within(&self, set: &RoaringBitmap) -> RoaringBitmap {
        let index = self.index;
        let (from, to) = (self.from, self.to.min(index.order.len()));
        if from >= to || set.is_empty() {
            return RoaringBitmap::new();
        }
        // Past the last bound (incidents written since the order was cut), one by one.
        let last = index.bounds.len() - 1;
        let bounded = index.bounds[last];
        let mut found = RoaringBitmap::new();
        for i in &index.order[from.max(bounded)..to.max(bounded)] {
            if set.contains(*i) {
                found.insert(*i);
            }
        }
        if from >= bounded {
            return found;
        }
        // Chunks `first..end` hold the rest: `bounds[first] <= from`, and `to <= bounds[end]`
        // or `end` is the last.
        let first = index
            .bounds
            .partition_point(|b| *b <= from)
            .saturating_sub(1);
        let end = index
            .bounds
            .partition_point(|b| *b < to)
            .clamp(first + 1, last);
        // `set` copied and cut in place (an intersection of two may copy the larger).
        let mut cut = set.clone();
        cut &= &index.prefix[end];
        cut -= &index.prefix[first];
        let mut edges = Vec::with_capacity(2);
        if index.bounds[first] < from {
            edges.push(first);
        }
        if to < index.bounds[end] && edges.last() != Some(&(end - 1)) {
            edges.push(end - 1);
        }
        let rank = index.rank();
        let mut outside = Vec::new();
        for chunk in edges {
            let mut members = cut.clone();
            members &= &index.prefix[chunk + 1];
            members -= &index.prefix[chunk];
            outside.extend(members.iter().filter(|i| {
                rank.get(*i as usize)
                    .is_none_or(|r| !(from..to).contains(&(*r as usize)))
            }));
        }
        for i in outside {
            cut.remove(i);
        }
        cut |= found;
        cut
    }

    /// How many incidents it shares with `other`, without gathering either into a set: two
    /// runs of one order overlap by position; two of different orders are counted by their
    /// table ([`SharedCounts`](super::shared::SharedCounts)), made for the pair on first use.
    pub fn count_with(&self, other: &Span) -> u64 {
        self.count_by(other, true).unwrap_or_default()
    }

    /// [`count_with`](Self::count_with) when it costs no more than checking a few chunks'
    /// worth of members (the table of the two indexes is made); `None` otherwise.
    pub fn count_if_ready(&self, other: &Span) -> Option<u64> {
        self.count_by(other, false)
    }

    fn count_by(&self, other: &Span, make: bool) -> Option<u64> {
        if self.index.serial == other.index.serial {
            return Some(
                self.to
                    .min(other.to)
                    .saturating_sub(self.from.max(other.from)) as u64,
            );
        }
        let (x, y) = if self.index.serial < other.index.serial {
            (self, other)
        } else {
            (other, self)
        };
        let table = match make {
            true => super::shared::table_with(&x.index.tables, x.index, y.index),
            false => x.index.tables.kept(&y.index.serial)?,
        };
        Some(table.count(x, y))
    }

    /// How many members of `set` it holds, without gathering it into a set: counted by the
    /// table of `set` (named `named`) with this span's index ([`SetCounts`]), made on first
    /// use. `set` must be the index's own set of that name, as this index was made with it.
    pub fn count_in(&self, named: &Named, set: &RoaringBitmap) -> u64 {
        self.index
            .set_counts_made(named, || Held::Borrowed(set))
            .count(self)
    }

    /// [`count_in`](Self::count_in) when the table is made, with how many incidents the
    /// named set holds; `None` otherwise.
    pub fn count_in_if_ready(&self, named: &Named) -> Option<(u64, u64)> {
        let table = self.index.set_tables.kept(named)?;
        Some((table.count(self), table.positions.len()))
    }

    /// Of the range-dated incidents at `window` of `sets.ranged` (the sets built with this
    /// span's index), those that reach `day` (their last day is on or after it) and that it
    /// holds, ascending: checked by their positions in the order kept beside them (made on
    /// first use), read one after the other, with no branch for each.
    pub fn reaching(
        &self,
        sets: &Bitmaps,
        window: std::ops::Range<usize>,
        day: chrono::NaiveDate,
    ) -> Vec<u32> {
        let ranks = self.index.ranged_ranks(&sets.ranged);
        let (from, len) = (self.from as u32, (self.to - self.from) as u32);
        let (Some(numbers), Some(ends), Some(ranks)) = (
            sets.ranged.get(window.clone()),
            sets.ranged_end.get(window.clone()),
            ranks.get(window),
        ) else {
            return Vec::new();
        };
        let mut kept = vec![0; numbers.len()];
        let mut n = 0;
        for ((i, last), r) in numbers.iter().zip(ends).zip(ranks) {
            kept[n] = *i;
            n += usize::from((r.wrapping_sub(from) < len) & (*last >= day));
        }
        kept.truncate(n);
        kept
    }

    /// How many of the incidents numbered `numbers` it holds (on an index as built, a run of
    /// days), by the table of its order with the numbers, made now with `make`; without,
    /// `None` until it is made.
    pub fn count_numbers(&self, numbers: std::ops::Range<u32>, make: bool) -> Option<u64> {
        let table = self.index.by_number(make)?;
        let numbers = numbers.start as usize..numbers.end as usize;
        let index = self.index;
        Some(table.count(numbers, self.from..self.to, index.rank(), &index.order))
    }

    /// Whether the table [`count_numbers`](Self::count_numbers) reads is made.
    pub fn numbers_counted(&self) -> bool {
        self.index.by_number(false).is_some()
    }

    pub(super) fn index(&self) -> &RangeIndex {
        self.index
    }

    pub(super) fn from(&self) -> usize {
        self.from
    }

    pub(super) fn to(&self) -> usize {
        self.to
    }
}

/// Positions `from..to` of an order, as whole chunks and what is left at either end.
struct Split<'a> {
    /// `prefix[b] − prefix[a]`, when the run holds a whole chunk.
    whole: Option<(usize, usize)>,
    /// The members outside the whole chunks (in key order, not number order).
    loose: [&'a [u32]; 2],
}

/// An incident entering or leaving a [`RangeIndex`]: its number and key.
pub type Keyed = (u32, Option<f64>);

/// How many chunks a range index is cut into: more is faster for ranges (fewer loose members
/// at either end to gather or check one by one) and costs memory (about 12 MB an index at a
/// million incidents; with 64, a range beside a town's incidents took twice as long).
const CHUNKS: usize = 128;

impl RangeIndex {
    /// Builds from each incident's key (`None` for unknown), incident `i` having `keys[i]`.
    pub fn new(keys: &[Option<f64>]) -> RangeIndex {
        use rayon::prelude::*;
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        // Unknown last; equal keys in date order (the incident number).
        order.par_sort_unstable_by(|a, b| {
            match (keys[*a as usize], keys[*b as usize]) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then(a.cmp(b))
        });
        let known = order
            .iter()
            .take_while(|i| keys[**i as usize].is_some())
            .count();
        let sorted_keys: Vec<f64> = order
            .iter()
            .map(|i| keys[*i as usize].unwrap_or(f64::NAN))
            .collect();
        let chunk = keys.len().div_ceil(CHUNKS).max(1);
        let mut prefix = Vec::with_capacity(CHUNKS + 1);
        let mut bounds = Vec::with_capacity(CHUNKS + 1);
        let mut running = RoaringBitmap::new();
        prefix.push(running.clone());
        bounds.push(0);
        for block in order.chunks(chunk) {
            running.extend(block.iter().copied());
            prefix.push(running.clone());
            bounds.push(bounds[bounds.len() - 1] + block.len());
        }
        RangeIndex {
            order,
            keys: sorted_keys,
            known,
            bounds,
            prefix,
            numbers: keys.len(),
            rank: Default::default(),
            runs: Default::default(),
            serial: next_serial(),
            tables: Tables::default(),
            set_tables: Kept::default(),
            cells: Kept::default(),
            by_number: Kept::default(),
            ranged_ranks: Kept::default(),
        }
        .ranked()
    }

    /// Each incident's position in the order; `None` if some incident stands in it twice.
    fn ranks(&self) -> Option<Vec<u32>> {
        let mut rank = vec![u32::MAX; self.numbers];
        for (at, i) in self.order.iter().enumerate() {
            let slot = rank.get_mut(*i as usize)?;
            if *slot != u32::MAX {
                return None;
            }
            *slot = at as u32;
        }
        Some(rank)
    }

    /// The table of the named set (one of `sets`, the sets of the index this one belongs
    /// to) by chunk of this order, made now if it is not kept.
    pub fn set_counts(&self, named: &Named, sets: &Bitmaps) -> std::sync::Arc<SetCounts> {
        self.set_counts_made(named, || named.set(sets))
    }

    /// The table of the named set, made from the set `set` gives if it is not kept.
    fn set_counts_made<'s>(
        &self,
        named: &Named,
        set: impl FnOnce() -> Held<'s>,
    ) -> std::sync::Arc<SetCounts> {
        self.set_tables
            .with(named.clone(), || SetCounts::new(&set(), self))
    }

    /// The positions of `ranged` (the range-dated incidents of the sets built with this
    /// index) in this order (`u32::MAX`: not in it), made now if not kept.
    fn ranged_ranks(&self, ranged: &[u32]) -> std::sync::Arc<Vec<u32>> {
        self.ranged_ranks.with(ranged.len(), || {
            let rank = self.rank();
            ranged
                .iter()
                .map(|i| rank.get(*i as usize).copied().unwrap_or(u32::MAX))
                .collect()
        })
    }

    /// The table of what runs of incident numbers (days, on an index as built) share with
    /// runs of this order, made now if not kept and `make` is set (4 MB at a million: the
    /// positions it reads are this index's own).
    fn by_number(&self, make: bool) -> Option<std::sync::Arc<super::shared::Counts>> {
        match make {
            true => Some(super::shared::numbers_with(&self.by_number, self)),
            false => self.by_number.kept(&()),
        }
    }

    /// The grid's cells in this order, made now from `grid` if not kept and `make` is set
    /// (the grid must be the one built with this order: see
    /// [`Index::page_by_key_in`](super::Index::page_by_key_in)).
    ///
    /// With `mirrored`, in the order with each run of equal keys reversed (see
    /// [`RangeIndex::mirror`]): a merge of those cells from their ends reads the largest keys
    /// first and equal keys in date order, as a page by the key, descending, is ordered.
    pub(super) fn cells(
        &self,
        grid: &Grid,
        make: bool,
        mirrored: bool,
    ) -> Option<std::sync::Arc<Ranked>> {
        match (make, mirrored) {
            (true, false) => Some(self.cells.with(false, || grid.ranked(self.rank()))),
            (true, true) => Some(self.cells.with(true, || grid.ranked(&self.mirrored_rank()))),
            (false, _) => self.cells.kept(&mirrored),
        }
    }

    /// Each incident's position in the order mirrored (see [`RangeIndex::mirror`]).
    fn mirrored_rank(&self) -> Vec<u32> {
        let mut rank = self.rank().to_vec();
        // A key held once stands for itself: only the table's runs move.
        for (from, to) in self.runs() {
            let (from, to) = (*from as usize, *to as usize);
            for at in from..to {
                rank[self.order[at] as usize] = (from + to - 1 - at) as u32;
            }
        }
        rank
    }

    /// The position `at` stands for in the order with each run of equal keys reversed (the
    /// unknown keys kept as they are), and back: mirroring twice is no change. Mirrored, a
    /// run's first position in date order is its last.
    pub fn mirror(&self, at: u32) -> u32 {
        match self.run_of(at as usize) {
            Some(run) => (run.start + run.end - 1 - at as usize) as u32,
            None => at,
        }
    }

    /// The run of equal known keys position `at` lies in; `None` for an unknown key.
    fn run_of(&self, at: usize) -> Option<std::ops::Range<usize>> {
        if at >= self.known.min(self.keys.len()) {
            return None;
        }
        let runs = self.runs();
        let after = runs.partition_point(|(start, _)| *start as usize <= at);
        match after.checked_sub(1).map(|k| runs[k]) {
            Some((start, end)) if at < end as usize => Some(start as usize..end as usize),
            // A key held once.
            _ => Some(at..at + 1),
        }
    }

    /// See `runs`.
    fn runs(&self) -> &[(u32, u32)] {
        self.runs.get_or_init(|| {
            let known = &self.keys[..self.known.min(self.keys.len())];
            let mut runs = Vec::new();
            let mut start = 0;
            for run in known.chunk_by(|a, b| a == b) {
                let end = start + run.len();
                if run.len() >= 2 {
                    runs.push((start as u32, end as u32));
                }
                start = end;
            }
            runs
        })
    }

    /// The keys in the order's order (finite for the first `known`).
    pub fn keys(&self) -> &[f64] {
        &self.keys
    }

    /// What tables of two indexes know this one by.
    pub(super) fn serial(&self) -> u64 {
        self.serial
    }

    /// Each incident's position in the order (`u32::MAX`: not in it).
    pub fn rank(&self) -> &[u32] {
        // Made when the index is built, changed or checked; this only guards the unexpected.
        self.rank
            .get_or_init(|| self.ranks().unwrap_or_else(|| vec![u32::MAX; self.numbers]))
    }

    /// This index with its positions made now, not in the first query that needs them.
    fn ranked(self) -> RangeIndex {
        self.rank();
        self
    }

    /// Whether this index can serve `incidents` incidents without reading out of bounds or
    /// answering from a disordered order (one read back from a snapshot is checked first).
    pub fn check(&self, incidents: usize) -> Result<(), String> {
        let n = incidents;
        if self.order.len() != n || self.keys.len() != n || self.known > n || self.numbers != n {
            return Err("an ordered index's parts disagree in length".into());
        }
        if self.order.iter().any(|i| *i as usize >= n) || !in_range(&self.prefix, n) {
            return Err("an ordered index names an incident that is not there".into());
        }
        let Some(rank) = self.ranks() else {
            return Err("an ordered index names an incident twice".into());
        };
        // A second check of the same index keeps the positions it has.
        let _ = self.rank.set(rank);
        let known = &self.keys[..self.known];
        if known.iter().any(|k| !k.is_finite()) || known.windows(2).any(|w| w[0] > w[1]) {
            return Err("an ordered index is not in order".into());
        }
        let bounds_ok = self.bounds.first() == Some(&0)
            && self.bounds.windows(2).all(|w| w[0] <= w[1])
            && self.bounds.last().is_some_and(|b| *b <= n)
            && self.prefix.len() == self.bounds.len();
        if !bounds_ok {
            return Err("an ordered index's chunks are out of bounds".into());
        }
        Ok(())
    }

    /// Where `(i, key)` stands in `order`, or would stand if inserted: after every smaller
    /// key and, among equal keys (or among the unknown), after every incident that
    /// `date_order` puts before it.
    fn position(
        &self,
        (i, key): Keyed,
        date_order: &impl Fn(u32, u32) -> std::cmp::Ordering,
    ) -> usize {
        let (from, to) = match key {
            Some(k) => {
                let known = &self.keys[..self.known];
                (
                    known.partition_point(|x| *x < k),
                    known.partition_point(|x| *x <= k),
                )
            }
            None => (self.known, self.order.len()),
        };
        from + self.order[from..to].partition_point(|j| date_order(*j, i).is_lt())
    }

    /// This index with `remove` taken out and `insert` (numbers not yet in it) put in, made
    /// in one pass over the order; `date_order` compares two incidents by date then id, and
    /// must know both the removed and the inserted ones.
    pub fn applied(
        &self,
        remove: &[Keyed],
        insert: &[Keyed],
        date_order: impl Fn(u32, u32) -> std::cmp::Ordering,
    ) -> RangeIndex {
        if remove.is_empty() && insert.is_empty() {
            return self.clone();
        }
        let mut gone: Vec<usize> = remove
            .iter()
            .filter_map(|entry| {
                let at = self.position(*entry, &date_order);
                (self.order.get(at) == Some(&entry.0)).then_some(at)
            })
            .collect();
        gone.sort_unstable();
        // Each insertion goes before the old position it was found at; several at one
        // position in their own key and date order.
        let mut placed: Vec<(usize, Keyed)> = insert
            .iter()
            .map(|entry| (self.position(*entry, &date_order), *entry))
            .collect();
        placed.sort_by(|(p, (a, ka)), (q, (b, kb))| {
            p.cmp(q).then_with(|| match (ka, kb) {
                (Some(x), Some(y)) => x.total_cmp(y).then_with(|| date_order(*a, *b)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => date_order(*a, *b),
            })
        });
        let total = self.order.len() - gone.len() + placed.len();
        let mut order = Vec::with_capacity(total);
        let mut keys = Vec::with_capacity(total);
        let (mut next_gone, mut next_placed) = (gone.iter().peekable(), placed.iter().peekable());
        for at in 0..=self.order.len() {
            while let Some((_, (i, key))) = next_placed.next_if(|(p, _)| *p == at) {
                order.push(*i);
                keys.push(key.unwrap_or(f64::NAN));
            }
            if at == self.order.len() {
                break;
            }
            if next_gone.next_if(|g| **g == at).is_some() {
                continue;
            }
            order.push(self.order[at]);
            keys.push(self.keys[at]);
        }
        // A bound keeps the old incidents before it, loses those removed before it and gains
        // those inserted before its old position.
        let mut bounds = self.bounds.clone();
        let mut prefix = self.prefix.clone();
        for (bound, set) in bounds.iter_mut().zip(&mut prefix) {
            let old = *bound;
            let removed = gone.partition_point(|g| *g < old);
            let added = placed.partition_point(|(p, _)| *p < old);
            for g in &gone[..removed] {
                set.remove(self.order[*g]);
            }
            for (_, (i, _)) in &placed[..added] {
                set.insert(*i);
            }
            *bound = old - removed + added;
        }
        // Positions below `known` are exactly those with a key.
        let gone_known = gone.iter().filter(|g| **g < self.known).count();
        let placed_known = placed.iter().filter(|(_, (_, k))| k.is_some()).count();
        RangeIndex {
            order,
            keys,
            known: self.known + placed_known - gone_known,
            bounds,
            prefix,
            numbers: placed
                .iter()
                .map(|(_, (i, _))| *i as usize + 1)
                .fold(self.numbers, usize::max),
            rank: Default::default(),
            runs: Default::default(),
            serial: next_serial(),
            tables: Tables::default(),
            set_tables: Kept::default(),
            cells: Kept::default(),
            by_number: Kept::default(),
            ranged_ranks: Kept::default(),
        }
        .ranked()
    }

    /// The first position, before `end`, of the run of equal keys that ends at `end - 1`
    /// (found in the table of runs, see `runs`).
    pub fn run_start(&self, end: usize) -> usize {
        let end = end.min(self.known);
        match end.checked_sub(1).and_then(|last| self.run_of(last)) {
            Some(run) => run.start,
            None => 0,
        }
    }

    /// Positions `from..to` of the order split into whole chunks and loose ends.
    fn split(&self, from: usize, to: usize) -> Split<'_> {
        let to = to.min(self.order.len());
        if from >= to {
            return Split {
                whole: None,
                loose: [&[], &[]],
            };
        }
        // The first bound at or after `from` and the last at or before `to`.
        let first_full = self.bounds.partition_point(|b| *b < from);
        let last_full = self.bounds.partition_point(|b| *b <= to).saturating_sub(1);
        if first_full >= last_full {
            return Split {
                whole: None,
                loose: [&self.order[from..to], &[]],
            };
        }
        Split {
            whole: Some((first_full, last_full)),
            loose: [
                &self.order[from..self.bounds[first_full]],
                &self.order[self.bounds[last_full]..to],
            ],
        }
    }

    /// The set of the incidents at positions `from..to` of `order`.
    fn positions(&self, from: usize, to: usize) -> RoaringBitmap {
        let split = self.split(from, to);
        let [head, tail] = split.loose;
        // The loose ends are in key order, not number order: gathered, not inserted one by
        // one.
        let mut gather = Gather::new(head.len() + tail.len(), self.numbers);
        gather.add_all(head);
        gather.add_all(tail);
        match split.whole {
            None => gather.finish(),
            Some((a, b)) => {
                let mut set = &self.prefix[b] - &self.prefix[a];
                set |= gather.finish();
                set
            }
        }
    }

    /// Incidents with no key.
    pub fn unknown(&self) -> RoaringBitmap {
        self.positions(self.known, self.order.len())
    }

    /// Incidents whose key lies between `low` and `high` (either open when `None`; each bound
    /// inclusive unless its flag says strict), plus those with no key if `with_unknown`.
    pub fn select(
        &self,
        low: Option<(f64, bool)>,
        high: Option<(f64, bool)>,
        with_unknown: bool,
    ) -> RoaringBitmap {
        match self.span(low, high, with_unknown) {
            Some(span) => span.set(),
            None => {
                let mut set = self
                    .span(low, high, false)
                    .map(|s| s.set())
                    .unwrap_or_default();
                set |= self.unknown();
                set
            }
        }
    }

    /// The incidents [`select`](Self::select) would give, as positions; `None` when they are
    /// not one run of the order (some keys of a closed range and the unknown ones).
    pub fn span(
        &self,
        low: Option<(f64, bool)>,
        high: Option<(f64, bool)>,
        with_unknown: bool,
    ) -> Option<Span<'_>> {
        let known = &self.keys[..self.known];
        let from = match low {
            None => 0,
            Some((value, strict)) => {
                known.partition_point(|k| if strict { *k <= value } else { *k < value })
            }
        };
        let to = match high {
            None => self.known,
            Some((value, strict)) => {
                known.partition_point(|k| if strict { *k < value } else { *k <= value })
            }
        };
        // The unknown keys stand after every known one.
        let to = match (with_unknown, high) {
            (false, _) => to.max(from),
            (true, None) => self.order.len(),
            (true, Some(_)) => return None,
        };
        Some(Span {
            index: self,
            from,
            to,
        })
    }
}

/// The sets of incidents for each value of each vocabulary and for each place.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Bitmaps {
    pub types: Vec<RoaringBitmap>,
    pub weapons: Vec<RoaringBitmap>,
    pub targets: Vec<RoaringBitmap>,
    pub perpetrators: Vec<RoaringBitmap>,
    pub reporters: Vec<RoaringBitmap>,
    pub verifications: Vec<RoaringBitmap>,
    pub sides: Vec<RoaringBitmap>,
    pub places: Vec<RoaringBitmap>,
    /// Incidents known only to a range of days (`date_end > date`), in date order.
    pub ranged: Vec<u32>,
    /// Their last possible days, beside them (read in one pass, not from the records).
    pub ranged_end: Vec<chrono::NaiveDate>,
    /// Their positions `[lon, lat]`, beside them: a box or radius with days keeps those
    /// inside it without reading a record each.
    pub ranged_at: Vec<[f64; 2]>,
    /// The longest of their ranges, in days: a range-dated incident that began more than
    /// this before a day cannot reach it.
    pub longest_range_days: i64,
    /// The same incidents by grid cell (members are positions in `ranged`), made on first
    /// use and never written: a circle with days finds the ones that reach into the days
    /// among the few in its cells instead of measuring every one that began within the
    /// longest range before them. `ranged` never changes after a build (writes append
    /// numbers past it), so what is made stays true.
    #[serde(skip)]
    ranged_cells: std::sync::OnceLock<std::sync::Arc<super::Grid>>,
    /// Their last days and positions again as plain columns, made on first use (and never
    /// written, as `ranged_cells`).
    #[serde(skip)]
    ranged_columns: std::sync::OnceLock<std::sync::Arc<RangedColumns>>,
    /// The intersections of several vocabularies' values queries have asked for (a type
    /// and a weapon), made on first use and kept by what they name ([`Named::made`]).
    /// Counting a range in one, or walking it for a page, then costs what one set does. A
    /// write forgets them: it changes a copy of the sets (the index written from still
    /// holds them), and a copy starts with none.
    #[serde(skip)]
    joined: Kept<Named, RoaringBitmap, JOINED_KEPT>,
    /// Where the range-dated members of a named set lie in `ranged` (ascending positions),
    /// for a few sets asked for with days, made on first use (a pass over `ranged`): a
    /// town's day then reads the hundred or so of its own that began before it, not the
    /// thousands of every place, gathered into a set and cut by the town's.
    #[serde(skip)]
    ranged_of: Kept<Named, Vec<u32>, RANGED_OF_KEPT>,
}

/// How many intersections [`Bitmaps`] keeps (each at most 128 KB at a million, a bit an
/// incident).
const JOINED_KEPT: usize = 32;

/// How many named sets' range-dated positions [`Bitmaps`] keeps (four bytes for each
/// range-dated incident of the set).
const RANGED_OF_KEPT: usize = 32;

/// The range-dated incidents' last days (days from the common era) and positions (in single
/// precision, longitudes and latitudes apart), in the order of [`Bitmaps::ranged`]: a box
/// or circle with days marks the candidates that reach the days and may lie in it four at a
/// time, with no branch per candidate, and checks only those exactly.
#[derive(Debug, Default)]
pub struct RangedColumns {
    pub end: Vec<i32>,
    pub lon: Vec<f32>,
    pub lat: Vec<f32>,
}

/// Whether every set holds numbers below `n` only.
fn in_range(sets: &[RoaringBitmap], n: usize) -> bool {
    sets.iter()
        .all(|s| s.max().is_none_or(|m| (m as usize) < n))
}

fn push(sets: &mut Vec<RoaringBitmap>, value: usize, i: u32) {
    if sets.len() <= value {
        sets.resize_with(value + 1, RoaringBitmap::new);
    }
    // At a build, incidents are visited in ascending order, so every insert appends.
    sets[value].insert(i);
}

impl Bitmaps {
    pub fn new(incidents: &[Incident], sides: &[Option<Side>], places: usize) -> Bitmaps {
        let mut b = Bitmaps {
            places: vec![RoaringBitmap::new(); places],
            ..Default::default()
        };
        for (i, incident) in incidents.iter().enumerate() {
            b.insert(i as u32, incident, sides[i]);
            let i = i as u32;
            if incident.date_end > incident.date {
                b.ranged.push(i);
                b.ranged_end.push(incident.date_end);
                b.ranged_at.push([incident.lon, incident.lat]);
                b.longest_range_days = b
                    .longest_range_days
                    .max((incident.date_end - incident.date).num_days());
            }
        }
        b
    }

    /// The range-dated incidents by grid cell (see `ranged_cells`).
    pub fn ranged_cells(&self) -> &super::Grid {
        self.ranged_cells
            .get_or_init(|| std::sync::Arc::new(super::Grid::new(&self.ranged_at)))
    }

    /// The range-dated incidents as plain columns (see `ranged_columns`).
    pub fn ranged_columns(&self) -> &RangedColumns {
        self.ranged_columns.get_or_init(|| {
            use chrono::Datelike;
            let (lon, lat) = self
                .ranged_at
                .iter()
                .map(|[lon, lat]| (*lon as f32, *lat as f32))
                .unzip();
            let end = self
                .ranged_end
                .iter()
                .map(|d| d.num_days_from_ce())
                .collect();
            std::sync::Arc::new(RangedColumns { end, lon, lat })
        })
    }

    /// Whether these sets can serve `incidents` incidents (sets read back from a snapshot
    /// are checked before they are used).
    pub fn check(&self, incidents: usize, places: usize) -> Result<(), String> {
        let n = incidents;
        let all = [
            &self.types,
            &self.weapons,
            &self.targets,
            &self.perpetrators,
            &self.reporters,
            &self.verifications,
            &self.sides,
            &self.places,
        ];
        if !all.iter().all(|sets| in_range(sets, n)) || self.places.len() != places {
            return Err("a set names an incident or a place that is not there".into());
        }
        if self.ranged.len() != self.ranged_end.len()
            || self.ranged.len() != self.ranged_at.len()
            || self.ranged.iter().any(|i| *i as usize >= n)
            || self.ranged.windows(2).any(|w| w[0] >= w[1])
            || self.longest_range_days < 0
        {
            return Err("the list of range-dated incidents is damaged".into());
        }
        Ok(())
    }

    /// Adds incident `i` (a number not yet in any set) to the sets of its values. Incidents
    /// known only to a range of days are not added to `ranged`, which holds the numbers in
    /// date order only: the index checks the incidents written since it was built itself.
    pub fn insert(&mut self, i: u32, incident: &Incident, side: Option<Side>) {
        self.each_set(incident, side, |sets, value| push(sets, value, i));
    }

    /// Takes incident `i` out of the sets of its values (`ranged` keeps it; the index
    /// subtracts the incidents it has taken out from what `ranged` finds).
    pub fn remove(&mut self, i: u32, incident: &Incident, side: Option<Side>) {
        self.each_set(incident, side, |sets, value| {
            if let Some(set) = sets.get_mut(value) {
                set.remove(i);
            }
        });
    }

    fn each_set(
        &mut self,
        incident: &Incident,
        side: Option<Side>,
        mut visit: impl FnMut(&mut Vec<RoaringBitmap>, usize),
    ) {
        visit(&mut self.types, incident.kind as usize);
        visit(&mut self.weapons, incident.weapon as usize);
        visit(&mut self.targets, incident.target as usize);
        visit(&mut self.perpetrators, incident.perpetrator as usize);
        visit(&mut self.verifications, incident.verification as usize);
        for reporter in incident.reported_by.iter() {
            visit(&mut self.reporters, reporter as usize);
        }
        if let Some(side) = side {
            visit(&mut self.sides, side as usize);
        }
        visit(&mut self.places, incident.place as usize);
    }

    /// Where the range-dated incidents of `named` (whose incidents `set` holds) lie in
    /// [`Bitmaps::ranged`], ascending; kept once made (see the field `ranged_of`).
    pub fn ranged_of(&self, named: &Named, set: &RoaringBitmap) -> std::sync::Arc<Vec<u32>> {
        self.ranged_of.with(named.clone(), || {
            let ranged = self.ranged.iter().enumerate();
            ranged
                .filter(|(_, i)| set.contains(**i))
                .map(|(k, _)| k as u32)
                .collect()
        })
    }

    /// The incidents `named` names, kept once made (see the field `joined`).
    pub fn joined(&self, named: &Named) -> std::sync::Arc<RoaringBitmap> {
        self.joined.with(named.clone(), || named.made(self))
    }

    /// The sets of each value of `vocabulary`.
    pub fn of(&self, vocabulary: Vocabulary) -> &[RoaringBitmap] {
        match vocabulary {
            Vocabulary::Places => &self.places,
            Vocabulary::Types => &self.types,
            Vocabulary::Weapons => &self.weapons,
            Vocabulary::Targets => &self.targets,
            Vocabulary::Perpetrators => &self.perpetrators,
            Vocabulary::Reporters => &self.reporters,
            Vocabulary::Verifications => &self.verifications,
            Vocabulary::Sides => &self.sides,
        }
    }

    /// The union of the sets of `values` (empty when none has incidents).
    pub fn any_of(
        sets: &[RoaringBitmap],
        values: impl IntoIterator<Item = usize>,
    ) -> RoaringBitmap {
        let mut set = RoaringBitmap::new();
        for value in values {
            if let Some(s) = sets.get(value) {
                set |= s;
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The span of a range, where it is one run of the order, holds `want` and only it
    /// (numbers checked up to `numbers`), and its set is `want`.
    fn assert_span_is(
        index: &RangeIndex,
        low: Option<(f64, bool)>,
        high: Option<(f64, bool)>,
        with_unknown: bool,
        want: &RoaringBitmap,
        numbers: u32,
    ) {
        let Some(span) = index.span(low, high, with_unknown) else {
            assert!(with_unknown && high.is_some(), "{low:?} {high:?}");
            return;
        };
        assert_eq!(
            span.len() as u64,
            want.len(),
            "{low:?} {high:?} {with_unknown}"
        );
        assert_eq!(&span.set(), want, "{low:?} {high:?} {with_unknown}");
        // What it holds of a set, for sets dense, sparse, empty and whole.
        let sets: [RoaringBitmap; 5] = [
            (0..numbers).step_by(3).collect(),
            (0..numbers).filter(|i| i % 97 == 5).collect(),
            RoaringBitmap::new(),
            (0..numbers + 5).collect(),
            (numbers / 3..numbers / 2).collect(),
        ];
        for set in sets {
            assert_eq!(span.within(&set), want & &set, "{low:?} {high:?} within");
        }
        for i in 0..numbers + 5 {
            assert_eq!(
                span.contains(i),
                want.contains(i),
                "{i} in {low:?} {high:?}"
            );
        }
    }

    /// Every run of equal keys, one long or hundreds, at the start of the order or not,
    /// is found where it starts from any position in it.
    #[test]
    fn a_run_of_equal_keys_is_found_from_its_end() {
        // Runs of 1, 2, 3, ... 40 incidents, each followed by a key held once, then unknown
        // keys.
        let mut keys: Vec<Option<f64>> = (0..40)
            .flat_map(|run| {
                let key = f64::from(run) * 2.0;
                std::iter::repeat_n(Some(key), run as usize + 1).chain([Some(key + 1.0)])
            })
            .collect();
        keys.extend([None, None]);
        let index = RangeIndex::new(&keys);
        for end in 0..=index.order.len() + 1 {
            let last = end.min(index.known);
            let want = (0..last)
                .rev()
                .take_while(|p| index.keys[*p] == index.keys[last - 1])
                .last()
                .unwrap_or(0);
            assert_eq!(index.run_start(end), want, "{end}");
        }
        // Mirrored, each position stands for its reflection in its run (an unknown key for
        // itself), and mirroring twice is no change.
        for at in 0..index.order.len() {
            let want = if at < index.known {
                let key = index.keys[at];
                let start = index.keys[..index.known].partition_point(|k| *k < key);
                let end = index.keys[..index.known].partition_point(|k| *k <= key);
                start + end - 1 - at
            } else {
                at
            };
            assert_eq!(index.mirror(at as u32), want as u32, "{at}");
            assert_eq!(index.mirror(index.mirror(at as u32)), at as u32);
        }
    }

    #[test]
    fn ranges_are_exact_at_every_boundary() {
        // 1,000 incidents with keys that repeat and some unknown: every range must select
        // exactly what a scan selects, whichever chunks its ends fall in.
        let keys: Vec<Option<f64>> = (0..1000)
            .map(|i| (i % 7 != 0).then(|| f64::from((i * 37) % 101)))
            .collect();
        let index = RangeIndex::new(&keys);
        assert_eq!(index.known, keys.iter().filter(|k| k.is_some()).count());
        for low in [
            None,
            Some((0.0, false)),
            Some((13.0, false)),
            Some((13.0, true)),
            Some((100.0, false)),
        ] {
            for high in [
                None,
                Some((50.0, false)),
                Some((50.0, true)),
                Some((13.0, false)),
                Some((-1.0, false)),
            ] {
                for with_unknown in [false, true] {
                    let got = index.select(low, high, with_unknown);
                    let want: RoaringBitmap = keys
                        .iter()
                        .enumerate()
                        .filter(|(_, k)| match k {
                            None => with_unknown,
                            Some(k) => {
                                low.is_none_or(|(v, strict)| if strict { *k > v } else { *k >= v })
                                    && high.is_none_or(
                                        |(v, strict)| if strict { *k < v } else { *k <= v },
                                    )
                            }
                        })
                        .map(|(i, _)| i as u32)
                        .collect();
                    assert_eq!(got, want, "{low:?} {high:?} {with_unknown}");
                    assert_span_is(&index, low, high, with_unknown, &want, 1000);
                }
            }
        }
        // Ties keep date (incident number) order; unknown keys come last.
        let first_of_13: Vec<u32> = index
            .order
            .iter()
            .copied()
            .filter(|i| keys[*i as usize] == Some(13.0))
            .collect();
        assert!(first_of_13.windows(2).all(|w| w[0] < w[1]));
        assert!(
            index.order[index.known..]
                .iter()
                .all(|i| keys[*i as usize].is_none())
        );
    }

    #[test]
    fn an_applied_change_equals_the_index_built_with_it() {
        // 1,000 incidents (number order standing for date order), then 120 taken out and 150
        // new ones (numbers 1000..1150) put in, twice over: the order must be the one a build
        // over the survivors makes, and every range must select what a scan selects.
        let key = |i: u32| (!i.is_multiple_of(9)).then(|| f64::from((i * 53) % 97));
        let mut index = RangeIndex::new(&(0..1000).map(key).collect::<Vec<_>>());
        let mut live: Vec<u32> = (0..1000).collect();
        let mut next = 1000;
        for round in 0..2u32 {
            let gone: Vec<(u32, Option<f64>)> = live
                .iter()
                .filter(|i| (**i * 7 + round).is_multiple_of(8))
                .take(120)
                .map(|i| (*i, key(*i)))
                .collect();
            let put: Vec<(u32, Option<f64>)> = (next..next + 150).map(|i| (i, key(i))).collect();
            next += 150;
            index = index.applied(&gone, &put, |a, b| a.cmp(&b));
            live.retain(|i| !gone.iter().any(|(g, _)| g == i));
            live.extend(put.iter().map(|(i, _)| *i));
        }
        let mut want: Vec<u32> = live.clone();
        want.sort_by(|a, b| match (key(*a), key(*b)) {
            (Some(x), Some(y)) => x.total_cmp(&y).then(a.cmp(b)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.cmp(b),
        });
        assert_eq!(index.order, want);
        assert_eq!(
            index.known,
            live.iter().filter(|i| key(**i).is_some()).count()
        );
        for low in [
            None,
            Some((0.0, false)),
            Some((13.0, true)),
            Some((60.0, false)),
        ] {
            for high in [
                None,
                Some((13.0, false)),
                Some((50.0, true)),
                Some((96.0, false)),
            ] {
                for with_unknown in [false, true] {
                    let got = index.select(low, high, with_unknown);
                    let scan: RoaringBitmap = live
                        .iter()
                        .copied()
                        .filter(|i| match key(*i) {
                            None => with_unknown,
                            Some(k) => {
                                low.is_none_or(|(v, strict)| if strict { k > v } else { k >= v })
                                    && high.is_none_or(
                                        |(v, strict)| if strict { k < v } else { k <= v },
                                    )
                            }
                        })
                        .collect();
                    assert_eq!(got, scan, "{low:?} {high:?} {with_unknown}");
                    assert_span_is(&index, low, high, with_unknown, &scan, next);
                }
            }
        }
    }

    /// Two spans count what they share as their sets do, whichever chunks their ends fall
    /// in, on two indexes of the same incidents, built and then changed.
    #[test]
    fn two_spans_count_what_their_sets_share() {
        let depth = |i: u32| (!i.is_multiple_of(11)).then(|| f64::from((i * 37) % 101));
        let toll = |i: u32| (!i.is_multiple_of(6)).then(|| f64::from((i * 13) % 7));
        let mut a = RangeIndex::new(&(0..2000).map(depth).collect::<Vec<_>>());
        let mut b = RangeIndex::new(&(0..2000).map(toll).collect::<Vec<_>>());
        let cuts = [
            None,
            Some((0.0, false)),
            Some((3.0, true)),
            Some((40.0, false)),
            Some((99.0, true)),
        ];
        for round in 0..2 {
            let mut compared = 0;
            for low in cuts {
                for high in cuts {
                    for (x, y) in [(&a, &b), (&a, &a), (&b, &a)] {
                        let Some(first) = x.span(low, high, false) else {
                            continue;
                        };
                        for other in [y.span(high, None, true), y.span(None, low, false)] {
                            let Some(second) = other else {
                                continue;
                            };
                            let want = (first.set() & second.set()).len();
                            assert_eq!(first.count_with(&second), want, "{low:?} {high:?}");
                            assert_eq!(second.count_with(&first), want, "{low:?} {high:?}");
                            compared += 1;
                        }
                    }
                }
            }
            assert!(compared > 100, "{compared}");
            if round == 0 {
                // Take out every fifth incident and put in 300 new ones.
                let gone = |key: fn(u32) -> Option<f64>| -> Vec<Keyed> {
                    (0..2000).step_by(5).map(|i| (i, key(i))).collect()
                };
                let put = |key: fn(u32) -> Option<f64>| -> Vec<Keyed> {
                    (2000..2300).map(|i| (i, key(i))).collect()
                };
                a = a.applied(&gone(depth), &put(depth), |x, y| x.cmp(&y));
                b = b.applied(&gone(toll), &put(toll), |x, y| x.cmp(&y));
            }
        }
    }

    #[test]
    fn a_damaged_index_read_back_is_refused() {
        let keys: Vec<Option<f64>> = (0..300)
            .map(|i| (i % 5 != 1).then(|| f64::from(i % 17)))
            .collect();
        let good = RangeIndex::new(&keys);
        assert_eq!(good.check(300), Ok(()));
        assert!(good.check(299).is_err(), "a different number of incidents");
        let mut beyond = good.clone();
        beyond.order[7] = 300;
        assert!(beyond.check(300).is_err(), "a number past the end");
        let mut twice = good.clone();
        twice.order[7] = twice.order[8];
        assert!(twice.check(300).is_err(), "a number twice");
        let mut disordered = good.clone();
        disordered.keys.swap(0, 200);
        assert!(disordered.check(300).is_err(), "keys out of order");
        let mut bounds = good.clone();
        bounds.bounds.pop();
        assert!(bounds.check(300).is_err(), "bounds and sets disagree");
        let mut prefix = good.clone();
        prefix.prefix[3].insert(1000);
        assert!(
            prefix.check(300).is_err(),
            "a chunk's set names an unknown incident"
        );

        let mut sets = Bitmaps {
            places: vec![RoaringBitmap::new(); 2],
            types: vec![(0..10).collect()],
            ..Default::default()
        };
        assert_eq!(sets.check(10, 2), Ok(()));
        assert!(sets.check(9, 2).is_err());
        assert!(sets.check(10, 3).is_err());
        sets.ranged = vec![4, 3];
        sets.ranged_end = vec![chrono::NaiveDate::MIN; 2];
        sets.ranged_at = vec![[0.0, 0.0]; 2];
        assert!(sets.check(10, 2).is_err(), "range-dated list out of order");
    }
}
