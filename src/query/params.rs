//! Parsing request parameters into typed queries, with an error naming the parameter and what
//! it expects for anything that does not fit.

use super::{
    Bbox, DEFAULT_LIMIT, DateInterval, Filter, FilterLang, Format, IncidentQuery, LayerQuery,
    MAX_LIMIT, MAX_OFFSET, MAX_RADIUS_KM, MAX_SORT_KEYS, MAX_TEXT_LEN, QueryError, SortKey,
};
use crate::gazetteer::{Gazetteer, LookupError};
use crate::model::{
    IncidentType, Naming, Perpetrator, Reporter, Side, Target, Verification, Weapon,
};
use chrono::NaiveDate;

/// Parameters every endpoint accepts: `f` selects the encoding, JSON unless the endpoint
/// offers another.
const ALWAYS_ALLOWED: &[&str] = &["f"];
/// The names `f` takes for JSON (GeoJSON for features).
const JSON_FORMATS: &[&str] = &[
    "json",
    "geojson",
    "application/json",
    "application/geo+json",
];

/// The incident endpoint's parameters.
pub const INCIDENT_PARAMS: &[&str] = &[
    "bbox",
    "datetime",
    "limit",
    "offset",
    "town",
    "q",
    "type",
    "weapon",
    "target",
    "perpetrator",
    "reported_by",
    "verification",
    "min_killed",
    "depth_min_km",
    "depth_max_km",
    "side",
    "near",
    "within_km",
    "military_clear_km",
    "protected_within_km",
    "sortby",
    "naming",
    "filter",
    "filter-lang",
    "filter-crs",
];

/// Request parameters by name. A name given twice is refused up front.
#[derive(Debug, Default)]
pub struct Params {
    /// Ascending by name. A query names a handful, each looked up by a scan that compares
    /// lengths first: two dozen lookups a request cost less than in a map, whose every step
    /// compares bytes. A request naming more is refused at its first unknown name.
    values: Vec<(String, String)>,
}

impl Params {
    /// Builds from decoded `(name, value)` pairs.
    pub fn new(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut values = pairs;
        values.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(pair) = values.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            let parameter = pair[0].0.clone();
            return Err(QueryError::Repeated { parameter });
        }
        Ok(Params { values })
    }

    /// Refuses any parameter not in `allowed`, and an `f` other than JSON.
    fn check_known(&self, allowed: &[&str]) -> Result<(), QueryError> {
        self.check_known_formats(allowed, false)
    }

    /// Refuses any parameter not in `allowed`, and an `f` other than JSON (or CSV, where
    /// `csv` says the endpoint offers it).
    fn check_known_formats(&self, allowed: &[&str], csv: bool) -> Result<(), QueryError> {
        if let Some(f) = self.get("f") {
            let known = JSON_FORMATS.contains(&f) || (csv && matches!(f, "csv" | "text/csv"));
            if !known {
                let expected = if csv {
                    "json (GeoJSON) or csv"
                } else {
                    "json (the only encoding this endpoint offers)"
                };
                return Err(invalid("f", expected, f));
            }
        }
        for (name, _) in &self.values {
            if !allowed.contains(&name.as_str()) && !ALWAYS_ALLOWED.contains(&name.as_str()) {
                return Err(QueryError::UnknownParameter {
                    parameter: name.clone(),
                    allowed: allowed.join(", "),
                });
            }
        }
        Ok(())
    }

    /// Whether the request names `name`, with a value or an empty one.
    pub fn names(&self, name: &str) -> bool {
        self.values.iter().any(|(key, _)| key == name)
    }

    /// A parameter's value; an empty value counts as absent.
    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn invalid(parameter: &str, expected: impl Into<String>, got: &str) -> QueryError {
    let got: String = got.chars().take(100).collect();
    QueryError::InvalidValue {
        parameter: parameter.to_string(),
        expected: expected.into(),
        got,
    }
}

fn number(params: &Params, name: &str, min: f64, max: f64) -> Result<Option<f64>, QueryError> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && (min..=max).contains(&value) => Ok(Some(value)),
        _ => Err(invalid(name, format!("a number from {min} to {max}"), text)),
    }
}

fn whole(params: &Params, name: &str, max: usize) -> Result<Option<usize>, QueryError> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|v| *v <= max)
        .map(Some)
        .ok_or_else(|| invalid(name, format!("a whole number from 0 to {max}"), text))
}

