//! The domain model: incidents, places, sources and their controlled vocabularies. No I/O.

pub mod count;
pub mod dataset;
pub mod incident;
pub mod place;
pub mod reference;
pub mod role;
pub mod source;
pub mod vocab;

pub use count::Count;
pub use dataset::{Dataset, Layer, LineOfContact, LineVersion, RawFeature};
pub use incident::{FieldError, Incident, IncidentRecord, PlaceIdx};
pub use place::{Naming, Place, PlaceName, PlaceRecord, Region};
pub use reference::{ReferenceObject, SideArea};
pub use role::Role;
pub use source::{Passage, SOURCE_ROLES, Source, is_web_address, source_field_expectation};
pub use vocab::{
    DatePrecision, GeoPrecision, IncidentType, Perpetrator, Reporter, ReporterSet, Side, Target,
    Verification, Weapon,
};
