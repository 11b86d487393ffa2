//! Controlled vocabularies. Every value is a lowercase snake_case code that appears as-is in the
//! data files, the API and the web map; `unknown` is always allowed where a fact is not known.

/// Declares a closed vocabulary: a `Copy` enum with its wire names, a parser and the list of
/// accepted values (used to tell a client what was expected).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( #[serde(rename = $text)] $variant ),+
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Parses a wire name; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
            /// The accepted values, comma-separated, for error messages and documentation.
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// What happened, as far as the sources say.
    IncidentType {
        Shelling => "shelling",
        MissileStrike => "missile_strike",
        DroneStrike => "drone_strike",
        AirStrike => "air_strike",
        Unknown => "unknown",
    }
}

vocabulary! {
    /// The weapon the sources name.
    Weapon {
        Artillery => "artillery",
        Mlrs => "mlrs",
        ClusterMunition => "cluster_munition",
        BallisticMissile => "ballistic_missile",
        LoiteringMunition => "loitering_munition",
        ArmedUav => "armed_uav",
        AircraftBomb => "aircraft_bomb",
        Incendiary => "incendiary",
        SmallArms => "small_arms",
        Unknown => "unknown",
    }
}

vocabulary! {
    /// What was hit. `settlement` means a town or village in general, with no object named.
    Target {
        Settlement => "settlement",
        Residential => "residential",
        Medical => "medical",
        School => "school",
        Market => "market",
        Infrastructure => "infrastructure",
        Vehicle => "vehicle",
        Religious => "religious",
        Cultural => "cultural",
        Unknown => "unknown",
    }
}

vocabulary! {
    /// The party a report holds responsible. Always an allegation, never our finding.
    Perpetrator {
        AzerbaijaniForces => "azerbaijani_forces",
        ArmenianForces => "armenian_forces",
        Unknown => "unknown",
    }
}

vocabulary! {
    /// Who reported an incident, by kind of reporter. The sources name the exact publisher.
    Reporter {
        ArmenianAuthorities => "armenian_authorities",
        NagornoKarabakhAuthorities => "nagorno_karabakh_authorities",
        AzerbaijaniAuthorities => "azerbaijani_authorities",
        InternationalNgo => "international_ngo",
        LocalNgo => "local_ngo",
        Media => "media",
        InternationalOrganisation => "international_organisation",
    }
}

vocabulary! {
    /// Verification grade, modelled on civilian-harm monitors' scales (see data/README.md).
    Verification {
        Confirmed => "confirmed",
        Fair => "fair",
        Weak => "weak",
        Contested => "contested",
        Discounted => "discounted",
    }
}

vocabulary! {
    /// How precisely a point places an incident or an object.
    GeoPrecision {
        Site => "site",
        Neighbourhood => "neighbourhood",
        Settlement => "settlement",
        District => "district",
    }
}

impl GeoPrecision {
    /// The uncertainty radius assumed when a record states none, in kilometres.
    pub fn default_uncertainty_km(self) -> f64 {
        match self {
            GeoPrecision::Site => 0.1,
            GeoPrecision::Neighbourhood => 1.0,
            GeoPrecision::Settlement => 3.0,
            GeoPrecision::District => 15.0,
        }
    }
}

vocabulary! {
    /// How precisely the date is known: one day, or a range of days.
    DatePrecision {
        Day => "day",
        Range => "range",
    }
}

vocabulary! {
    /// Which side of the line of contact (as of 26 September 2020) a point lies on.
    Side {
        ArmenianSide => "armenian_side",
        AzerbaijaniSide => "azerbaijani_side",
    }
}

/// A set of [`Reporter`]s in one machine word, so that an incident stays small.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReporterSet(u16);

impl ReporterSet {
    pub fn insert(&mut self, reporter: Reporter) {
        self.0 |= 1 << (reporter as u16);
    }
    pub fn contains(self, reporter: Reporter) -> bool {
        self.0 & (1 << (reporter as u16)) != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The set as bits (one per reporter), e.g. for a cache key.
    pub fn bits(self) -> u16 {
        self.0
    }
    pub fn iter(self) -> impl Iterator<Item = Reporter> {
        Reporter::ALL
            .iter()
            .copied()
            .filter(move |r| self.contains(*r))
    }
}

impl FromIterator<Reporter> for ReporterSet {
    fn from_iter<I: IntoIterator<Item = Reporter>>(iter: I) -> Self {
        let mut set = ReporterSet::default();
        for reporter in iter {
            set.insert(reporter);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for weapon in Weapon::ALL {
            assert_eq!(Weapon::parse(weapon.as_str()), Some(*weapon));
        }
        assert_eq!(Weapon::parse("Artillery"), None);
        assert!(Verification::expected().contains("contested"));
    }

    #[test]
    fn reporter_set_holds_each_member() {
        let set: ReporterSet = [Reporter::Media, Reporter::AzerbaijaniAuthorities]
            .into_iter()
            .collect();
        assert!(set.contains(Reporter::Media));
        assert!(!set.contains(Reporter::InternationalNgo));
        assert_eq!(set.iter().count(), 2);
    }
}
