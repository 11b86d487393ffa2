//! CQL2 `filter` (OGC API – Features Part 3), in cql2-text or cql2-json. The `cql2` crate
//! parses; this module checks the expression against the [queryables](super::queryables) once,
//! before any data is touched (so a misspelt property or an unknown vocabulary value is a 400
//! naming it), and compiles it into a [`Filter`] that the query engine evaluates beside the
//! named parameters. Comparisons follow SQL's three-valued logic: a comparison with a missing
//! value (no reported death toll, no depth) is unknown, and only a filter that is true matches.

use super::queryables::{self, Field, Kind, Value};
use super::{Bbox, QueryError};
use crate::gazetteer::Gazetteer;
use crate::index::Index;
use crate::model::{Reporter, ReporterSet};
use chrono::NaiveDate;
use cql2::Expr;
use geo::{Contains, Intersects, Point};

/// Longest filter accepted, in characters.
pub const MAX_FILTER_LEN: usize = 4096;
/// Most nodes a filter may have (operators, properties and literals).
pub const MAX_FILTER_NODES: usize = 500;
/// Deepest a filter may nest: brackets within brackets, and negations and signs in a row.
/// The third-party parser descends once per level on the thread's stack, and a filter of
/// 1,300 nested parentheses (well within [`MAX_FILTER_LEN`]) overflowed a 2 MB stack,
/// which aborts the whole server: the depth is measured before the parser sees the text.
pub const MAX_FILTER_DEPTH: usize = 64;

/// How deep `text` nests, read as `lang` without parsing it: the most brackets (round, square
/// or curly) open at once outside quoted strings, or the most negations (`NOT`) and signs
/// in a row, whichever is deeper. Unbalanced text is left for the parser to refuse.
fn nesting(text: &str, lang: FilterLang) -> usize {
    let quote = match lang {
        FilterLang::Text => b'\'',
        FilterLang::Json => b'"',
    };
    let (mut depth, mut deepest, mut in_row) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    let mut escaped = false;
    let bytes = text.as_bytes();
    let mut k = 0;
    while k < bytes.len() {
        let b = bytes[k];
        k += 1;
        if quoted {
            // JSON escapes with a backslash; CQL2 text doubles the quote, which reads here
            // as the string closing and opening again.
            if escaped {
                escaped = false;
            } else if b == b'\\' && lang == FilterLang::Json {
                escaped = true;
            } else if b == quote {
                quoted = false;
            }
            continue;
        }
        match b {
            _ if b == quote => quoted = true,
            b'(' | b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'+' => {
                in_row += 1;
                deepest = deepest.max(in_row);
                continue;
            }
            b'n' | b'N'
                if bytes[k - 1..].len() >= 3
                    && (k < 2 || !bytes[k - 2].is_ascii_alphanumeric())
                    && bytes[k - 1..k + 2].eq_ignore_ascii_case(b"not")
                    && bytes.get(k + 2).is_none_or(|c| !c.is_ascii_alphanumeric()) =>
            {
                k += 2;
                in_row += 1;
                deepest = deepest.max(in_row);
                continue;
            }
            _ if b.is_ascii_whitespace() => continue,
            _ => {}
        }
        in_row = 0;
    }
    deepest
}

/// The encodings accepted in `filter-lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterLang {
    Text,
    Json,
}

impl FilterLang {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "cql2-text" => Some(FilterLang::Text),
            "cql2-json" => Some(FilterLang::Json),
            _ => None,
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn parse(op: &str) -> Option<Cmp> {
        Some(match op {
            "=" => Cmp::Eq,
            "<>" => Cmp::Ne,
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            ">" => Cmp::Gt,
            ">=" => Cmp::Ge,
            _ => return None,
        })
    }

    /// The same comparison with its operands swapped (`5 < killed` is `killed > 5`).
    fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }

    fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Cmp::Eq => ordering == Equal,
            Cmp::Ne => ordering != Equal,
            Cmp::Lt => ordering == Less,
            Cmp::Le => ordering != Greater,
            Cmp::Gt => ordering == Greater,
            Cmp::Ge => ordering != Less,
        }
    }
}

/// A literal of the type of the field it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
    Date(NaiveDate),
}

/// How text is compared: as is, or with `CASEI` / `ACCENTI` folding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Folding {
    case: bool,
    accent: bool,
}

impl Folding {
    fn apply(self, text: &str) -> String {
        let mut out = if self.accent {
            use unicode_normalization::UnicodeNormalization;
            text.nfkd()
                .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
                .collect()
        } else {
            text.to_string()
        };
        if self.case {
            out = out.to_lowercase();
        }
        out
    }

