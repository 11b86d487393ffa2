//! Names and spellings to places: the gazetteer resolves any spelling of a town (Armenian,
//! Azerbaijani, Russian, any Latin transliteration, with or without diacritics) to the same
//! place, suggests near spellings for unknown names, and finds the nearest place to a point.

use crate::geodesy::PointSet;
use crate::model::{Place, PlaceIdx};
use geo::Point;
use std::collections::HashMap;
use thiserror::Error;

/// Why a name did not resolve to places.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LookupError {
    #[error("no place is known as '{query}'")]
    Unknown {
        query: String,
        suggestions: Vec<String>,
    },
    #[error("'{query}' could mean several places")]
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
}

/// Case- and diacritic-insensitive form of a name; scripts other than Latin are kept, so that
/// `Степанакерт` matches itself exactly.
///
/// ```
/// assert_eq!(strikemap::gazetteer::fold("Xankəndi"), "xankendi");
/// assert_eq!(strikemap::gazetteer::fold("  ŞUŞA "), "susa");
/// ```
pub fn fold(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let lowered = name
        .trim()
        .to_lowercase()
        .replace(['ə', 'Ə'], "e")
        .replace('ı', "i");
    lowered
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A transliteration-insensitive key: the name transliterated to ASCII, then reduced so that
/// the usual alternatives collide (`kh`/`x`, `c`/`j`/`ch`, `q`/`g`, `y`/`i`, the Azerbaijani
/// schwa written `a` or `e`, doubled letters, hyphens and spaces).
///
/// ```
/// use strikemap::gazetteer::skeleton;
/// assert_eq!(skeleton("Khankendi"), skeleton("Xankəndi"));
/// assert_eq!(skeleton("Kalbajar"), skeleton("Kəlbəcər"));
/// assert_eq!(skeleton("Stepanakert"), skeleton("Ստեփանակերտ"));
/// ```
pub fn skeleton(name: &str) -> String {
    let ascii = deunicode::deunicode(&fold(name)).to_lowercase();
    let mut text: String = ascii
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    for (from, to) in [
        ("dzh", "j"),
        ("kh", "x"),
        ("gh", "g"),
        ("sh", "s"),
        ("ch", "j"),
        ("zh", "j"),
        ("dj", "j"),
        ("rh", "r"),
        ("c", "j"),
        ("q", "g"),
        ("y", "i"),
        ("w", "v"),
        ("a", "e"),
    ] {
        text = text.replace(from, to);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// The places, with lookup tables built once at load.
#[derive(Debug)]
pub struct Gazetteer {
    places: Vec<Place>,
    by_id: HashMap<String, PlaceIdx>,
    by_fold: HashMap<String, Vec<PlaceIdx>>,
    by_skeleton: HashMap<String, Vec<PlaceIdx>>,
    /// Every (folded name, place) pair, for suggestions and prefix search.
    folded_names: Vec<(String, PlaceIdx)>,
    points: PointSet,
}

impl Gazetteer {
    pub fn new(places: Vec<Place>) -> Self {
        let mut by_id = HashMap::new();
        let mut by_fold: HashMap<String, Vec<PlaceIdx>> = HashMap::new();
        let mut by_skeleton: HashMap<String, Vec<PlaceIdx>> = HashMap::new();
        let mut folded_names = Vec::new();
        for (index, place) in places.iter().enumerate() {
            let index = index as PlaceIdx;
            by_id.insert(place.id.clone(), index);
            let spellings = place
                .names
                .iter()
                .map(|n| n.name.as_str())
                .chain([place.id.as_str(), place.name_hy.as_str()])
                .chain(place.name_az.as_deref());
            for spelling in spellings {
                let folded = fold(spelling);
                push_unique(by_fold.entry(folded.clone()).or_default(), index);
                push_unique(by_skeleton.entry(skeleton(spelling)).or_default(), index);
                if !folded_names.contains(&(folded.clone(), index)) {
                    folded_names.push((folded, index));
                }
            }
        }
        let points = PointSet::new(
            places
                .iter()
                .enumerate()
                .map(|(i, p)| (Point::new(p.lon, p.lat), i as PlaceIdx)),
        );
        Gazetteer {
            places,
            by_id,
            by_fold,
            by_skeleton,
            folded_names,
            points,
        }
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    pub fn places(&self) -> &[Place] {
        &self.places
    }

    pub fn place(&self, index: PlaceIdx) -> &Place {
        &self.places[index as usize]
    }

    /// Every place's id and index.
    pub fn ids(&self) -> impl Iterator<Item = (&str, PlaceIdx)> {
        self.by_id.iter().map(|(id, i)| (id.as_str(), *i))
    }

    pub fn by_id(&self, id: &str) -> Option<PlaceIdx> {
        self.by_id.get(id).copied()
    }

    /// Resolves a spelling to the places it names: an exact (folded) spelling first, then a
    /// transliteration-insensitive match, which must be unambiguous.
    pub fn resolve(&self, query: &str) -> Result<Vec<PlaceIdx>, LookupError> {
        if let Some(found) = self.by_fold.get(&fold(query)) {
            return Ok(found.clone());
        }
        match self.by_skeleton.get(&skeleton(query)) {
            Some(found) if found.len() == 1 => Ok(found.clone()),
            Some(found) => Err(LookupError::Ambiguous {
                query: query.to_string(),
                candidates: found.iter().map(|i| self.place(*i).name.clone()).collect(),
            }),
            None => Err(LookupError::Unknown {
                query: query.to_string(),
                suggestions: self.suggest(query, 3),
            }),
        }
    }

    /// Up to `limit` place names whose spellings are closest to `query`.
    pub fn suggest(&self, query: &str, limit: usize) -> Vec<String> {
        let folded = fold(query);
        let mut scored: Vec<(f64, PlaceIdx)> = self
            .folded_names
            .iter()
            .map(|(name, index)| (strsim::normalized_levenshtein(&folded, name), *index))
            .filter(|(score, _)| *score >= 0.5)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut out: Vec<String> = Vec::new();
        for (_, index) in scored {
            let name = &self.place(index).name;
            if !out.contains(name) {
                out.push(name.clone());
            }
            if out.len() == limit {
                break;
            }
        }
        out
    }

    /// Places with a spelling that starts with (or, failing that, contains) `query`, for
    /// autocomplete; at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<PlaceIdx> {
        let folded = fold(query);
        let mut out = Vec::new();
        for prefix_only in [true, false] {
            for (name, index) in &self.folded_names {
                let hit = if prefix_only {
                    name.starts_with(&folded)
                } else {
                    name.contains(&folded)
                };
                if hit && !out.contains(index) {
                    out.push(*index);
                }
            }
        }
        out.truncate(limit);
        out
    }

    /// The nearest place to `p` and the geodesic distance to it in metres.
    pub fn nearest(&self, p: Point) -> Option<(PlaceIdx, f64)> {
        self.points.nearest(p)
    }
}

fn push_unique(list: &mut Vec<PlaceIdx>, index: PlaceIdx) {
    if !list.contains(&index) {
        list.push(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GeoPrecision, PlaceName};

    fn place(id: &str, lon: f64, lat: f64, names: &[&str]) -> Place {
        Place {
            id: id.into(),
            name: names[0].into(),
            name_hy: names[0].into(),
            name_az: None,
            names: names
                .iter()
                .map(|n| PlaceName {
                    name: n.to_string(),
                    lang: "en".into(),
                })
                .collect(),
            lon,
            lat,
            geo_precision: GeoPrecision::Settlement,
            uncertainty_km: 1.0,
            region: Default::default(),
        }
    }

    fn gazetteer() -> Gazetteer {
        Gazetteer::new(vec![
            place(
                "stepanakert",
                46.75,
                39.82,
                &["Stepanakert", "Xankəndi", "Степанакерт"],
            ),
            place("shushi", 46.75, 39.76, &["Shushi", "Şuşa"]),
        ])
    }

    #[test]
    fn any_spelling_resolves() {
        let g = gazetteer();
        for spelling in [
            "khankendi",
            "Xankəndi",
            "STEPANAKERT",
            "Xankendi",
            "Khankandi",
            "степанакерт",
        ] {
            assert_eq!(g.resolve(spelling), Ok(vec![0]), "{spelling}");
        }
        assert_eq!(g.resolve("Shusha"), Ok(vec![1]));
    }

    #[test]
    fn unknown_names_get_suggestions() {
        match gazetteer().resolve("Stepanakrt") {
            Err(LookupError::Unknown { suggestions, .. }) => {
                assert_eq!(suggestions[0], "Stepanakert")
            }
            other => panic!("expected Unknown, got {other:?}"),
        }
    }

    #[test]
    fn nearest_place_is_geodesic() {
        let (index, metres) = gazetteer()
            .nearest(Point::new(46.75, 39.70))
            .expect("places");
        assert_eq!(index, 1);
        let expected =
            crate::geodesy::distance_m(Point::new(46.75, 39.70), Point::new(46.75, 39.76));
        assert!((metres - expected).abs() < 1e-6);
    }
}
