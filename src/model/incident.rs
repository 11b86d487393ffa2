//! An incident: one reported attack at one place on one day or range of days.

use super::count::{Count, CountRecord};
use super::source::Source;
use super::vocab::{
    DatePrecision, GeoPrecision, IncidentType, Perpetrator, Reporter, ReporterSet, Target,
    Verification, Weapon,
};
use chrono::NaiveDate;
use serde::Deserialize;

/// Index of a place in the gazetteer.
pub type PlaceIdx = u32;

/// An incident as held in memory. Vocabularies are one byte each and shared strings are
/// reference-counted, so that a million incidents fit comfortably on a small machine.
/// (De)serialisable for the prepared-index snapshot, which stores the shared sources once.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
pub struct Incident {
    pub id: Box<str>,
    pub title: Box<str>,
    pub description: Box<str>,
    /// First day the incident may have happened on.
    #[serde(with = "day_number")]
    pub date: NaiveDate,
    /// Last day it may have happened on; equal to `date` for a known day.
    #[serde(with = "day_number")]
    pub date_end: NaiveDate,
    pub date_precision: DatePrecision,
    /// Local time (UTC+4) as `HH:MM`, when a source gives one.
    pub time_local: Option<Box<str>>,
    pub date_note: Option<Box<str>>,
    /// Longitude in degrees (WGS84).
    pub lon: f64,
    /// Latitude in degrees (WGS84).
    pub lat: f64,
    pub geo_precision: GeoPrecision,
    /// Radius within which the true position lies, in kilometres.
    pub uncertainty_km: f32,
    pub location_source: Box<str>,
    pub place: PlaceIdx,
    pub kind: IncidentType,
    pub weapon: Weapon,
    pub target: Target,
    pub killed: Count,
    pub injured: Count,
    pub children_killed: Count,
    pub children_injured: Count,
    pub perpetrator: Perpetrator,
    pub reported_by: ReporterSet,
    pub verification: Verification,
    pub verification_note: Option<Box<str>>,
    /// Shared between incidents that cite the same sources (the loader interns them).
    #[serde(skip)]
    pub sources: std::sync::Arc<[Source]>,
    /// How many times the record has been written (1 for a record read from files): the
    /// item's ETag, which a write must quote in `If-Match`.
    pub revision: u32,
}

/// A day as its number counted from 1 January of year 1: what the snapshot stores, read back
/// without parsing text (a million incidents carry two days each).
mod day_number {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(day: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(day.num_days_from_ce())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        let n = i32::deserialize(deserializer)?;
        NaiveDate::from_num_days_from_ce_opt(n)
            .ok_or_else(|| serde::de::Error::custom(format!("day number {n} is not a date")))
    }
}

impl Incident {
    /// The uncertainty radius in kilometres, to the metre: it is kept as `f32`, whose widening
    /// to `f64` would otherwise show digits nobody stated (3.700000047683716 for 3.7).
    pub fn uncertainty_km(&self) -> f64 {
        (f64::from(self.uncertainty_km) * 1000.0).round() / 1000.0
    }

    /// Whether the incident's possible days overlap `[start, end]` (both inclusive, open when
    /// `None`).
    pub fn overlaps(&self, start: Option<NaiveDate>, end: Option<NaiveDate>) -> bool {
        start.is_none_or(|s| self.date_end >= s) && end.is_none_or(|e| self.date <= e)
    }
}

/// The `properties` of an incident feature in `incidents.geojson`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentRecord {
    pub id: String,
    pub title: String,
    pub description: String,
    pub date: NaiveDate,
    #[serde(default)]
    pub date_end: Option<NaiveDate>,
    pub date_precision: DatePrecision,
    #[serde(default)]
    pub time_local: Option<String>,
    #[serde(default)]
    pub date_note: Option<String>,
    /// Gazetteer id of the place.
    pub place: String,
    pub geo_precision: GeoPrecision,
    #[serde(default)]
    pub uncertainty_km: Option<f64>,
    pub location_source: String,
    #[serde(rename = "type")]
    pub kind: IncidentType,
    pub weapon: Weapon,
    pub target: Target,
    #[serde(default)]
    pub killed: Option<CountRecord>,
    #[serde(default)]
    pub injured: Option<CountRecord>,
    #[serde(default)]
    pub children_killed: Option<CountRecord>,
    #[serde(default)]
    pub children_injured: Option<CountRecord>,
    pub perpetrator_alleged: Perpetrator,
    pub reported_by: Vec<Reporter>,
    pub verification: Verification,
    #[serde(default)]
    pub verification_note: Option<String>,
    pub sources: Vec<Source>,
}

/// Longest incident id, in characters.
pub const MAX_ID_CHARS: usize = 200;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 500;
/// Longest description or note, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Most sources one incident cites.
pub const MAX_SOURCES: usize = 100;

/// A field of a record that fails validation, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub expected: String,
}

impl FieldError {
    pub fn new(field: &'static str, expected: impl Into<String>) -> Self {
        FieldError {
            field,
            expected: expected.into(),
        }
    }
}