    pub(super) fn any(self) -> bool {
        self.case || self.accent
    }
}

/// A temporal relation between the incident's days and a query interval (whole days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporal {
    Intersects,
    Disjoint,
    Before,
    After,
    During,
    Contains,
    Equals,
}

/// A relation between the incident's point and a geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spatial {
    Intersects,
    Disjoint,
    Within,
}

/// A relation between the incident's reporters and a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayOp {
    Equals,
    Contains,
    ContainedBy,
    Overlaps,
}

/// A shape a spatial predicate tests against: a box (which may cross the antimeridian) or
/// any geometry.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Box(Bbox),
    Geometry(geo::Geometry<f64>),
}

/// A compiled, type-checked filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Const(bool),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Compare {
        field: Field,
        op: Cmp,
        value: Literal,
        folding: Folding,
    },
    In {
        field: Field,
        values: Vec<Literal>,
    },
    Between {
        field: Field,
        low: Literal,
        high: Literal,
    },
    Like {
        field: Field,
        pattern: Vec<char>,
        folding: Folding,
    },
    IsNull(Field),
    /// `town = ...` / `town IN (...)`: the places the names resolve to.
    Places(Vec<u32>),
    Time {
        op: Temporal,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    },
    Space {
        op: Spatial,
        shape: Shape,
    },
    Reporters {
        op: ArrayOp,
        set: ReporterSet,
    },
}

fn bad(expected: impl Into<String>, got: impl Into<String>) -> QueryError {
    let got: String = got.into().chars().take(200).collect();
    QueryError::InvalidValue {
        parameter: "filter".into(),
        expected: expected.into(),
        got,
    }
}

/// Parses `text` in `lang` and compiles it against the queryables.
pub fn parse_filter(
    text: &str,
    lang: FilterLang,
    gazetteer: &Gazetteer,
) -> Result<Filter, QueryError> {
    if text.chars().count() > MAX_FILTER_LEN {
        return Err(bad(
            format!("a filter of at most {MAX_FILTER_LEN} characters"),
            text,
        ));
    }
    if nesting(text, lang) > MAX_FILTER_DEPTH {
        return Err(bad(
            format!(
                "a filter nested at most {MAX_FILTER_DEPTH} levels deep (brackets within brackets, or NOT and signs in a row)"
            ),
            text,
        ));
    }
    let expr = parsed(text, lang).map_err(|reason| {
        let name = match lang {
            FilterLang::Text => "cql2-text",
            FilterLang::Json => "cql2-json",
        };
        bad(
            format!(
                "a {name} expression over the queryables (see /collections/incidents/queryables); {}",
                reason.lines().next().unwrap_or("").chars().take(200).collect::<String>()
            ),
            text,
        )
    })?;
    let mut budget = MAX_FILTER_NODES;
    Compiler { gazetteer }.boolean(&expr, &mut budget)
}

/// How many parsed expressions are kept (each of at most [`MAX_FILTER_LEN`] characters).
const PARSED_KEPT: usize = 512;

/// `text` parsed as `lang`, from the expressions parsed before when it is one of them. A map
/// or a dashboard asks the same few filters again and again, and the third-party parser
/// costs as much as answering a filter the index's ranges hold (a fifth of the server's time
/// under load); what it gives depends on the text alone, so it is kept by text. Refusals are
/// not kept: they cost no more than the parse that found them.
fn parsed(text: &str, lang: FilterLang) -> Result<std::sync::Arc<Expr>, String> {
    type Kept = quick_cache::sync::Cache<(FilterLang, Box<str>), std::sync::Arc<Expr>>;
    static PARSED: std::sync::OnceLock<Kept> = std::sync::OnceLock::new();
    let kept = PARSED.get_or_init(|| quick_cache::sync::Cache::new(PARSED_KEPT));
    let key = (lang, Box::<str>::from(text));
    if let Some(expr) = kept.get(&key) {
        return Ok(expr);
    }
    // The parser is third-party code fed hostile input: a panic in it must be a 400, not a
    // dropped connection.
    let expr = std::panic::catch_unwind(|| match lang {
        FilterLang::Text => cql2::parse_text(text).map_err(|e| e.to_string()),
        FilterLang::Json => cql2::parse_json(text).map_err(|e| e.to_string()),
    })
    .unwrap_or_else(|_| Err("the expression could not be parsed".into()))?;
    let expr = std::sync::Arc::new(expr);
    kept.insert(key, expr.clone());
    Ok(expr)
}

struct Compiler<'a> {
    gazetteer: &'a Gazetteer,
}

