//! Features kept encoded for reuse. Writing a feature's JSON (escaping its text, formatting
//! its numbers and dates) is most of what a page of features costs; the same incidents are
//! asked for again and again (the latest days, the busiest towns, the first page of every
//! filter), so their bytes are kept, up to a budget, under the index's numbering, the
//! incident's number and the naming asked for: a number names the same record with the same
//! measures for as long as its numbering lasts, so a kept feature can never be stale.

use super::features::write_feature;
use super::fragments::Fragments;
use super::ogc::FEATURE_BYTES;
use crate::index::Index;
use crate::model::Naming;
use std::sync::Arc;

/// (numbering, incident number, naming).
type Key = (u64, u32, Naming);

#[derive(Clone)]
struct Bytes;

impl quick_cache::Weighter<Key, Arc<[u8]>> for Bytes {
    fn weight(&self, _key: &Key, value: &Arc<[u8]>) -> u64 {
        // The key and the Arc's counts beside the bytes.
        value.len() as u64 + 48
    }
}

/// Encoded features, at most a budget of bytes of them (least recently useful first out).
pub struct EncodedFeatures {
    cache: Option<quick_cache::sync::Cache<Key, Arc<[u8]>, Bytes>>,
}

impl EncodedFeatures {
    /// A cache of at most `megabytes` of features; 0 keeps none (every feature is encoded
    /// when written).
    pub fn new(megabytes: u64) -> EncodedFeatures {
        let budget = megabytes.saturating_mul(1024 * 1024);
        EncodedFeatures {
            cache: (budget > 0).then(|| {
                let items = usize::try_from(budget / FEATURE_BYTES as u64).unwrap_or(usize::MAX);
                quick_cache::sync::Cache::with_weighter(items.max(16), budget, Bytes)
            }),
        }
    }

    /// Writes incident `i` as a GeoJSON Feature (see [`write_feature`]): the kept bytes when
    /// there are some, else encoded now and kept.
    pub fn write(
        &self,
        out: &mut Vec<u8>,
        index: &Index,
        fragments: &Fragments,
        i: u32,
        naming: Naming,
    ) {
        let Some(cache) = &self.cache else {
            write_feature(out, index, fragments, i, naming);
            return;
        };
        let key = (index.numbering, i, naming);
        if let Some(bytes) = cache.get(&key) {
            out.extend_from_slice(&bytes);
            return;
        }
        let start = out.len();
        write_feature(out, index, fragments, i, naming);
        cache.insert(key, Arc::from(&out[start..]));
    }
}
