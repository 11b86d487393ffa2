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
    pub date: NaiveDate,
    /// Last day it may have happened on; equal to `date` for a known day.
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
}

impl Incident {
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

/// A field of a record that fails validation, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub expected: String,
}

impl FieldError {
    fn new(field: &'static str, expected: impl Into<String>) -> Self {
        FieldError {
            field,
            expected: expected.into(),
        }
    }
}

impl IncidentRecord {
    /// Turns a parsed record into an incident at `(lon, lat)` in place `place`, checking what
    /// serde cannot: non-empty text, date order and precision, counts, at least one source.
    pub fn into_incident(
        self,
        lon: f64,
        lat: f64,
        place: PlaceIdx,
    ) -> Result<Incident, FieldError> {
        for (field, text) in [
            ("id", &self.id),
            ("title", &self.title),
            ("description", &self.description),
        ] {
            if text.trim().is_empty() {
                return Err(FieldError::new(field, "non-empty text"));
            }
        }
        let date_end = self.date_end.unwrap_or(self.date);
        if date_end < self.date {
            return Err(FieldError::new("date_end", "a day on or after `date`"));
        }
        match self.date_precision {
            DatePrecision::Day if date_end != self.date => {
                return Err(FieldError::new(
                    "date_end",
                    "absent or equal to `date` when date_precision is `day`",
                ));
            }
            DatePrecision::Range if self.date_end.is_none() => {
                return Err(FieldError::new(
                    "date_end",
                    "a day when date_precision is `range`",
                ));
            }
            _ => {}
        }
        if let Some(time) = &self.time_local
            && chrono::NaiveTime::parse_from_str(time, "%H:%M").is_err()
        {
            return Err(FieldError::new("time_local", "a local time as HH:MM"));
        }
        let uncertainty_km = self
            .uncertainty_km
            .unwrap_or(self.geo_precision.default_uncertainty_km());
        if !(0.0..=500.0).contains(&uncertainty_km) {
            return Err(FieldError::new(
                "uncertainty_km",
                "a radius between 0 and 500 km",
            ));
        }
        let counts = [
            ("killed", Count::from(self.killed)),
            ("injured", Count::from(self.injured)),
            ("children_killed", Count::from(self.children_killed)),
            ("children_injured", Count::from(self.children_injured)),
        ];
        for (field, count) in counts {
            if !count.is_consistent() {
                return Err(FieldError::new(field, "low <= high"));
            }
        }
        if self.reported_by.is_empty() {
            return Err(FieldError::new(
                "reported_by",
                format!("at least one of: {}", Reporter::expected()),
            ));
        }
        if self.sources.is_empty() {
            return Err(FieldError::new("sources", "at least one source"));
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
                return Err(FieldError::new(field, expected));
            }
        }
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
            killed: counts[0].1,
            injured: counts[1].1,
            children_killed: counts[2].1,
            children_injured: counts[3].1,
            perpetrator: self.perpetrator_alleged,
            reported_by: self.reported_by.into_iter().collect(),
            verification: self.verification,
            verification_note: self.verification_note.map(Into::into),
            sources: self.sources.into(),
        })
    }
}