/// The property an operand names, with any CASEI/ACCENTI wrapped around it.
fn property(expr: &Expr) -> Option<(&str, Folding)> {
    match expr {
        Expr::Property { property } => Some((property.as_str(), Folding::default())),
        Expr::Operation { op, args } if args.len() == 1 && (op == "casei" || op == "accenti") => {
            let (name, mut folding) = property(&args[0])?;
            if op == "casei" {
                folding.case = true;
            } else {
                folding.accent = true;
            }
            Some((name, folding))
        }
        _ => None,
    }
}

/// A literal operand, with any CASEI/ACCENTI wrapped around it.
fn unwrap_literal(expr: &Expr) -> (&Expr, Folding) {
    match expr {
        Expr::Operation { op, args } if args.len() == 1 && (op == "casei" || op == "accenti") => {
            let (inner, mut folding) = unwrap_literal(&args[0]);
            if op == "casei" {
                folding.case = true;
            } else {
                folding.accent = true;
            }
            (inner, folding)
        }
        other => (other, Folding::default()),
    }
}

fn describe(expr: &Expr) -> String {
    expr.to_text().unwrap_or_else(|_| format!("{expr:?}"))
}

/// A day from a CQL2 date or timestamp literal (timestamps are taken in UTC).
fn day_of(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc).date_naive())
        })
}

fn temporal_op(op: &str) -> Option<Temporal> {
    Some(match op {
        "t_intersects" => Temporal::Intersects,
        "t_disjoint" => Temporal::Disjoint,
        "t_before" => Temporal::Before,
        "t_after" => Temporal::After,
        "t_during" => Temporal::During,
        "t_contains" => Temporal::Contains,
        "t_equals" => Temporal::Equals,
        _ => return None,
    })
}

fn spatial_op(op: &str) -> Option<Spatial> {
    Some(match op {
        "s_intersects" => Spatial::Intersects,
        "s_disjoint" => Spatial::Disjoint,
        "s_within" => Spatial::Within,
        _ => return None,
    })
}

fn array_op(op: &str) -> Option<ArrayOp> {
    Some(match op {
        "a_equals" => ArrayOp::Equals,
        "a_contains" => ArrayOp::Contains,
        "a_containedby" | "a_containedBy" => ArrayOp::ContainedBy,
        "a_overlaps" => ArrayOp::Overlaps,
        _ => return None,
    })
}

const OPERATORS: &str = "AND, OR, NOT, =, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL, CASEI, ACCENTI, S_INTERSECTS, S_DISJOINT, S_WITHIN, T_INTERSECTS, T_DISJOINT, T_BEFORE, T_AFTER, T_DURING, T_CONTAINS, T_EQUALS, A_EQUALS, A_CONTAINS, A_CONTAINEDBY, A_OVERLAPS";

