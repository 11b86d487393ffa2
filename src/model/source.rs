//! A source: the publication an incident's claims come from.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One cited publication. Strings are shared (`Arc<str>`) because the same report backs many
/// incidents; a million incidents citing ten reports hold ten copies of the text, not a million.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Source {
    /// Who published it (an organisation, an official body, a person's account).
    pub publisher: Arc<str>,
    /// Its title, or a bracketed description where the title is not known.
    pub title: Arc<str>,
    /// Publication date as far as known: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; `None` if unknown.
    #[serde(default)]
    pub date: Option<Arc<str>>,
    /// Link, where the reference material gives one.
    #[serde(default)]
    pub url: Option<Arc<str>>,
    /// `primary` (the reporter itself) or `secondary` (relays or cites another report).
    #[serde(default)]
    pub role: Option<Arc<str>>,
    /// The seed file in `shared/seeds/` the citation was taken from.
    #[serde(default)]
    pub seed: Option<Arc<str>>,
    #[serde(default)]
    pub note: Option<Arc<str>>,
}

impl Source {
    /// Checks the fields a citation cannot do without; returns the offending field name.
    pub fn missing_field(&self) -> Option<&'static str> {
        if self.publisher.trim().is_empty() {
            return Some("publisher");
        }
        if self.title.trim().is_empty() {
            return Some("title");
        }
        if let Some(date) = &self.date
            && !is_partial_date(date)
        {
            return Some("date");
        }
        None
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` with plausible month and day numbers.
fn is_partial_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
    match (parts.as_slice(), numbers.as_deref()) {
        ([y], Some([_])) => y.len() == 4,
        ([y, _], Some([_, m])) => y.len() == 4 && (1..=12).contains(m),
        ([_, _, _], Some(_)) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_partial_date;

    #[test]
    fn partial_dates() {
        assert!(is_partial_date("2021"));
        assert!(is_partial_date("2021-05"));
        assert!(is_partial_date("2020-10-23"));
        assert!(!is_partial_date("2021-13"));
        assert!(!is_partial_date("2020-02-30"));
        assert!(!is_partial_date("May 2021"));
    }
}
