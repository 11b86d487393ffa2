//! The incident properties a CQL2 `filter` may name, with their types: one table read by the
//! filter compiler (to check and evaluate a filter) and by the API (to publish `/queryables`),
//! so that what is advertised is exactly what is accepted.

use crate::index::Index;
use crate::model::{
    DatePrecision, GeoPrecision, IncidentType, Perpetrator, Reporter, Side, Target, Verification,
    Weapon,
};
use chrono::NaiveDate;

/// A property of an incident that a filter can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Geometry,
    Datetime,
    Id,
    Title,
    Description,
    PlaceId,
    Town,
    LocationSource,
    Date,
    DateEnd,
    DatePrecision,
    GeoPrecision,
    Type,
    Weapon,
    Target,
    Perpetrator,
    Verification,
    Side,
    ReportedBy,
    Killed,
    KilledHigh,
    Injured,
    InjuredHigh,
    ChildrenKilled,
    ChildrenKilledHigh,
    ChildrenInjured,
    ChildrenInjuredHigh,
    UncertaintyKm,
    DepthKm,
    DepthLowKm,
    DepthHighKm,
    NearestMilitaryKm,
    NearestProtectedKm,
    NearestPlaceKm,
}

/// What kind of value a queryable holds, which decides the operators it takes.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// The incident's point.
    Point,
    /// The days the incident may have happened on, `[date, date_end]`.
    Interval,
    Text,
    /// A place name in any spelling the gazetteer knows (`=` and `IN` only).
    PlaceName,
    /// One value of a closed vocabulary.
    Code(fn() -> Vec<&'static str>),
    /// A set of vocabulary values.
    Codes(fn() -> Vec<&'static str>),
    Integer,
    Number,
    Date,
}

/// One queryable: its name in filters (the property name in the GeoJSON), kind and meaning.
#[derive(Debug, Clone, Copy)]
pub struct Queryable {
    pub name: &'static str,
    pub field: Field,
    pub kind: Kind,
    pub description: &'static str,
}

macro_rules! codes {
    ($name:ident, $vocab:ty) => {
        fn $name() -> Vec<&'static str> {
            <$vocab>::ALL.iter().map(|v| v.as_str()).collect()
        }
    };
}
codes!(date_precisions, DatePrecision);
codes!(geo_precisions, GeoPrecision);
codes!(types, IncidentType);
codes!(weapons, Weapon);
codes!(targets, Target);
codes!(perpetrators, Perpetrator);
codes!(verifications, Verification);
codes!(sides, Side);
codes!(reporters, Reporter);

const fn q(name: &'static str, field: Field, kind: Kind, description: &'static str) -> Queryable {
    Queryable {
        name,
        field,
        kind,
        description,
    }
}

/// Every queryable of the incidents collection.
pub const QUERYABLES: &[Queryable] = &[
    q(
        "geometry",
        Field::Geometry,
        Kind::Point,
        "The incident's reported position (WGS84); see uncertainty_km.",
    ),
    q(
        "datetime",
        Field::Datetime,
        Kind::Interval,
        "The days the incident may have happened on, from date to date_end (whole days, UTC+4 local dates).",
    ),
    q("id", Field::Id, Kind::Text, "Incident identifier."),
    q(
        "title",
        Field::Title,
        Kind::Text,
        "Short title, in our words.",
    ),
    q(
        "description",
        Field::Description,
        Kind::Text,
        "What the sources report, attributed.",
    ),
    q(
        "place_id",
        Field::PlaceId,
        Kind::Text,
        "Gazetteer identifier of the place.",
    ),
    q(
        "town",
        Field::Town,
        Kind::PlaceName,
        "The place, in any spelling the gazetteer knows (Stepanakert, Khankendi, Xankəndi, ...); = and IN only.",
    ),
    q(
        "location_source",
        Field::LocationSource,
        Kind::Text,
        "Where the coordinates come from.",
    ),
    q(
        "date",
        Field::Date,
        Kind::Date,
        "First day the incident may have happened on.",
    ),
    q(
        "date_end",
        Field::DateEnd,
        Kind::Date,
        "Last day it may have happened on (equal to date for a known day).",
    ),
    q(
        "date_precision",
        Field::DatePrecision,
        Kind::Code(date_precisions),
        "How precisely the date is known.",
    ),
    q(
        "geo_precision",
        Field::GeoPrecision,
        Kind::Code(geo_precisions),
        "How precisely the position is known.",
    ),
    q(
        "type",
        Field::Type,
        Kind::Code(types),
        "What happened, as the sources say.",
    ),
    q(
        "weapon",
        Field::Weapon,
        Kind::Code(weapons),
        "The weapon the sources name.",
    ),
    q(
        "target",
        Field::Target,
        Kind::Code(targets),
        "What was hit.",
    ),
    q(
        "perpetrator_alleged",
        Field::Perpetrator,
        Kind::Code(perpetrators),
        "The party the sources allege was responsible (an allegation, not a finding).",
    ),
    q(
        "verification",
        Field::Verification,
        Kind::Code(verifications),
        "The grade of independent verification.",
    ),
    q(
        "side",
        Field::Side,
        Kind::Code(sides),
        "Which side of the line of contact the point lies on, on the incident's date.",
    ),
    q(
        "reported_by",
        Field::ReportedBy,
        Kind::Codes(reporters),
        "Who reported the incident (a set; use A_CONTAINS, A_OVERLAPS, A_EQUALS, A_CONTAINEDBY).",
    ),
    q(
        "killed",
        Field::Killed,
        Kind::Integer,
        "Reported killed (the lowest figure where sources differ); null when no figure was reported.",
    ),
    q(
        "killed_high",
        Field::KilledHigh,
        Kind::Integer,
        "Reported killed, highest figure.",
    ),
    q(
        "injured",
        Field::Injured,
        Kind::Integer,
        "Reported injured (lowest figure).",
    ),
    q(
        "injured_high",
        Field::InjuredHigh,
        Kind::Integer,
        "Reported injured, highest figure.",
    ),
    q(
        "children_killed",
        Field::ChildrenKilled,
        Kind::Integer,
        "Children reported killed (lowest figure).",
    ),
    q(
        "children_killed_high",
        Field::ChildrenKilledHigh,
        Kind::Integer,
        "Children reported killed, highest figure.",
    ),
    q(
        "children_injured",
        Field::ChildrenInjured,
        Kind::Integer,
        "Children reported injured (lowest figure).",
    ),
    q(
        "children_injured_high",
        Field::ChildrenInjuredHigh,
        Kind::Integer,
        "Children reported injured, highest figure.",
    ),
    q(
        "uncertainty_km",
        Field::UncertaintyKm,
        Kind::Number,
        "Radius within which the true position lies, km.",
    ),
    q(
        "depth_km",
        Field::DepthKm,
        Kind::Number,
        "Geodesic distance from the line of contact standing on the incident's date, km; null without a line.",
    ),
    q(
        "depth_low_km",
        Field::DepthLowKm,
        Kind::Number,
        "Smallest depth consistent with the position's and the line's uncertainty, km.",
    ),
    q(
        "depth_high_km",
        Field::DepthHighKm,
        Kind::Number,
        "Largest depth consistent with those uncertainties, km.",
    ),
    q(
        "nearest_military_km",
        Field::NearestMilitaryKm,
        Kind::Number,
        "Distance to the nearest military object a cited source locates, km (coverage is partial); null when none is known.",
    ),
    q(
        "nearest_protected_km",
        Field::NearestProtectedKm,
        Kind::Number,
        "Distance to the nearest protected object a cited source locates, km; null when none is known.",
    ),
    q(
        "nearest_place_km",
        Field::NearestPlaceKm,
        Kind::Number,
        "Distance to the nearest gazetteer place, km.",
    ),
];