impl Compiler<'_> {
    fn queryable(&self, name: &str) -> Result<&'static queryables::Queryable, QueryError> {
        queryables::find(name).ok_or_else(|| {
            bad(
                format!(
                    "properties among the queryables: {}",
                    queryables::QUERYABLES
                        .iter()
                        .map(|q| q.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                name,
            )
        })
    }

    /// Compiles a predicate.
    fn boolean(&self, expr: &Expr, budget: &mut usize) -> Result<Filter, QueryError> {
        *budget = budget
            .checked_sub(1)
            .ok_or_else(|| bad(format!("a filter of at most {MAX_FILTER_NODES} terms"), ""))?;
        let (op, args) = match expr {
            Expr::Bool(b) => return Ok(Filter::Const(*b)),
            Expr::Operation { op, args } => (op.as_str(), args),
            other => {
                return Err(bad(
                    "a predicate (a comparison, a spatial, temporal or array function, or AND/OR/NOT of them)",
                    describe(other),
                ));
            }
        };
        let arity = |n: usize| -> Result<(), QueryError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(bad(
                    format!("{} with {n} operand(s)", op.to_uppercase()),
                    describe(expr),
                ))
            }
        };
        match op {
            "and" | "or" => {
                let parts = args
                    .iter()
                    .map(|a| self.boolean(a, budget))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if op == "and" {
                    Filter::And(parts)
                } else {
                    Filter::Or(parts)
                })
            }
            "not" => {
                arity(1)?;
                Ok(Filter::Not(Box::new(self.boolean(&args[0], budget)?)))
            }
            "isNull" => {
                arity(1)?;
                let (name, _) = property(&args[0])
                    .ok_or_else(|| bad("IS NULL on a property", describe(expr)))?;
                Ok(Filter::IsNull(self.queryable(name)?.field))
            }
            "like" => {
                arity(2)?;
                let (name, folding) = property(&args[0])
                    .ok_or_else(|| bad("LIKE with a property on the left", describe(expr)))?;
                let queryable = self.queryable(name)?;
                if !matches!(queryable.kind, Kind::Text | Kind::Code(_)) {
                    return Err(bad(
                        format!("LIKE on a text property ('{name}' is not text)"),
                        describe(expr),
                    ));
                }
                let (pattern, pattern_folding) = unwrap_literal(&args[1]);
                let Expr::Literal(pattern) = pattern else {
                    return Err(bad("LIKE with a text pattern", describe(expr)));
                };
                let folding = Folding {
                    case: folding.case || pattern_folding.case,
                    accent: folding.accent || pattern_folding.accent,
                };
                Ok(Filter::Like {
                    field: queryable.field,
                    pattern: folding.apply(pattern).chars().collect(),
                    folding,
                })
            }
            "between" => {
                arity(3)?;
                let (name, _) = property(&args[0])
                    .ok_or_else(|| bad("BETWEEN with a property on the left", describe(expr)))?;
                let queryable = self.queryable(name)?;
                Ok(Filter::Between {
                    field: queryable.field,
                    low: self.literal(queryable, &args[1])?,
                    high: self.literal(queryable, &args[2])?,
                })
            }
            "in" => {
                arity(2)?;
                let (name, _) = property(&args[0])
                    .ok_or_else(|| bad("IN with a property on the left", describe(expr)))?;
                let queryable = self.queryable(name)?;
                let Expr::Array(items) = args[1].as_ref() else {
                    return Err(bad("IN with a list of values", describe(expr)));
                };
                *budget = budget.checked_sub(items.len()).ok_or_else(|| {
                    bad(format!("a filter of at most {MAX_FILTER_NODES} terms"), "")
                })?;
                if let Kind::PlaceName = queryable.kind {
                    let mut places = Vec::new();
                    for item in items {
                        places.extend(self.places(item)?);
                    }
                    return Ok(Filter::Places(places));
                }
                let values = items
                    .iter()
                    .map(|item| self.literal(queryable, item))
                    .collect::<Result<_, _>>()?;
                Ok(Filter::In {
                    field: queryable.field,
                    values,
                })
            }
            _ if Cmp::parse(op).is_some() => {
                arity(2)?;
                let cmp = Cmp::parse(op).unwrap_or(Cmp::Eq);
                let (prop, other, cmp) = match (property(&args[0]), property(&args[1])) {
                    (Some(p), None) => (p, &args[1], cmp),
                    (None, Some(p)) => (p, &args[0], cmp.flipped()),
                    (Some(_), Some(_)) => {
                        return Err(bad(
                            "a comparison of a property with a value (comparing two properties is not supported)",
                            describe(expr),
                        ));
                    }
                    (None, None) => {
                        return Err(bad("a comparison naming a property", describe(expr)));
                    }
                };
                let (name, prop_folding) = prop;
                let queryable = self.queryable(name)?;
                if let Kind::PlaceName = queryable.kind {
                    let places = self.places(other)?;
                    return match cmp {
                        Cmp::Eq => Ok(Filter::Places(places)),
                        Cmp::Ne => Ok(Filter::Not(Box::new(Filter::Places(places)))),
                        _ => Err(bad("town with = , <> or IN", describe(expr))),
                    };
                }
                let (literal, literal_folding) = unwrap_literal(other);
                let folding = Folding {
                    case: prop_folding.case || literal_folding.case,
                    accent: prop_folding.accent || literal_folding.accent,
                };
                let mut value = self.literal(queryable, literal)?;
                if let Literal::Text(text) = &mut value {
                    *text = folding.apply(text);
                }
                if matches!(queryable.kind, Kind::Code(_)) && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                    return Err(bad(
                        format!("'{name}' compared with = or <> (it is a vocabulary)"),
                        describe(expr),
                    ));
                }
                Ok(Filter::Compare {
                    field: queryable.field,
                    op: cmp,
                    value,
                    folding,
                })
            }
            _ if temporal_op(op).is_some() => {
                arity(2)?;
                let relation = temporal_op(op).unwrap_or(Temporal::Intersects);
                let (name, _) = property(&args[0])
                    .ok_or_else(|| bad("a temporal function on datetime", describe(expr)))?;
                let queryable = self.queryable(name)?;
                if !matches!(queryable.kind, Kind::Interval | Kind::Date) {
                    return Err(bad(
                        format!(
                            "{} on datetime, date or date_end ('{name}' is not temporal)",
                            op.to_uppercase()
                        ),
                        describe(expr),
                    ));
                }
                let (start, end) = self.interval(&args[1])?;
                let time = Filter::Time {
                    op: relation,
                    start,
                    end,
                };
                Ok(match queryable.field {
                    // One bounding day of the incident, compared as an instant.
                    Field::Date | Field::DateEnd => {
                        day_relation(queryable.field, relation, start, end)
                    }
                    _ => time,
                })
            }
            _ if spatial_op(op).is_some() => {
                arity(2)?;
                let relation = spatial_op(op).unwrap_or(Spatial::Intersects);
                let (first, second) = match (property(&args[0]), property(&args[1])) {
                    (Some(p), None) => (p.0, &args[1]),
                    (None, Some(p)) => (p.0, &args[0]),
                    _ => {
                        return Err(bad(
                            format!("{} of geometry and a geometry literal", op.to_uppercase()),
                            describe(expr),
                        ));
                    }
                };
                if self.queryable(first)?.field != Field::Geometry {
                    return Err(bad(
                        format!("{} on geometry ('{first}' is not)", op.to_uppercase()),
                        describe(expr),
                    ));
                }
                Ok(Filter::Space {
                    op: relation,
                    shape: shape(second)?,
                })
            }
            _ if array_op(op).is_some() => {
                arity(2)?;
                let relation = array_op(op).unwrap_or(ArrayOp::Overlaps);
                let (name, _) = property(&args[0])
                    .ok_or_else(|| bad("an array function on reported_by", describe(expr)))?;
                if self.queryable(name)?.field != Field::ReportedBy {
                    return Err(bad(
                        format!(
                            "{} on reported_by ('{name}' is not a set)",
                            op.to_uppercase()
                        ),
                        describe(expr),
                    ));
                }
                let Expr::Array(items) = args[1].as_ref() else {
                    return Err(bad(
                        "an array function with a list of values",
                        describe(expr),
                    ));
                };
                let mut set = ReporterSet::default();
                for item in items {
                    let Expr::Literal(text) = item.as_ref() else {
                        return Err(bad(
                            format!("reporters among: {}", Reporter::expected()),
                            describe(item),
                        ));
                    };
                    set.insert(Reporter::parse(text).ok_or_else(|| {
                        bad(format!("reporters among: {}", Reporter::expected()), text)
                    })?);
                }
                Ok(Filter::Reporters { op: relation, set })
            }
            other => Err(bad(
                format!("one of the supported operators: {OPERATORS}"),
                other,
            )),
        }
    }

    /// A literal of `queryable`'s type.
    fn literal(
        &self,
        queryable: &queryables::Queryable,
        expr: &Expr,
    ) -> Result<Literal, QueryError> {
        let name = queryable.name;
        match (queryable.kind, expr) {
            (Kind::Integer | Kind::Number, Expr::Float(n)) if n.is_finite() => {
                Ok(Literal::Number(*n))
            }
            (Kind::Integer | Kind::Number, other) => {
                Err(bad(format!("a number for '{name}'"), describe(other)))
            }
            (Kind::Text, Expr::Literal(text)) => Ok(Literal::Text(text.clone())),
            (Kind::Code(values), Expr::Literal(text)) => {
                let values = values();
                if values.contains(&text.as_str()) {
                    Ok(Literal::Text(text.clone()))
                } else {
                    Err(bad(
                        format!("a value of '{name}' among: {}", values.join(", ")),
                        text.clone(),
                    ))
                }
            }
            (Kind::Text | Kind::Code(_), other) => Err(bad(
                format!("a quoted text value for '{name}'"),
                describe(other),
            )),
            (Kind::Date, Expr::Date { date } | Expr::Timestamp { timestamp: date }) => {
                match date.as_ref() {
                    Expr::Literal(text) => day_of(text)
                        .map(Literal::Date)
                        .ok_or_else(|| bad("a date as DATE('YYYY-MM-DD')", text.clone())),
                    other => Err(bad("a date as DATE('YYYY-MM-DD')", describe(other))),
                }
            }
            (Kind::Date, Expr::Literal(text)) => day_of(text).map(Literal::Date).ok_or_else(|| {
                bad(
                    format!("a date for '{name}' as DATE('YYYY-MM-DD')"),
                    text.clone(),
                )
            }),
            (Kind::Date, other) => Err(bad(
                format!("a date for '{name}' as DATE('YYYY-MM-DD')"),
                describe(other),
            )),
            _ => Err(bad(
                format!(
                    "'{name}' used with a temporal, spatial or array function, or (town) with = or IN"
                ),
                describe(expr),
            )),
        }
    }

    /// The places a town name resolves to.
    fn places(&self, expr: &Expr) -> Result<Vec<u32>, QueryError> {
        let Expr::Literal(name) = expr else {
            return Err(bad("a quoted town name", describe(expr)));
        };
        super::params::resolve_town(self.gazetteer, name).map_err(|error| match error {
            QueryError::UnknownTown { query, suggestions } => bad(
                if suggestions.is_empty() {
                    "a town the gazetteer knows".to_string()
                } else {
                    format!(
                        "a town the gazetteer knows (did you mean: {}?)",
                        suggestions.join(", ")
                    )
                },
                query,
            ),
            QueryError::AmbiguousTown { query, candidates } => bad(
                format!(
                    "an unambiguous town name (it could mean {})",
                    candidates.join(" or ")
                ),
                query,
            ),
            other => other,
        })
    }

    /// A temporal literal as whole days: a date, a timestamp, or an interval with `..` for an
    /// open end.
    fn interval(&self, expr: &Expr) -> Result<(Option<NaiveDate>, Option<NaiveDate>), QueryError> {
        const EXPECTED: &str = "DATE('YYYY-MM-DD'), TIMESTAMP('...Z') or INTERVAL(start, end) with '..' for an open end";
        let instant = |e: &Expr| -> Result<Option<NaiveDate>, QueryError> {
            match e {
                Expr::Literal(text) if text == ".." => Ok(None),
                Expr::Literal(text) => day_of(text)
                    .map(Some)
                    .ok_or_else(|| bad(EXPECTED, text.clone())),
                Expr::Date { date: inner } | Expr::Timestamp { timestamp: inner } => {
                    match inner.as_ref() {
                        Expr::Literal(text) => day_of(text)
                            .map(Some)
                            .ok_or_else(|| bad(EXPECTED, text.clone())),
                        other => Err(bad(EXPECTED, describe(other))),
                    }
                }
                other => Err(bad(EXPECTED, describe(other))),
            }
        };
        match expr {
            Expr::Interval { interval } if interval.len() == 2 => {
                let (start, end) = (instant(&interval[0])?, instant(&interval[1])?);
                if let (Some(s), Some(e)) = (start, end)
                    && s > e
                {
                    return Err(bad(
                        "an interval whose start is not after its end",
                        describe(expr),
                    ));
                }
                Ok((start, end))
            }
            Expr::Date { .. } | Expr::Timestamp { .. } => {
                let day = instant(expr)?;
                Ok((day, day))
            }
            other => Err(bad(EXPECTED, describe(other))),
        }
    }
}

