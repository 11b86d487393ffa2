//! What aggregates read of each incident, packed: the casualty figures already reduced to the
//! numbers `/api/stats` adds up, and the keys it groups by. Summing a million incidents then
//! reads 28 MB and adds without a branch, rather than walking the full records.

use crate::model::{Count, Incident, PlaceIdx};

/// Width of the depth bands tallied, km.
pub const TALLY_BAND_KM: f64 = 10.0;

/// One incident's share of the aggregates (28 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Lowest and highest reported killed, 0 when no figure was reported.
    pub killed_low: u32,
    pub killed_high: u32,
    pub injured_low: u32,
    pub injured_high: u32,
    pub place: PlaceIdx,
    /// Days after the first incident's first day; [`Tally::RANGED`] for an incident known
    /// only to a range of days.
    pub day: u32,
    /// Depth band (of [`TALLY_BAND_KM`]); [`Tally::NO_DEPTH`] without a depth.
    pub band: u16,
    pub weapon: u8,
    /// [`Tally::KILLED_UNREPORTED`] and [`Tally::INJURED_UNREPORTED`].
    pub flags: u8,
}

impl Tally {
    pub const RANGED: u32 = u32::MAX;
    pub const NO_DEPTH: u16 = u16::MAX;
    /// No killed figure was reported (which is not zero killed).
    pub const KILLED_UNREPORTED: u8 = 1;
    pub const INJURED_UNREPORTED: u8 = 2;

    /// The tally of `incident`, at `depth_km` from the line, days counted from `first_day`.
    pub fn new(incident: &Incident, depth_km: f64, first_day: chrono::NaiveDate) -> Tally {
        let figures = |count: Count| {
            (
                count.low.unwrap_or(0),
                count.highest().unwrap_or(0),
                count.low.is_none() && count.highest().is_none(),
            )
        };
        let (killed_low, killed_high, killed_unreported) = figures(incident.killed);
        let (injured_low, injured_high, injured_unreported) = figures(incident.injured);
        Tally {
            killed_low,
            killed_high,
            injured_low,
            injured_high,
            place: incident.place,
            // Incidents are in date order, so the difference is never negative, and any two
            // representable days are fewer than u32::MAX days apart.
            day: if incident.date == incident.date_end {
                (incident.date - first_day).num_days() as u32
            } else {
                Tally::RANGED
            },
            // Depths are at most half the Earth's circumference: under 2,100 bands.
            band: if depth_km.is_finite() {
                (depth_km / TALLY_BAND_KM).floor() as u16
            } else {
                Tally::NO_DEPTH
            },
            weapon: incident.weapon as u8,
            flags: u8::from(killed_unreported) * Tally::KILLED_UNREPORTED
                + u8::from(injured_unreported) * Tally::INJURED_UNREPORTED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn stays_packed() {
        assert_eq!(std::mem::size_of::<Tally>(), 28);
    }
}
