//! A few tables an ordered index has made on first use, each under the key of what it was
//! made with. An index is never changed in place (a write makes a new one), so a table kept
//! by an index stays true for as long as that index serves queries; a copy starts with none.

use std::sync::{Arc, Mutex, MutexGuard};

/// At most `N` tables of type `T` by key `K`; the oldest made goes first when one more is
/// made, so that what requests can make the server keep is bounded.
pub struct Kept<K, T, const N: usize>(Mutex<Vec<(K, Arc<T>)>>);

impl<K: PartialEq, T, const N: usize> Kept<K, T, N> {
    /// The table kept under `key`, if it has been made.
    pub fn kept(&self, key: &K) -> Option<Arc<T>> {
        Self::find(&self.lock(), key)
    }

    fn find(tables: &[(K, Arc<T>)], key: &K) -> Option<Arc<T>> {
        tables
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, t)| t.clone())
    }

    /// The table under `key`, made now by `make` if it is not kept.
    pub fn with(&self, key: K, make: impl FnOnce() -> T) -> Arc<T> {
        if let Some(table) = Self::find(&self.lock(), &key) {
            return table;
        }
        // Made outside the lock: other tables are not held up (two requests may both make
        // it once; the second keeps the first's).
        let made = Arc::new(make());
        let mut tables = self.lock();
        if let Some(table) = Self::find(&tables, &key) {
            return table;
        }
        if tables.len() >= N {
            tables.remove(0);
        }
        tables.push((key, made.clone()));
        made
    }

    /// How many tables are kept.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(K, Arc<T>)>> {
        // A table is pushed whole or not at all: a panic elsewhere leaves the list sound.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<K, T, const N: usize> Default for Kept<K, T, N> {
    fn default() -> Self {
        Kept(Mutex::new(Vec::new()))
    }
}

/// A copy starts with no tables: they are made again on first use.
impl<K, T, const N: usize> Clone for Kept<K, T, N> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl<K: PartialEq, T, const N: usize> std::fmt::Debug for Kept<K, T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kept({})", self.count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table is made once per key and kept; past `N`, the oldest is dropped and made
    /// again when asked for.
    #[test]
    fn a_table_is_made_once_per_key_and_the_oldest_goes_first() {
        let kept: Kept<u32, String, 2> = Kept::default();
        let made = std::cell::Cell::new(0);
        let make = |s: &str| {
            made.set(made.get() + 1);
            s.to_string()
        };
        let a = kept.with(1, || make("a"));
        assert!(Arc::ptr_eq(&a, &kept.with(1, || make("other"))));
        assert_eq!((made.get(), kept.count()), (1, 1));
        assert!(kept.kept(&2).is_none());
        kept.with(2, || make("b"));
        kept.with(3, || make("c"));
        assert_eq!((made.get(), kept.count()), (3, 2));
        assert!(kept.kept(&1).is_none());
        assert_eq!(*kept.kept(&2).unwrap(), "b");
        assert_eq!(*kept.with(1, || make("a again")), "a again");
        assert!(kept.kept(&2).is_none());
        assert_eq!(kept.clone().count(), 0);
    }
}