fn text(params: &Params, name: &str) -> Result<Option<String>, QueryError> {
    let Some(value) = params.get(name) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_TEXT_LEN {
        return Err(invalid(
            name,
            format!("at most {MAX_TEXT_LEN} characters"),
            value,
        ));
    }
    Ok(Some(value.to_string()))
}

/// A comma-separated list of vocabulary values. The accepted values are spelled out only for
/// an error message (every query reads seven such lists, most of them absent).
fn list<T>(
    params: &Params,
    name: &str,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> Result<Vec<T>, QueryError> {
    let Some(value) = params.get(name) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(|item| {
            parse(item.trim())
                .ok_or_else(|| invalid(name, format!("one or more of: {}", expected()), item))
        })
        .collect()
}

/// `limit` (clamped to the maximum) and `offset`.
fn page(params: &Params) -> Result<(usize, usize), QueryError> {
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= 1 => (n as usize).min(MAX_LIMIT),
            _ => {
                return Err(invalid(
                    "limit",
                    format!("a whole number of at least 1 (at most {MAX_LIMIT} are returned)"),
                    text,
                ));
            }
        },
    };
    let offset = whole(params, "offset", MAX_OFFSET)?.unwrap_or(0);
    Ok((limit, offset))
}

/// `bbox=west,south,east,north` (a 6-number box with heights is accepted, heights ignored).
pub fn parse_bbox(text: &str) -> Result<Bbox, QueryError> {
    const EXPECTED: &str = "4 comma-separated numbers west,south,east,north in degrees (longitudes -180..180, latitudes -90..90, south <= north)";
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| invalid("bbox", EXPECTED, text))?;
    let (west, south, east, north) = match numbers.as_slice() {
        [w, s, e, n] => (*w, *s, *e, *n),
        [w, s, _, e, n, _] => (*w, *s, *e, *n),
        _ => return Err(invalid("bbox", EXPECTED, text)),
    };
    let lon_ok = |v: f64| (-180.0..=180.0).contains(&v);
    let lat_ok = |v: f64| (-90.0..=90.0).contains(&v);
    if !(lon_ok(west) && lon_ok(east) && lat_ok(south) && lat_ok(north)) || south > north {
        return Err(invalid("bbox", EXPECTED, text));
    }
    Ok(Bbox {
        west,
        south,
        east,
        north,
    })
}

/// A day from the forms clients send: `2020-10-04`, GDAL's and QGIS's `2020-10-04T` and
/// `2020-10-04T00:00:00`, and RFC 3339 date-times (`2020-10-04T23:00:00Z`, taken in UTC).
fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let bare = text.strip_suffix(['T', 't']).unwrap_or(text);
    NaiveDate::parse_from_str(bare, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc).date_naive())
        })
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
            ]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
            .map(|t| t.date())
        })
}

/// `datetime`: an instant, or an interval `start/end` where either end may be `..` or empty.
pub fn parse_datetime(text: &str) -> Result<DateInterval, QueryError> {
    const EXPECTED: &str = "a date (2020-10-04), an RFC 3339 date-time, or an interval start/end with '..' for an open end (2020-10-01/2020-10-31, 2020-10-01/..)";
    let end_of = |part: &str| -> Result<Option<NaiveDate>, QueryError> {
        match part.trim() {
            "" | ".." => Ok(None),
            day => parse_day(day)
                .map(Some)
                .ok_or_else(|| invalid("datetime", EXPECTED, text)),
        }
    };
    let interval = match text.split_once('/') {
        None => {
            let day = parse_day(text).ok_or_else(|| invalid("datetime", EXPECTED, text))?;
            DateInterval {
                start: Some(day),
                end: Some(day),
            }
        }
        Some((start, end)) => DateInterval {
            start: end_of(start)?,
            end: end_of(end)?,
        },
    };
    if let (Some(start), Some(end)) = (interval.start, interval.end)
        && start > end
    {
        return Err(invalid(
            "datetime",
            "an interval whose start is not after its end",
            text,
        ));
    }
    Ok(interval)
}

/// `lon,lat` in degrees.
fn parse_point(parameter: &str, text: &str) -> Result<(f64, f64), QueryError> {
    let expected = "lon,lat in degrees (longitude -180..180, latitude -90..90)";
    let parts: Vec<&str> = text.split(',').collect();
    let [lon, lat] = parts.as_slice() else {
        return Err(invalid(parameter, expected, text));
    };
    match (lon.trim().parse::<f64>(), lat.trim().parse::<f64>()) {
        (Ok(lon), Ok(lat)) if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) => {
            Ok((lon, lat))
        }
        _ => Err(invalid(parameter, expected, text)),
    }
}

