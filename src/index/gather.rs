//! Gathering incident numbers found in any order into a set. Uniting hundreds of small sets,
//! or inserting numbers one by one in random order, costs far more than marking one bit per
//! number in a plain bit array and reading the array into a compressed set once.

use roaring::RoaringBitmap;

pub struct Gather {
    /// One bit per incident; `None` while the numbers are few enough to sort instead.
    bits: Option<Vec<u8>>,
    few: Vec<u32>,
}

impl Gather {
    /// For about `expected` numbers, all below `incidents`.
    pub fn new(expected: usize, incidents: usize) -> Gather {
        // Sorting costs about log2(n) steps per number, and a sort's steps are slow (they
        // branch unpredictably); marking bits costs one per number plus a fast pass over one bit
        // per incident. Measured at a million incidents, bits win from a few thousand numbers.
        let dense = expected.saturating_mul(256) > incidents;
        Gather {
            bits: dense.then(|| vec![0u8; incidents.div_ceil(8)]),
            few: Vec::with_capacity(if dense { 0 } else { expected }),
        }
    }

    pub fn add(&mut self, i: u32) {
        match &mut self.bits {
            Some(bits) => bits[(i >> 3) as usize] |= 1 << (i & 7),
            None => self.few.push(i),
        }
    }

    pub fn add_all(&mut self, numbers: &[u32]) {
        match &mut self.bits {
            Some(bits) => {
                for &i in numbers {
                    bits[(i >> 3) as usize] |= 1 << (i & 7);
                }
            }
            None => self.few.extend_from_slice(numbers),
        }
    }

    pub fn finish(self) -> RoaringBitmap {
        match self.bits {
            Some(bits) => RoaringBitmap::from_lsb0_bytes(0, &bits),
            None => {
                let mut few = self.few;
                few.sort_unstable();
                few.dedup();
                RoaringBitmap::from_sorted_iter(few).unwrap_or_default()
            }
        }
    }
}

/// The set of `numbers` (strictly ascending, as a scan in order finds them). When they are
/// many and close together, as the range-dated incidents reaching a day are (thousands within
/// a week's numbers), bits are marked over the band they span and read into the set at once:
/// pushing them into the set one by one cost two thirds of a one-day query (a million
/// incidents, 35 µs).
pub fn sorted_set(numbers: &[u32]) -> RoaringBitmap {
    match (numbers.first(), numbers.last()) {
        (Some(&low), Some(&high)) if numbers.len() >= 64 => {
            // Byte-aligned, so the set reads the bytes as they are.
            let low = low & !7;
            let span = u64::from(high - low) + 1;
            if span > numbers.len() as u64 * 256 {
                return RoaringBitmap::from_sorted_iter(numbers.iter().copied())
                    .unwrap_or_default();
            }
            let mut bits = vec![0u8; span.div_ceil(8) as usize];
            for i in numbers {
                let k = i - low;
                bits[(k >> 3) as usize] |= 1 << (k & 7);
            }
            RoaringBitmap::from_lsb0_bytes(low, &bits)
        }
        _ => RoaringBitmap::from_sorted_iter(numbers.iter().copied()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Gather, sorted_set};

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

    use roaring::RoaringBitmap;

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
