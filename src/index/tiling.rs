//! What a map tile reads of each incident, packed: its Web Mercator position as fixed-point
//! integers and the classes a map colours by. A tile over a million incidents then walks
//! 16 MB in incident order and shifts integers, instead of projecting coordinates and reading
//! the full records.

use crate::geodesy::mercator::WorldPoint;
use crate::model::Incident;

/// The classes a map can colour by, in [`MapPoint::classes`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapClass {
    Type = 0,
    Weapon = 1,
    Verification = 2,
}

/// Every colouring class, in order.
pub const MAP_CLASSES: [MapClass; 3] = [MapClass::Type, MapClass::Weapon, MapClass::Verification];

/// One incident's share of a map tile (16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapPoint {
    pub at: WorldPoint,
    /// Highest reported killed; [`MapPoint::UNREPORTED`] when no figure was given.
    pub killed_high: u32,
    /// Type, weapon and verification as their vocabulary positions.
    pub classes: [u8; 3],
}

impl MapPoint {
    pub const UNREPORTED: u32 = u32::MAX;

    pub fn new(incident: &Incident) -> MapPoint {
        MapPoint {
            at: WorldPoint::from_lon_lat(incident.lon, incident.lat),
            killed_high: incident.killed.highest().unwrap_or(MapPoint::UNREPORTED),
            classes: [
                incident.kind as u8,
                incident.weapon as u8,
                incident.verification as u8,
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MapPoint;

    #[test]
    fn stays_packed() {
        assert_eq!(std::mem::size_of::<MapPoint>(), 16);
    }
}