/// A temporal relation on one of the incident's bounding days.
fn day_relation(
    field: Field,
    op: Temporal,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
) -> Filter {
    let cmp = |op: Cmp, day: Option<NaiveDate>| {
        day.map_or(Filter::Const(true), |d| Filter::Compare {
            field,
            op,
            value: Literal::Date(d),
            folding: Folding::default(),
        })
    };
    let inside = Filter::And(vec![cmp(Cmp::Ge, start), cmp(Cmp::Le, end)]);
    match op {
        Temporal::Intersects | Temporal::During => inside,
        Temporal::Disjoint => Filter::Not(Box::new(inside)),
        Temporal::Before => start.map_or(Filter::Const(false), |s| cmp(Cmp::Lt, Some(s))),
        Temporal::After => end.map_or(Filter::Const(false), |e| cmp(Cmp::Gt, Some(e))),
        Temporal::Contains | Temporal::Equals => {
            Filter::And(vec![cmp(Cmp::Eq, start), cmp(Cmp::Eq, end)])
        }
    }
}

/// A geometry literal (a BBOX, or WKT / GeoJSON in CRS84).
fn shape(expr: &Expr) -> Result<Shape, QueryError> {
    const EXPECTED: &str = "a geometry literal: BBOX(west,south,east,north), or a WKT or GeoJSON geometry in longitude/latitude degrees";
    match expr {
        Expr::BBox { bbox } => {
            let numbers: Vec<f64> = bbox
                .iter()
                .map(|n| match n.as_ref() {
                    Expr::Float(v) => Ok(*v),
                    other => Err(bad(EXPECTED, describe(other))),
                })
                .collect::<Result<_, _>>()?;
            let text = numbers
                .iter()
                .map(f64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            super::params::parse_bbox(&text)
                .map(Shape::Box)
                .map_err(|_| bad(EXPECTED, describe(expr)))
        }
        Expr::Geometry(_) => {
            let json = serde_json::to_value(expr).map_err(|_| bad(EXPECTED, describe(expr)))?;
            let geometry: geojson::Geometry =
                serde_json::from_value(json).map_err(|_| bad(EXPECTED, describe(expr)))?;
            let shape = geo::Geometry::<f64>::try_from(&geometry.value)
                .map_err(|_| bad(EXPECTED, describe(expr)))?;
            let in_range = geo::CoordsIter::coords_iter(&shape)
                .all(|c| (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y));
            if !in_range {
                return Err(bad(
                    "a geometry with longitudes -180..180 and latitudes -90..90 (CRS84)",
                    describe(expr),
                ));
            }
            Ok(Shape::Geometry(shape))
        }
        other => Err(bad(EXPECTED, describe(other))),
    }
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes the next one.
fn like(text: &[char], pattern: &[char]) -> bool {
    // Tokens: Some(c) a literal character, None for '_', and a flag for '%'.
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Char(char),
        One,
        Any,
    }
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut chars = pattern.iter();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '\\' => Token::Char(*chars.next().unwrap_or(&'\\')),
            '%' => Token::Any,
            '_' => Token::One,
            c => Token::Char(*c),
        });
    }
    // Greedy matching with one backtrack point: linear in practice, quadratic at worst.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Token::One) => {
                t += 1;
                p += 1;
            }
            Some(Token::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| *token == Token::Any)
}

