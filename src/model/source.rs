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
    /// The publisher's own address, where known.
    #[serde(default)]
    pub url: Option<Arc<str>>,
    /// Where the text was actually read, when that was a relay or a mirror.
    #[serde(default)]
    pub read_at: Option<Arc<str>>,
    /// Who relayed or mirrored it there.
    #[serde(default)]
    pub relay: Option<Arc<str>>,
    /// `primary` (the reporter or investigator), `secondary` (relays or summarises another's
    /// report), `denial` (a party's public denial) or `counter_claim` (a competing account).
    #[serde(default)]
    pub role: Option<Arc<str>>,
    /// For a secondary source: who made the claim it relays, so the claim is credited to them.
    #[serde(default)]
    pub claimant: Option<Arc<str>>,
    /// The id of the archived passage (in the data's `sources/` folder) the record relies on.
    #[serde(default)]
    pub passage: Option<Arc<str>>,
    /// The archived passage's text, filled in at load from the archive (never read from the
    /// record itself, so it cannot drift from the hashed original).
    #[serde(default, skip_deserializing)]
    pub quote: Option<Arc<str>>,
    #[serde(default)]
    pub note: Option<Arc<str>>,
}

/// The roles a source can play.
pub const SOURCE_ROLES: &[&str] = &["primary", "secondary", "denial", "counter_claim"];

/// An archived passage: the short quotation a record relies on, with its citation and the
/// SHA-256 of the quotation, so that the evidence survives link rot and tampering shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Passage {
    pub id: String,
    pub publisher: String,
    pub title: String,
    pub date: Option<String>,
    pub url: Option<String>,
    pub read_at: Option<String>,
    pub relay: Option<String>,
    /// How the quotation departs from the original (joined lines, dropped footnote markers,
    /// marked omissions); `None` when verbatim.
    pub edits: Option<String>,
    pub passage: String,
    /// Lower-case hex SHA-256 of `passage` as UTF-8.
    pub sha256: String,
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
        if let Some(role) = &self.role
            && !SOURCE_ROLES.contains(&&**role)
        {
            return Some("role");
        }
        // An address is shown as a link: only web addresses, never `javascript:` or `data:`.
        for (field, url) in [("url", &self.url), ("read_at", &self.read_at)] {
            if let Some(url) = url
                && !is_web_address(url)
            {
                return Some(field);
            }
        }
        None
    }
}

/// `http://` or `https://` followed by a host, with no whitespace or control characters.
pub fn is_web_address(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// What a source's field must hold, for error messages.
pub fn source_field_expectation(field: &str) -> &'static str {
    match field {
        "url" | "read_at" => "an http:// or https:// address",
        "role" => "one of: primary, secondary, denial, counter_claim",
        "date" => "a date as YYYY, YYYY-MM or YYYY-MM-DD",
        _ => "non-empty text",
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

    #[test]
    fn only_web_addresses_are_accepted_as_links() {
        use super::is_web_address;
        assert!(is_web_address("https://www.hrw.org/news/2020/10/23/x"));
        assert!(is_web_address(
            "http://www.today.az/news/politics/202482.html"
        ));
        assert!(!is_web_address("javascript:alert(1)"));
        assert!(!is_web_address("JAVASCRIPT://x%0aalert(1)"));
        assert!(!is_web_address("data:text/html,hi"));
        assert!(!is_web_address("https://"));
        assert!(!is_web_address("https://x y"));
    }
}