/// `sortby`: up to [`MAX_SORT_KEYS`] comma-separated keys, most significant first.
fn parse_sort(text: &str, has_near: bool) -> Result<Vec<(SortKey, bool)>, QueryError> {
    let expected = format!(
        "up to {MAX_SORT_KEYS} comma-separated keys among date, depth_km, killed and distance (with near), each optionally prefixed with - for descending or + for ascending"
    );
    let keys: Vec<&str> = text.split(',').map(str::trim).collect();
    if keys.len() > MAX_SORT_KEYS {
        return Err(invalid("sortby", expected, text));
    }
    keys.into_iter()
        .map(|item| {
            let (descending, key) = match item.as_bytes().first() {
                Some(b'-') => (true, &item[1..]),
                Some(b'+') => (false, &item[1..]),
                _ => (false, item),
            };
            let key = match key {
                "date" => SortKey::Date,
                "depth" | "depth_km" => SortKey::Depth,
                "killed" => SortKey::Killed,
                "distance" if has_near => SortKey::Distance,
                _ => return Err(invalid("sortby", expected.clone(), text)),
            };
            Ok((key, descending))
        })
        .collect()
}

/// `filter`, `filter-lang` (cql2-text, the default, or cql2-json) and `filter-crs` (CRS84
/// only).
fn parse_filter_params(
    params: &Params,
    gazetteer: &Gazetteer,
) -> Result<Option<Filter>, QueryError> {
    const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    if let Some(crs) = params.get("filter-crs")
        && crs != CRS84
    {
        return Err(invalid("filter-crs", CRS84, crs));
    }
    let lang = match params.get("filter-lang") {
        None => FilterLang::Text,
        Some(text) => FilterLang::parse(text)
            .ok_or_else(|| invalid("filter-lang", "cql2-text or cql2-json", text))?,
    };
    params
        .get("filter")
        .map(|text| super::filter::parse_filter(text, lang, gazetteer))
        .transpose()
}

/// Resolves `town` through the gazetteer.
pub(super) fn resolve_town(gazetteer: &Gazetteer, town: &str) -> Result<Vec<u32>, QueryError> {
    gazetteer.resolve(town).map_err(|error| match error {
        LookupError::Unknown { query, suggestions } => {
            QueryError::UnknownTown { query, suggestions }
        }
        LookupError::Ambiguous { query, candidates } => {
            QueryError::AmbiguousTown { query, candidates }
        }
    })
}

/// Parses the incident endpoint's parameters (also used by `/api/stats`, which accepts and
/// ignores the paging ones).
pub fn parse_incident_query(
    params: &Params,
    gazetteer: &Gazetteer,
) -> Result<IncidentQuery, QueryError> {
    params.check_known_formats(INCIDENT_PARAMS, true)?;
    let (limit, offset) = page(params)?;
    let near = match params.get("near") {
        Some(text) => {
            let (lon, lat) = parse_point("near", text)?;
            let radius = number(params, "within_km", 0.0, MAX_RADIUS_KM)?.unwrap_or(10.0);
            Some((lon, lat, radius))
        }
        None if params.get("within_km").is_some() => {
            return Err(invalid(
                "within_km",
                "to be used together with near=lon,lat",
                params.get("within_km").unwrap_or(""),
            ));
        }
        None => None,
    };
    let query = IncidentQuery {
        bbox: params.get("bbox").map(parse_bbox).transpose()?,
        datetime: params.get("datetime").map(parse_datetime).transpose()?,
        limit,
        offset,
        places: text(params, "town")?
            .map(|t| resolve_town(gazetteer, &t))
            .transpose()?,
        text: text(params, "q")?.map(|t| crate::gazetteer::fold(&t)),
        types: list(params, "type", IncidentType::parse, IncidentType::expected)?,
        weapons: list(params, "weapon", Weapon::parse, Weapon::expected)?,
        targets: list(params, "target", Target::parse, Target::expected)?,
        perpetrators: list(
            params,
            "perpetrator",
            Perpetrator::parse,
            Perpetrator::expected,
        )?,
        reporters: list(params, "reported_by", Reporter::parse, Reporter::expected)?,
        verifications: list(
            params,
            "verification",
            Verification::parse,
            Verification::expected,
        )?,
        sides: list(params, "side", Side::parse, Side::expected)?,
        min_killed: whole(params, "min_killed", 1_000_000)?.map(|n| n as u32),
        depth_min_km: number(params, "depth_min_km", 0.0, 20_000.0)?,
        depth_max_km: number(params, "depth_max_km", 0.0, 20_000.0)?,
        near,
        military_clear_km: number(params, "military_clear_km", 0.0, MAX_RADIUS_KM)?,
        protected_within_km: number(params, "protected_within_km", 0.0, MAX_RADIUS_KM)?,
        sort: params
            .get("sortby")
            .map(|s| parse_sort(s, near.is_some()))
            .transpose()?
            .unwrap_or_default(),
        filter: parse_filter_params(params, gazetteer)?,
        format: params.get("f").map(|f| {
            if matches!(f, "csv" | "text/csv") {
                Format::Csv
            } else {
                Format::Json
            }
        }),
        naming: parse_naming(params)?,
    };
    if let (Some(min), Some(max)) = (query.depth_min_km, query.depth_max_km)
        && min > max
    {
        return Err(invalid(
            "depth_max_km",
            "a number not below depth_min_km",
            params.get("depth_max_km").unwrap_or(""),
        ));
    }
    Ok(query)
}