fn compare(value: &Value, literal: &Literal, folding: Folding) -> Option<std::cmp::Ordering> {
    match (value, literal) {
        (Value::Number(v), Literal::Number(n)) => v.map(|v| v.total_cmp(n)),
        (Value::Text(v), Literal::Text(t)) => v.map(|v| {
            if folding.any() {
                folding.apply(v).as_str().cmp(t.as_str())
            } else {
                v.cmp(t.as_str())
            }
        }),
        (Value::Date(d), Literal::Date(l)) => Some(d.cmp(l)),
        _ => None,
    }
}

impl Filter {
    /// Whether incident `i` satisfies the filter (unknown counts as not).
    pub fn matches(&self, index: &Index, i: u32) -> bool {
        self.eval(index, i) == Some(true)
    }

    /// Three-valued evaluation: `None` is unknown.
    fn eval(&self, index: &Index, i: u32) -> Option<bool> {
        let incident = &index.incidents[i as usize];
        match self {
            Filter::Const(b) => Some(*b),
            Filter::And(parts) => {
                let mut result = Some(true);
                for part in parts {
                    match part.eval(index, i) {
                        Some(false) => return Some(false),
                        None => result = None,
                        Some(true) => {}
                    }
                }
                result
            }
            Filter::Or(parts) => {
                let mut result = Some(false);
                for part in parts {
                    match part.eval(index, i) {
                        Some(true) => return Some(true),
                        None => result = None,
                        Some(false) => {}
                    }
                }
                result
            }
            Filter::Not(inner) => inner.eval(index, i).map(|b| !b),
            Filter::Compare {
                field,
                op,
                value,
                folding,
            } => {
                compare(&queryables::value(index, i, *field), value, *folding).map(|o| op.holds(o))
            }
            Filter::In { field, values } => {
                let actual = queryables::value(index, i, *field);
                let mut any_unknown = false;
                for value in values {
                    match compare(&actual, value, Folding::default()) {
                        Some(std::cmp::Ordering::Equal) => return Some(true),
                        None => any_unknown = true,
                        Some(_) => {}
                    }
                }
                if any_unknown { None } else { Some(false) }
            }
            Filter::Between { field, low, high } => {
                let actual = queryables::value(index, i, *field);
                let above = compare(&actual, low, Folding::default())?;
                let below = compare(&actual, high, Folding::default())?;
                Some(above.is_ge() && below.is_le())
            }
            Filter::Like {
                field,
                pattern,
                folding,
            } => match queryables::value(index, i, *field) {
                Value::Text(Some(text)) => {
                    let text: Vec<char> = if folding.any() {
                        folding.apply(text).chars().collect()
                    } else {
                        text.chars().collect()
                    };
                    Some(like(&text, pattern))
                }
                _ => None,
            },
            Filter::IsNull(field) => Some(match field {
                Field::Geometry | Field::Datetime | Field::Town | Field::ReportedBy => false,
                other => matches!(
                    queryables::value(index, i, *other),
                    Value::Number(None) | Value::Text(None)
                ),
            }),
            Filter::Places(places) => Some(places.contains(&incident.place)),
            Filter::Time { op, start, end } => {
                let (a, b) = (incident.date, incident.date_end);
                let after_start = start.is_none_or(|s| b >= s);
                let before_end = end.is_none_or(|e| a <= e);
                Some(match op {
                    Temporal::Intersects => after_start && before_end,
                    Temporal::Disjoint => !(after_start && before_end),
                    Temporal::Before => start.is_some_and(|s| b < s),
                    Temporal::After => end.is_some_and(|e| a > e),
                    Temporal::During => start.is_none_or(|s| a >= s) && end.is_none_or(|e| b <= e),
                    Temporal::Contains => {
                        start.is_some_and(|s| a <= s) && end.is_some_and(|e| b >= e)
                    }
                    Temporal::Equals => *start == Some(a) && *end == Some(b),
                })
            }
            Filter::Space { op, shape } => {
                let point = Point::new(incident.lon, incident.lat);
                let hit = match shape {
                    Shape::Box(b) => b.contains(incident.lon, incident.lat),
                    Shape::Geometry(g) => g.intersects(&point),
                };
                Some(match op {
                    Spatial::Intersects => hit,
                    Spatial::Disjoint => !hit,
                    Spatial::Within => match shape {
                        Shape::Box(_) => hit,
                        Shape::Geometry(g) => g.contains(&point),
                    },
                })
            }
            Filter::Reporters { op, set } => {
                let have = incident.reported_by;
                let inside = have.iter().all(|r| set.contains(r));
                let covers = set.iter().all(|r| have.contains(r));
                Some(match op {
                    ArrayOp::Equals => inside && covers,
                    ArrayOp::Contains => covers,
                    ArrayOp::ContainedBy => inside,
                    ArrayOp::Overlaps => set.iter().any(|r| have.contains(r)),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FilterLang, like, nesting, parse_filter};
    use crate::gazetteer::Gazetteer;

    /// Nesting is measured outside quoted strings, by brackets open at once and by negations
    /// and signs in a row; a word holding "not" is no negation.
    #[test]
    fn nesting_counts_brackets_negations_and_signs_outside_strings() {
        let text = FilterLang::Text;
        assert_eq!(nesting("killed = 1", text), 0);
        assert_eq!(nesting("((killed = 1) AND (depth_km > 3))", text), 2);
        assert_eq!(nesting("title = '((((it''s ((('", text), 0);
        assert_eq!(nesting("NOT NOT not killed = 1", text), 3);
        assert_eq!(nesting("NOT (NOT killed = 1) AND NOT x = 2", text), 1);
        assert_eq!(nesting("cannot = 1 AND notes = 2 AND knot = 3", text), 0);
        assert_eq!(nesting("killed = - - -1", text), 3);
        assert_eq!(nesting("NOTE = 1 AND NOT(x = 1)", text), 1);
        let json = FilterLang::Json;
        assert_eq!(
            nesting(r#"{"op":"=","args":[{"property":"killed"},1]}"#, json),
            3
        );
        assert_eq!(nesting(r#"{"args":["[[[\"[[["]}"#, json), 2);
        let deep = format!("{}killed = 1{}", "(".repeat(65), ")".repeat(65));
        let refused = parse_filter(&deep, text, &Gazetteer::new(Vec::new())).unwrap_err();
        assert!(
            refused.to_string().contains("nested at most 64 levels"),
            "{refused}"
        );
    }

    /// A parse kept for a text answers that text in that language only: the same text in the
    /// other language is parsed (and refused) as that language.
    #[test]
    fn a_kept_parse_is_kept_by_language_and_text() {
        let places = Gazetteer::new(Vec::new());
        let text = "depth_km > 30 AND killed >= 1";
        let first = parse_filter(text, FilterLang::Text, &places).unwrap();
        assert_eq!(
            parse_filter(text, FilterLang::Text, &places).unwrap(),
            first
        );
        assert!(parse_filter(text, FilterLang::Json, &places).is_err());
        let json = r#"{"op":">","args":[{"property":"depth_km"},30]}"#;
        let by_json = parse_filter(json, FilterLang::Json, &places).unwrap();
        assert_eq!(
            parse_filter(json, FilterLang::Json, &places).unwrap(),
            by_json
        );
        assert_ne!(by_json, first);
        assert!(parse_filter(json, FilterLang::Text, &places).is_err());
        assert!(parse_filter("depth_km > 31", FilterLang::Text, &places).unwrap() != first);
    }

    fn l(text: &str, pattern: &str) -> bool {
        like(
            &text.chars().collect::<Vec<_>>(),
            &pattern.chars().collect::<Vec<_>>(),
        )
    }

    #[test]
    fn like_patterns() {
        assert!(l("Stepanakert", "Step%"));
        assert!(l("Stepanakert", "%kert"));
        assert!(l("Stepanakert", "%pan%"));
        assert!(l("Stepanakert", "S_epanakert"));
        assert!(!l("Stepanakert", "step%"));
        assert!(!l("Stepanakert", "S_pan%"));
        assert!(l("100%", "100\\%"));
        assert!(!l("1000", "100\\%"));
        assert!(l("", "%"));
        assert!(!l("", "_"));
        assert!(l("abcabc", "%abc"));
        assert!(l("aab", "%ab"));
    }
}
