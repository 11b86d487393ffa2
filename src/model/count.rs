//! Casualty counts as reported: unknown, one figure, or a low/high range where sources differ.

use serde::{Deserialize, Serialize};

/// A reported count. `low == high == None` means no figure was reported (not zero).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub low: Option<u32>,
    pub high: Option<u32>,
}

impl Count {
    pub const UNKNOWN: Count = Count {
        low: None,
        high: None,
    };

    pub fn exact(n: u32) -> Self {
        Count {
            low: Some(n),
            high: Some(n),
        }
    }

    /// The highest reported figure (falls back to the low one when only that is known).
    pub fn highest(self) -> Option<u32> {
        self.high.or(self.low)
    }

    /// Whether `low <= high` when both are given.
    pub fn is_consistent(self) -> bool {
        match (self.low, self.high) {
            (Some(low), Some(high)) => low <= high,
            _ => true,
        }
    }
}

/// How a count appears in a data file: `null`, a number, or `{"low": .., "high": ..}`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum CountRecord {
    Exact(u32),
    Range { low: Option<u32>, high: Option<u32> },
}

impl From<Option<CountRecord>> for Count {
    fn from(record: Option<CountRecord>) -> Self {
        match record {
            None => Count::UNKNOWN,
            Some(CountRecord::Exact(n)) => Count::exact(n),
            Some(CountRecord::Range { low, high }) => Count { low, high },
        }
    }
}