/// The queryable called `name`.
pub fn find(name: &str) -> Option<&'static Queryable> {
    QUERYABLES.iter().find(|q| q.name == name)
}

/// A property value of one incident.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Number(Option<f64>),
    Text(Option<&'a str>),
    Date(NaiveDate),
}

/// The value of a scalar field (not geometry, datetime, town or reported_by) of incident `i`.
pub fn value(index: &Index, i: u32, field: Field) -> Value<'_> {
    let incident = &index.incidents[i as usize];
    let m = &index.measures[i as usize];
    let count = |c: Option<u32>| Value::Number(c.map(f64::from));
    let finite = |v: f64| Value::Number(Some(v).filter(|v| v.is_finite()));
    match field {
        Field::Id => Value::Text(Some(&incident.id)),
        Field::Title => Value::Text(Some(&incident.title)),
        Field::Description => Value::Text(Some(&incident.description)),
        Field::PlaceId => Value::Text(Some(&index.gazetteer.place(incident.place).id)),
        Field::LocationSource => Value::Text(Some(&incident.location_source)),
        Field::Date => Value::Date(incident.date),
        Field::DateEnd => Value::Date(incident.date_end),
        Field::DatePrecision => Value::Text(Some(incident.date_precision.as_str())),
        Field::GeoPrecision => Value::Text(Some(incident.geo_precision.as_str())),
        Field::Type => Value::Text(Some(incident.kind.as_str())),
        Field::Weapon => Value::Text(Some(incident.weapon.as_str())),
        Field::Target => Value::Text(Some(incident.target.as_str())),
        Field::Perpetrator => Value::Text(Some(incident.perpetrator.as_str())),
        Field::Verification => Value::Text(Some(incident.verification.as_str())),
        Field::Side => Value::Text(m.side.map(Side::as_str)),
        Field::Killed => count(incident.killed.low),
        Field::KilledHigh => count(incident.killed.high),
        Field::Injured => count(incident.injured.low),
        Field::InjuredHigh => count(incident.injured.high),
        Field::ChildrenKilled => count(incident.children_killed.low),
        Field::ChildrenKilledHigh => count(incident.children_killed.high),
        Field::ChildrenInjured => count(incident.children_injured.low),
        Field::ChildrenInjuredHigh => count(incident.children_injured.high),
        Field::UncertaintyKm => finite(incident.uncertainty_km()),
        Field::DepthKm => finite(m.depth_km),
        Field::DepthLowKm => finite(f64::from(m.depth_low_km)).filter_depth(m.depth_km),
        Field::DepthHighKm => finite(f64::from(m.depth_high_km)).filter_depth(m.depth_km),
        Field::NearestMilitaryKm => Value::Number(m.nearest_military.map(|(_, d)| f64::from(d))),
        Field::NearestProtectedKm => Value::Number(m.nearest_protected.map(|(_, d)| f64::from(d))),
        Field::NearestPlaceKm => Value::Number(m.nearest_place.map(|(_, d)| f64::from(d))),
        Field::Geometry | Field::Datetime | Field::Town | Field::ReportedBy => Value::Text(None),
    }
}

impl Value<'_> {
    /// Depth bounds mean nothing without a depth.
    fn filter_depth(self, depth: f64) -> Self {
        if depth.is_finite() {
            self
        } else {
            Value::Number(None)
        }
    }
}
