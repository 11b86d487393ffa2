//! Lists of incidents, one for each of many keys (the words of the search texts, or two words
//! side by side), built chunk by chunk of incidents: a key held by thousands keeps a set, the
//! others a run of one sorted list (a million keys held once cost four bytes each, not a set
//! each).

use super::gather::Gather;
use rayon::prelude::*;
use roaring::RoaringBitmap;
use std::borrow::Cow;
use std::ops::Range;

/// A key held by at least this many incidents keeps them as a set, which a query naming that
/// key alone borrows.
pub const DENSE: usize = 4096;

/// The keys of one chunk of incidents: each text's distinct keys (by their number in the
/// whole key list), and how many each text has.
pub struct ChunkKeys {
    pub keys: Vec<u32>,
    pub lens: Vec<u32>,
}

/// Each of `chunks`' distinct keys (`chunks[c][k]`) numbered by its place among every chunk's
/// keys, sorted: the sorted keys, and the number of each chunk's key.
pub fn numbered<K: Ord + Copy + Send + Sync>(chunks: &[Vec<K>]) -> (Vec<K>, Vec<Vec<u32>>) {
    let mut met: Vec<(K, u32, u32)> = chunks
        .iter()
        .enumerate()
        .flat_map(|(c, keys)| {
            (keys.iter())
                .enumerate()
                .map(move |(k, key)| (*key, c as u32, k as u32))
        })
        .collect();
    met.par_sort_unstable();
    let mut number: Vec<Vec<u32>> = chunks.iter().map(|c| vec![0; c.len()]).collect();
    let mut sorted: Vec<K> = Vec::new();
    for (key, c, k) in met {
        if sorted.last() != Some(&key) {
            sorted.push(key);
        }
        number[c as usize][k as usize] = sorted.len() as u32 - 1;
    }
    (sorted, number)
}

/// Incidents of several keys past which their union is sorted on every core.
const PARALLEL_SORT: usize = 1 << 16;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Lists {
    /// The incidents of a key held by fewer than [`DENSE`]: `postings[starts[k]..starts[k +
    /// 1]]`, ascending (an empty run for a dense key).
    starts: Vec<usize>,
    postings: Vec<u32>,
    /// The incidents of every key held by [`DENSE`] or more, by key (ascending).
    dense: Vec<(u32, RoaringBitmap)>,
}

impl Lists {
    /// The lists of `keys` keys from the chunks of incidents `0..` in order.
    pub fn new(keys: usize, chunks: &[ChunkKeys]) -> Lists {
        let mut starts = vec![0usize; keys + 1];
        for chunk in chunks {
            for k in &chunk.keys {
                starts[*k as usize + 1] += 1;
            }
        }
        for k in 0..keys {
            starts[k + 1] += starts[k];
        }
        let mut all = vec![0u32; starts[keys]];
        let mut next = starts.clone();
        let mut incident = 0u32;
        for chunk in chunks {
            let mut of_text = chunk.keys.iter();
            for len in &chunk.lens {
                for k in of_text.by_ref().take(*len as usize) {
                    all[next[*k as usize]] = incident;
                    next[*k as usize] += 1;
                }
                incident += 1;
            }
        }
        drop(next);
        let run = |k: usize| &all[starts[k]..starts[k + 1]];
        let dense: Vec<(u32, RoaringBitmap)> = (0..keys)
            .into_par_iter()
            .filter(|k| run(*k).len() >= DENSE)
            .map(|k| {
                let set = RoaringBitmap::from_sorted_iter(run(k).iter().copied())
                    .expect("a key's incidents are ascending");
                (k as u32, set)
            })
            .collect();
        // The dense keys' runs leave the list.
        let sparse: usize = (0..keys).map(|k| run(k).len()).filter(|n| *n < DENSE).sum();
        let mut postings = Vec::with_capacity(sparse);
        let mut sparse_starts = Vec::with_capacity(starts.len());
        sparse_starts.push(0);
        for k in 0..keys {
            if run(k).len() < DENSE {
                postings.extend_from_slice(run(k));
            }
            sparse_starts.push(postings.len());
        }
        Lists {
            starts: sparse_starts,
            postings,
            dense,
        }
    }

    /// The sets of the dense keys in `keys`.
    fn dense_in(&self, keys: &Range<u32>) -> &[(u32, RoaringBitmap)] {
        let from = self.dense.partition_point(|(k, _)| *k < keys.start);
        let to = self.dense.partition_point(|(k, _)| *k < keys.end);
        &self.dense[from..to.max(from)]
    }

    /// The runs of the keys in `keys`, one after the other (none for a dense key).
    fn runs_of(&self, keys: &Range<u32>) -> &[u32] {
        let (from, to) = (keys.start as usize, keys.end as usize);
        &self.postings[self.starts[from]..self.starts[to.max(from)]]
    }