impl IncidentRecord {
    /// Every way the record breaks a rule serde cannot check: empty or over-long text, date
    /// order and precision, a day after tomorrow (UTC; a record is never dated in the future),
    /// counts, the reporting parties, at least one complete source. Empty when it is valid.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        for (field, text, max) in [
            ("id", &self.id, MAX_ID_CHARS),
            ("title", &self.title, MAX_TITLE_CHARS),
            ("description", &self.description, MAX_TEXT_CHARS),
            ("location_source", &self.location_source, MAX_TEXT_CHARS),
        ] {
            if field != "location_source" && text.trim().is_empty() {
                problems.push(FieldError::new(field, "non-empty text"));
            } else if text.chars().count() > max {
                problems.push(FieldError::new(
                    field,
                    format!("text of at most {max} characters"),
                ));
            }
        }
        for (field, text) in [
            ("date_note", &self.date_note),
            ("verification_note", &self.verification_note),
        ] {
            if text
                .as_ref()
                .is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
            {
                problems.push(FieldError::new(
                    field,
                    format!("text of at most {MAX_TEXT_CHARS} characters"),
                ));
            }
        }
        let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
        for (field, day) in [("date", Some(self.date)), ("date_end", self.date_end)] {
            if day.is_some_and(|d| d > tomorrow) {
                problems.push(FieldError::new(field, "a day that is not in the future"));
            }
        }
        let date_end = self.date_end.unwrap_or(self.date);
        if date_end < self.date {
            problems.push(FieldError::new("date_end", "a day on or after `date`"));
        }
        match self.date_precision {
            DatePrecision::Day if date_end != self.date => {
                problems.push(FieldError::new(
                    "date_end",
                    "absent or equal to `date` when date_precision is `day`",
                ));
            }
            DatePrecision::Range if self.date_end.is_none() => {
                problems.push(FieldError::new(
                    "date_end",
                    "a day when date_precision is `range`",
                ));
            }
            _ => {}
        }
        if let Some(time) = &self.time_local
            && chrono::NaiveTime::parse_from_str(time, "%H:%M").is_err()
        {
            problems.push(FieldError::new("time_local", "a local time as HH:MM"));
        }
        let uncertainty_km = self
            .uncertainty_km
            .unwrap_or(self.geo_precision.default_uncertainty_km());
        if !(0.0..=500.0).contains(&uncertainty_km) {
            problems.push(FieldError::new(
                "uncertainty_km",
                "a radius between 0 and 500 km",
            ));
        }
        let counts = [
            ("killed", &self.killed),
            ("injured", &self.injured),
            ("children_killed", &self.children_killed),
            ("children_injured", &self.children_injured),
        ];
        for (field, count) in counts {
            if !Count::from(*count).is_consistent() {
                problems.push(FieldError::new(field, "low <= high"));
            }
        }
        if self.reported_by.is_empty() {
            problems.push(FieldError::new(
                "reported_by",
                format!("at least one of: {}", Reporter::expected()),
            ));
        }
        if self.sources.is_empty() {
            problems.push(FieldError::new("sources", "at least one source"));
        } else if self.sources.len() > MAX_SOURCES {
            problems.push(FieldError::new(
                "sources",
                format!("at most {MAX_SOURCES} sources"),
            ));
        }
        for source in &self.sources {
            if let Some(field) = source.missing_field() {
                let expected = super::source::source_field_expectation(field);
                let field = match field {
                    "publisher" => "sources.publisher",
                    "title" => "sources.title",
                    "role" => "sources.role",
                    "url" => "sources.url",
                    "read_at" => "sources.read_at",
                    _ => "sources.date",
                };
                problems.push(FieldError::new(field, expected));
            }
        }
        problems
    }

    /// Turns a parsed record into an incident at `(lon, lat)` in place `place`, checking what
    /// serde cannot (see [`IncidentRecord::problems`]); the first problem is the error.
    pub fn into_incident(
        self,
        lon: f64,
        lat: f64,
        place: PlaceIdx,
    ) -> Result<Incident, FieldError> {
        if let Some(problem) = self.problems().into_iter().next() {
            return Err(problem);
        }
        let date_end = self.date_end.unwrap_or(self.date);
        let uncertainty_km = self
            .uncertainty_km
            .unwrap_or(self.geo_precision.default_uncertainty_km());
        Ok(Incident {
            id: self.id.into(),
            title: self.title.into(),
            description: self.description.into(),
            date: self.date,
            date_end,
            date_precision: self.date_precision,
            time_local: self.time_local.map(Into::into),
            date_note: self.date_note.map(Into::into),
            lon,
            lat,
            geo_precision: self.geo_precision,
            uncertainty_km: uncertainty_km as f32,
            location_source: self.location_source.into(),
            place,
            kind: self.kind,
            weapon: self.weapon,
            target: self.target,
            killed: Count::from(self.killed),
            injured: Count::from(self.injured),
            children_killed: Count::from(self.children_killed),
            children_injured: Count::from(self.children_injured),
            perpetrator: self.perpetrator_alleged,
            reported_by: self.reported_by.into_iter().collect(),
            verification: self.verification,
            verification_note: self.verification_note.map(Into::into),
            sources: self.sources.into(),
            revision: 1,
        })
    }
}