/// Incident parameters that mean nothing for a map tile (a tile holds every match in it, in
/// no order, and carries no names).
const NOT_FOR_TILES: &[&str] = &["limit", "offset", "sortby", "naming"];

/// Parses a tile request's parameters: every incident filter, and `f` only as `mvt`.
pub fn parse_tile_query(
    params: &Params,
    gazetteer: &Gazetteer,
) -> Result<IncidentQuery, QueryError> {
    let allowed: Vec<&str> = INCIDENT_PARAMS
        .iter()
        .copied()
        .filter(|p| !NOT_FOR_TILES.contains(p))
        .collect();
    for (name, _) in &params.values {
        if !allowed.contains(&name.as_str()) && name != "f" {
            return Err(QueryError::UnknownParameter {
                parameter: name.clone(),
                allowed: allowed.join(", "),
            });
        }
    }
    if let Some(f) = params.get("f")
        && !matches!(f, "mvt" | "application/vnd.mapbox-vector-tile")
    {
        return Err(invalid(
            "f",
            "mvt (the only encoding tiles are offered in)",
            f,
        ));
    }
    let filters = Params {
        values: params
            .values
            .iter()
            .filter(|(k, _)| k.as_str() != "f")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    parse_incident_query(&filters, gazetteer)
}

/// The `naming` display choice for places in the disputed area (default `hy-az`).
pub fn parse_naming(params: &Params) -> Result<Naming, QueryError> {
    match params.get("naming") {
        None => Ok(Naming::default()),
        Some(text) => Naming::parse(text).ok_or_else(|| invalid("naming", Naming::EXPECTED, text)),
    }
}

/// For one feature: only `naming` is accepted.
pub fn parse_item_params(params: &Params) -> Result<Naming, QueryError> {
    params.check_known(&["naming"])?;
    parse_naming(params)
}

/// Parses a reference collection's parameters; `q` (name search) only where `with_text`.
pub fn parse_layer_query(params: &Params, with_text: bool) -> Result<LayerQuery, QueryError> {
    let allowed: &[&str] = if with_text {
        &["bbox", "limit", "offset", "q"]
    } else {
        &["bbox", "limit", "offset"]
    };
    params.check_known(allowed)?;
    let (limit, offset) = page(params)?;
    Ok(LayerQuery {
        bbox: params.get("bbox").map(parse_bbox).transpose()?,
        limit,
        offset,
        text: text(params, "q")?,
    })
}

/// For endpoints that take no parameters (a single feature): refuses any but `f`.
pub fn expect_no_params(params: &Params) -> Result<(), QueryError> {
    params.check_known(&[])
}

/// Most vertices a measured path may have.
pub const MAX_PATH_POINTS: usize = 200;

/// `points=lon,lat;lon,lat;...` for `/api/measure/path`: 2 to [`MAX_PATH_POINTS`] vertices.
pub fn parse_path(params: &Params) -> Result<Vec<(f64, f64)>, QueryError> {
    params.check_known(&["points"])?;
    let text = params.get("points").unwrap_or("");
    let expected = format!("2 to {MAX_PATH_POINTS} points as lon,lat;lon,lat;... in degrees");
    let points: Vec<(f64, f64)> = text
        .split(';')
        .map(|p| parse_point("points", p).map_err(|_| invalid("points", expected.clone(), text)))
        .collect::<Result<_, _>>()?;
    if !(2..=MAX_PATH_POINTS).contains(&points.len()) {
        return Err(invalid("points", expected, text));
    }
    Ok(points)
}

/// `lon`, `lat` and the optional `date` (which line of contact to measure from) for
/// `/api/measure`.
pub fn parse_measure_point(params: &Params) -> Result<(f64, f64, Option<NaiveDate>), QueryError> {
    params.check_known(&["lon", "lat", "date", "naming"])?;
    let date = match params.get("date") {
        Some(text) => {
            Some(parse_day(text).ok_or_else(|| invalid("date", "a date as YYYY-MM-DD", text))?)
        }
        None => None,
    };
    let lon = number(params, "lon", -180.0, 180.0)?;
    let lat = number(params, "lat", -90.0, 90.0)?;
    match (lon, lat) {
        (Some(lon), Some(lat)) => Ok((lon, lat, date)),
        (None, _) => Err(invalid(
            "lon",
            "a longitude in degrees from -180 to 180",
            "",
        )),
        (_, None) => Err(invalid("lat", "a latitude in degrees from -90 to 90", "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_shapes() {
        assert!(parse_bbox("46,39,47,40").is_ok());
        assert!(parse_bbox("46,39,0,47,40,100").is_ok());
        assert!(parse_bbox("46,39,47").is_err());
        assert!(parse_bbox("46,91,47,92").is_err());
        assert!(parse_bbox("46,40,47,39").is_err());
    }

    #[test]
    fn datetime_shapes() {
        let day = NaiveDate::from_ymd_opt(2020, 10, 4);
        assert_eq!(
            parse_datetime("2020-10-04"),
            Ok(DateInterval {
                start: day,
                end: day
            })
        );
        assert_eq!(
            parse_datetime("../2020-10-04"),
            Ok(DateInterval {
                start: None,
                end: day
            })
        );
        assert_eq!(
            parse_datetime("2020-10-04T23:00:00Z").map(|i| i.start),
            Ok(day)
        );
        // The forms GDAL and QGIS send.
        for form in [
            "2020-10-01T/2020-10-04T",
            "2020-10-01T00:00:00/2020-10-04T23:59:59",
            "2020-10-01T00:00:00.000Z/2020-10-04T23:59:59Z",
            "2020-10-01T00:00/2020-10-04T12:00",
        ] {
            assert_eq!(
                parse_datetime(form),
                Ok(DateInterval {
                    start: NaiveDate::from_ymd_opt(2020, 10, 1),
                    end: day
                }),
                "{form}"
            );
        }
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_datetime("2020-10-04X").is_err());
        assert!(parse_datetime("2020-10-05/2020-10-04").is_err());
    }

    #[test]
    fn repeated_and_unknown_parameters() {
        let repeated = Params::new(vec![
            ("limit".into(), "1".into()),
            ("bbox".into(), "1,2,3,4".into()),
            ("limit".into(), "2".into()),
        ]);
        assert!(
            matches!(&repeated, Err(QueryError::Repeated { parameter }) if parameter == "limit"),
            "{repeated:?}"
        );
        // A name is found whole, wherever it lies among the others; an empty value is absent.
        let params = Params::new(vec![
            ("within_km".into(), "5".into()),
            ("near".into(), "46.75,39.82".into()),
            ("limi".into(), "7".into()),
            ("q".into(), String::new()),
        ])
        .expect("distinct parameters");
        assert_eq!(params.get("near"), Some("46.75,39.82"));
        assert_eq!(params.get("within_km"), Some("5"));
        assert_eq!(params.get("limit"), None);
        assert_eq!(params.get("within"), None);
        assert_eq!(params.get("q"), None);
        let params = Params::new(vec![("colour".into(), "red".into())]).expect("one parameter");
        assert!(matches!(
            parse_layer_query(&params, false),
            Err(QueryError::UnknownParameter { .. })
        ));
    }

    #[test]
    fn limit_is_clamped_and_checked() {
        let params =
            |v: &str| Params::new(vec![("limit".into(), v.into())]).expect("one parameter");
        assert_eq!(
            parse_layer_query(&params("999999"), false).map(|q| q.limit),
            Ok(MAX_LIMIT)
        );
        assert!(parse_layer_query(&params("-1"), false).is_err());
        assert!(parse_layer_query(&params("0"), false).is_err());
    }
}