    /// How many incidents the keys in `ranges` hold as runs, and how many of them are dense.
    pub fn weigh(&self, ranges: &[Range<u32>]) -> (usize, usize) {
        ranges.iter().fold((0, 0), |(postings, sets), keys| {
            let dense = self.dense_in(keys).len();
            (postings + self.runs_of(keys).len(), sets + dense)
        })
    }

    /// The incidents of the keys in `ranges` (the runs of keys side by side are one stretch
    /// of the list): borrowed when that is one dense key's set.
    pub fn incidents_in(&self, ranges: &[Range<u32>]) -> Cow<'_, RoaringBitmap> {
        let mut sparse: Vec<u32> = Vec::new();
        let mut sets: Vec<&RoaringBitmap> = Vec::new();
        for keys in ranges {
            sparse.extend_from_slice(self.runs_of(keys));
            sets.extend(self.dense_in(keys).iter().map(|(_, set)| set));
        }
        if let ([], [one]) = (sparse.as_slice(), sets.as_slice()) {
            return Cow::Borrowed(*one);
        }
        let mut union = union_of(sparse);
        for set in sets {
            union |= set;
        }
        Cow::Owned(union)
    }

    /// Whether these lists can serve `keys` keys and `incidents` incidents without a read
    /// out of bounds or a list out of order (they come from a file).
    pub fn check(&self, keys: usize, incidents: usize) -> Result<(), String> {
        if !covers(&self.starts, keys, self.postings.len()) {
            return Err("runs do not cover their list".into());
        }
        for k in 0..keys {
            let run = &self.postings[self.starts[k]..self.starts[k + 1]];
            if !ascending_below(run, incidents) {
                return Err("incidents are out of order or out of bounds".into());
            }
        }
        let dense: Vec<u32> = self.dense.iter().map(|(k, _)| *k).collect();
        if !ascending_below(&dense, keys)
            || self
                .dense
                .iter()
                .any(|(_, set)| set.max().is_some_and(|m| m as usize >= incidents))
        {
            return Err("dense keys are out of order or out of bounds".into());
        }
        Ok(())
    }
}

/// The set of `numbers` (in any order, maybe repeated): marked as bits over their span when
/// they are many for it (ten thousand numbers below a million took 100 µs to sort), else
/// sorted ([`Gather`]), where the query stands when few (a light query never waits on the
/// pool).
fn union_of(mut numbers: Vec<u32>) -> RoaringBitmap {
    let Some(largest) = numbers.iter().max() else {
        return RoaringBitmap::new();
    };
    let mut gather = Gather::new(numbers.len(), *largest as usize + 1);
    if gather.marks() || numbers.len() <= PARALLEL_SORT {
        gather.add_all(&numbers);
        return gather.finish();
    }
    numbers.par_sort_unstable();
    numbers.dedup();
    RoaringBitmap::from_sorted_iter(numbers).expect("sorted and deduplicated")
}

/// Whether `starts` cut a list of `items` into `keys` runs, one after the other.
pub fn covers(starts: &[usize], keys: usize, items: usize) -> bool {
    starts.len() == keys + 1
        && starts.first() == Some(&0)
        && starts.last() == Some(&items)
        && starts.windows(2).all(|w| w[0] <= w[1])
}

/// Whether `run` is strictly ascending and below `bound`.
pub fn ascending_below(run: &[u32], bound: usize) -> bool {
    run.windows(2).all(|w| w[0] < w[1]) && run.last().is_none_or(|l| (*l as usize) < bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// A union is the set of its numbers whether they are marked as bits (many for their
    /// span) or sorted (few), with repeats, the largest number on a byte's edge or not, and
    /// none at all.
    #[test]
    fn a_union_is_the_set_of_its_numbers_marked_or_sorted() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let (mut marked, mut sorted) = (0, 0);
        for round in 0..200 {
            let span = [8, 63, 64, 1000, 70_000, 1_000_000][round % 6];
            let count = [0, 5, 100, 3000][rng.random_range(0..4)] + rng.random_range(0..50);
            let mut numbers: Vec<u32> = (0..count).map(|_| rng.random_range(0..span)).collect();
            if round % 7 == 0 {
                numbers.extend(numbers.clone());
            }
            let want: RoaringBitmap = numbers.iter().copied().collect();
            let largest = numbers.iter().max().map_or(0, |m| *m as usize);
            if Gather::new(numbers.len(), largest + 1).marks() {
                marked += 1;
            } else {
                sorted += 1;
            }
            assert_eq!(union_of(numbers), want, "{round}");
        }
        assert!(
            marked > 20 && sorted > 20,
            "{marked} marked, {sorted} sorted"
        );
    }
}
