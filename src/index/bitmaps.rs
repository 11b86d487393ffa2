//! Filters as sets. Incidents are numbered in date order, so "the first page" is "the smallest
//! numbers that match". For every vocabulary value and place, the incidents that have it are
//! kept as a compressed bitmap; for every measured quantity (depth, death toll, distances to
//! reference objects) a [`RangeIndex`] turns a range into a bitmap with two set operations. A
//! query intersects the sets it names: counting its matches costs the size of the bitmaps,
//! not the number of incidents, and its first page is read off the front of the result.

use super::gather::Gather;
use roaring::RoaringBitmap;

/// Incidents ordered by a key (unknown keys last, ties in date order), with the sets of the
/// first `k * chunk` of them precomputed, so that the incidents whose key lies in a range are
/// `prefix[b] - prefix[a]` plus at most two partial chunks added one by one.
#[derive(Debug, Default)]
pub struct RangeIndex {
    /// Incident numbers by ascending key; those without a key at the end.
    pub order: Vec<u32>,
    /// The keys, in `order`'s order (finite for the first `known`).
    keys: Vec<f64>,
    /// How many incidents have a key.
    pub known: usize,
    chunk: usize,
    /// `prefix[k]`: the set of `order[..k * chunk]`.
    prefix: Vec<RoaringBitmap>,
}

/// How many chunks a range index is cut into: more is faster for narrow ranges and costs
/// memory (about 6 MB an index at a million incidents with 64).
const CHUNKS: usize = 64;

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
        let mut running = RoaringBitmap::new();
        prefix.push(running.clone());
        for block in order.chunks(chunk) {
            running.extend(block.iter().copied());
            prefix.push(running.clone());
        }
        RangeIndex {
            order,
            keys: sorted_keys,
            known,
            chunk,
            prefix,
        }
    }

    /// The first position, before `end`, of the run of equal keys that ends at `end - 1`
    /// (a binary search: runs of one toll can hold a third of all incidents).
    pub fn run_start(&self, end: usize) -> usize {
        let end = end.min(self.known);
        if end == 0 {
            return 0;
        }
        let key = self.keys[end - 1];
        self.keys[..end].partition_point(|k| *k < key)
    }

    /// The set of the incidents at positions `from..to` of `order`.
    fn positions(&self, from: usize, to: usize) -> RoaringBitmap {
        let to = to.min(self.order.len());
        if from >= to {
            return RoaringBitmap::new();
        }
        let first_full = from.div_ceil(self.chunk);
        let last_full = to / self.chunk;
        if first_full >= last_full {
            let mut gather = Gather::new(to - from, self.order.len());
            gather.add_all(&self.order[from..to]);
            return gather.finish();
        }
        let mut set = &self.prefix[last_full] - &self.prefix[first_full];
        // The partial chunks are in key order, not number order: gathered, not inserted one
        // by one.
        let (head, tail) = (
            &self.order[from..first_full * self.chunk],
            &self.order[last_full * self.chunk..to],
        );
        let mut gather = Gather::new(head.len() + tail.len(), self.order.len());
        gather.add_all(head);
        gather.add_all(tail);
        set |= gather.finish();
        set
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
        let mut set = self.positions(from, to.max(from));
        if with_unknown {
            set |= self.positions(self.known, self.order.len());
        }
        set
    }
}

/// The sets of incidents for each value of each vocabulary and for each place.
#[derive(Debug, Default)]
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
    /// The longest of their ranges, in days: a range-dated incident that began more than
    /// this before a day cannot reach it.
    pub longest_range_days: i64,
}

fn push(sets: &mut Vec<RoaringBitmap>, value: usize, i: u32) {
    if sets.len() <= value {
        sets.resize_with(value + 1, RoaringBitmap::new);
    }
    // Incidents are visited in ascending order, so every insert appends.
    sets[value].insert(i);
}

impl Bitmaps {
    pub fn new(
        incidents: &[crate::model::Incident],
        sides: &[Option<crate::model::Side>],
        places: usize,
    ) -> Bitmaps {
        let mut b = Bitmaps {
            places: vec![RoaringBitmap::new(); places],
            ..Default::default()
        };
        for (i, incident) in incidents.iter().enumerate() {
            let i = i as u32;
            push(&mut b.types, incident.kind as usize, i);
            push(&mut b.weapons, incident.weapon as usize, i);
            push(&mut b.targets, incident.target as usize, i);
            push(&mut b.perpetrators, incident.perpetrator as usize, i);
            push(&mut b.verifications, incident.verification as usize, i);
            for reporter in incident.reported_by.iter() {
                push(&mut b.reporters, reporter as usize, i);
            }
            if let Some(side) = sides[i as usize] {
                push(&mut b.sides, side as usize, i);
            }
            push(&mut b.places, incident.place as usize, i);
            if incident.date_end > incident.date {
                b.ranged.push(i);
                b.ranged_end.push(incident.date_end);
                b.longest_range_days = b
                    .longest_range_days
                    .max((incident.date_end - incident.date).num_days());
            }
        }
        b
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
}
