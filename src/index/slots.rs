//! Per-incident data that an index and the one that replaces it after a write share: the
//! slots the index was built with in one block, and those appended since in chunks. A write
//! appends; copying the index then copies two pointers and one per chunk and, at most, the
//! last chunk, instead of every record (at a million incidents, a deep copy of the records
//! alone takes longer than the rest of a write). Building takes the block as it was made, so
//! a restart does not copy a million records into chunks (a tenth of a second for the
//! records alone).

use std::sync::Arc;

/// Slots per chunk (a power of two, so that finding a slot is a shift and a mask).
const SHIFT: usize = 12;
const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;

/// An append-only sequence of `T`, shared, read by slot number.
#[derive(Debug, Clone)]
pub struct Slots<T> {
    /// The first slots, as built.
    base: Arc<Vec<T>>,
    /// The slots appended since, in chunks.
    chunks: Vec<Arc<Vec<T>>>,
    count: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots::from_vec(Vec::new())
    }
}

impl<T: Clone> Slots<T> {
    /// Adds a slot at the end; only the last chunk is copied, and only if it is shared.
    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => Arc::make_mut(last).push(value),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push(Arc::new(chunk));
            }
        }
        self.count += 1;
    }
}

impl<T> Slots<T> {
    /// The slots `values`, in their order (kept, not copied).
    pub fn from_vec(values: Vec<T>) -> Slots<T> {
        Slots {
            count: values.len(),
            base: Arc::new(values),
            chunks: Vec::new(),
        }
    }

    /// How many slots there are (live or not: the index knows which are).
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        match i.checked_sub(self.base.len()) {
            None => self.base.get(i),
            Some(i) => self.chunks.get(i >> SHIFT).and_then(|c| c.get(i & MASK)),
        }
    }

    /// Every slot in number order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.into_iter()
    }

    /// The first slot below `end` for which `pred` is false, `pred` being true for a prefix
    /// of `0..end` (a binary search).
    pub fn partition_point(&self, end: usize, pred: impl Fn(&T) -> bool) -> usize {
        let (mut low, mut high) = (0, end.min(self.count));
        while low < high {
            let mid = low + (high - low) / 2;
            if pred(&self[mid]) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }
}

impl<T> std::ops::Index<usize> for Slots<T> {
    type Output = T;

    #[inline]
    fn index(&self, i: usize) -> &T {
        match i.checked_sub(self.base.len()) {
            None => &self.base[i],
            Some(i) => &self.chunks[i >> SHIFT][i & MASK],
        }
    }
}

impl<'a, T> IntoIterator for &'a Slots<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Chain<
        std::slice::Iter<'a, T>,
        std::iter::FlatMap<
            std::slice::Iter<'a, Arc<Vec<T>>>,
            std::slice::Iter<'a, T>,
            fn(&'a Arc<Vec<T>>) -> std::slice::Iter<'a, T>,
        >,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let chunk: fn(&'a Arc<Vec<T>>) -> std::slice::Iter<'a, T> = |c| c.iter();
        self.base.iter().chain(self.chunks.iter().flat_map(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_shares_chunks_and_pushes_stay_apart() {
        let values: Vec<u32> = (0..(CHUNK as u32 * 2 + 5)).collect();
        let at = values.as_ptr();
        let original = Slots::from_vec(values);
        assert_eq!(
            original.base.as_ptr(),
            at,
            "the block built is kept, not copied"
        );
        let mut copy = original.clone();
        copy.push(7);
        assert_eq!(original.count(), CHUNK * 2 + 5);
        assert_eq!(copy.count(), CHUNK * 2 + 6);
        assert_eq!(
            (copy[CHUNK * 2 + 5], copy.get(CHUNK * 2 + 5)),
            (7, Some(&7))
        );
        assert_eq!(
            (copy[CHUNK * 2 + 4], copy.get(3)),
            (CHUNK as u32 * 2 + 4, Some(&3))
        );
        assert!(original.get(CHUNK * 2 + 5).is_none());
        assert!(copy.get(CHUNK * 2 + 6).is_none());
        assert!(Arc::ptr_eq(&original.base, &copy.base));
        assert_eq!(
            copy.iter().copied().rev().nth(1),
            Some(CHUNK as u32 * 2 + 4)
        );
        for end in [0, 1, CHUNK, CHUNK * 2 + 5] {
            for cut in [0u32, 1, 4096, 8200] {
                let want = (0..end as u32).filter(|v| *v < cut).count();
                assert_eq!(original.partition_point(end, |v| *v < cut), want);
            }
        }
        // Filling a chunk exactly starts the next one; a copy shares the chunks, and a push
        // to it copies only the last.
        let mut full = Slots::from_vec(vec![0u32; 3]);
        for v in 0..=CHUNK as u32 {
            full.push(v + 1);
        }
        assert_eq!((full.chunks.len(), full[3 + CHUNK]), (2, CHUNK as u32 + 1));
        let mut later = full.clone();
        later.push(9);
        assert!(Arc::ptr_eq(&full.chunks[0], &later.chunks[0]));
        assert!(!Arc::ptr_eq(&full.chunks[1], &later.chunks[1]));
        assert_eq!((full.count(), later[3 + CHUNK + 1]), (3 + CHUNK + 1, 9));
        let all: Vec<u32> = later.iter().copied().collect();
        let want: Vec<u32> = [0, 0, 0]
            .into_iter()
            .chain(1..=CHUNK as u32 + 1)
            .chain([9])
            .collect();
        assert_eq!(all, want);
    }
}
