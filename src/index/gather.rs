//! Gathering incident numbers found in any order into a set. Uniting hundreds of small sets,
//! or inserting numbers one by one in random order, costs far more than marking one bit per
//! number in a plain bit array and reading the array into a compressed set once.

use roaring::RoaringBitmap;

pub struct Gather {
    /// One bit per number from `low` on; `None` while the numbers are few enough to sort
    /// instead.
    bits: Option<Vec<u8>>,
    /// The first number the bits stand for (a multiple of eight, so that the set reads the
    /// bytes as they are).
    low: u32,
    few: Vec<u32>,
}

impl Gather {
    /// For about `expected` numbers, all below `incidents`.
    pub fn new(expected: usize, incidents: usize) -> Gather {
        Self::within(0, incidents as u64, expected)
    }

    /// For about `expected` numbers, all from `low` to `low + span` (exclusive).
    fn within(low: u32, span: u64, expected: usize) -> Gather {
        let (low, span) = (low & !7, span + u64::from(low & 7));
        // Sorting costs about log2(n) steps per number, and a sort's steps are slow (they
        // branch unpredictably); marking bits costs one per number plus a fast pass over one bit
        // per number of the span. Measured at a million incidents, bits win from a few thousand
        // numbers.
        let dense = (expected as u64).saturating_mul(256) > span;
        Gather {
            bits: dense.then(|| vec![0u8; span.div_ceil(8) as usize]),
            low,
            few: Vec::with_capacity(if dense { 0 } else { expected }),
        }
    }

    /// Whether the numbers are marked as bits (else sorted).
    pub fn marks(&self) -> bool {
        self.bits.is_some()
    }

    pub fn add(&mut self, i: u32) {
        match &mut self.bits {
            Some(bits) => {
                let k = i - self.low;
                bits[(k >> 3) as usize] |= 1 << (k & 7);
            }
            None => self.few.push(i),
        }
    }

    pub fn add_all(&mut self, numbers: &[u32]) {
        match &mut self.bits {
            Some(bits) => {
                for &i in numbers {
                    let k = i - self.low;
                    bits[(k >> 3) as usize] |= 1 << (k & 7);
                }
            }
            None => self.few.extend_from_slice(numbers),
        }
    }

    pub fn finish(self) -> RoaringBitmap {
        match self.bits {
            Some(bits) => RoaringBitmap::from_lsb0_bytes(self.low, &bits),
            None => {
                let mut few = self.few;
                few.sort_unstable();
                few.dedup();
                RoaringBitmap::from_sorted_iter(few).unwrap_or_default()
            }
        }
    }
}

/// The set of `numbers` (ascending, as a scan in order finds them), gathered over the band
/// they span. The range-dated incidents reaching a day are thousands within a week's numbers:
/// pushing them into the set one by one cost two thirds of a one-day query (a million
/// incidents, 35 µs), where marking their bits over the band and reading it once costs little.
pub fn sorted_set(numbers: &[u32]) -> RoaringBitmap {
    let (Some(&low), Some(&high)) = (numbers.first(), numbers.last()) else {
        return RoaringBitmap::new();
    };
    let mut gather = Gather::within(low, u64::from(high - low) + 1, numbers.len());
    gather.add_all(numbers);
    gather.finish()
}

#[cfg(test)]
mod tests {
    use super::{Gather, sorted_set};
    use roaring::RoaringBitmap;

    #[test]
    fn a_sorted_list_becomes_the_same_set_dense_or_sparse() {
        let lists: Vec<Vec<u32>> = vec![
            vec![],
            vec![5],
            // Dense, starting off a byte boundary, reaching the top of the numbers.
            (0..5_000u32).map(|i| 70_003 + i * 3).collect(),
            (0..100u32).map(|i| u32::MAX - 99 + i).collect(),
            // Many, but spread too thin for bits.
            (0..100u32).map(|i| i * 1_000_000).collect(),
        ];
        for list in lists {
            let want: RoaringBitmap = list.iter().copied().collect();
            assert_eq!(sorted_set(&list), want, "{} numbers", list.len());
        }
    }

    #[test]
    fn sparse_and_dense_gather_the_same_set() {
        let numbers: Vec<u32> = (0..5_000u32).map(|i| (i * 7_919) % 100_003).collect();
        let want: RoaringBitmap = numbers.iter().copied().collect();
        for expected in [10, 100_000] {
            let mut gather = Gather::new(expected, 100_003);
            gather.add_all(&numbers[..2_500]);
            for i in &numbers[2_500..] {
                gather.add(*i);
            }
            // Repeats count once.
            gather.add(numbers[0]);
            assert_eq!(gather.finish(), want, "expected {expected}");
        }
    }
}
