//! Per-incident data in chunks that an index and the one that replaces it after a write share.
//! A write appends; copying the index then copies one pointer per chunk and, at most, the last
//! chunk, instead of every record (at a million incidents, a deep copy of the records alone
//! takes longer than the rest of a write).

use std::sync::Arc;

/// Slots per chunk (a power of two, so that finding a slot is a shift and a mask).
const SHIFT: usize = 12;
const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;

/// An append-only sequence of `T` in shared chunks, read by slot number.
#[derive(Debug, Clone)]
pub struct Slots<T> {
    chunks: Vec<Arc<Vec<T>>>,
    count: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            chunks: Vec::new(),
            count: 0,
        }
    }
}

impl<T: Clone> Slots<T> {
    pub fn from_vec(values: Vec<T>) -> Slots<T> {
        let count = values.len();
        let mut chunks = Vec::with_capacity(count.div_ceil(CHUNK));
        let mut values = values.into_iter();
        loop {
            let chunk: Vec<T> = values.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            chunks.push(Arc::new(chunk));
        }
        Slots { chunks, count }
    }

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
    /// How many slots there are (live or not: the index knows which are).
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i >> SHIFT).and_then(|c| c.get(i & MASK))
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
        &self.chunks[i >> SHIFT][i & MASK]
    }
}

impl<'a, T> IntoIterator for &'a Slots<T> {
    type Item = &'a T;
    type IntoIter = std::iter::FlatMap<
        std::slice::Iter<'a, Arc<Vec<T>>>,
        std::slice::Iter<'a, T>,
        fn(&'a Arc<Vec<T>>) -> std::slice::Iter<'a, T>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flat_map(|c| c.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_shares_chunks_and_pushes_stay_apart() {
        let original = Slots::from_vec((0..(CHUNK as u32 * 2 + 5)).collect());
        let mut copy = original.clone();
        copy.push(7);
        assert_eq!(original.count(), CHUNK * 2 + 5);
        assert_eq!(copy.count(), CHUNK * 2 + 6);
        assert_eq!(copy[CHUNK * 2 + 5], 7);
        assert!(original.get(CHUNK * 2 + 5).is_none());
        assert!(Arc::ptr_eq(&original.chunks[0], &copy.chunks[0]));
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
        // Filling a chunk exactly starts the next one.
        let mut full = Slots::from_vec(vec![0u8; CHUNK]);
        full.push(1);
        assert_eq!((full.chunks.len(), full[CHUNK]), (2, 1));
    }
}
