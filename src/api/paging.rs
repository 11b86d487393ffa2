//! A page's links: itself, its collection, and the pages after and before it, each keeping
//! every other parameter of the request. Every page of items carries them, so they are
//! written straight into the body: the request's other parameters encoded once, and each
//! link's address built in one reused buffer, rather than a string, a struct and a pass of
//! the serializer per link (about a microsecond of a page of ten, a twentieth of its cost).

use super::ogc::GEOJSON;
use serde::Serialize;
use std::fmt::Write as _;

/// A link as a page's links and the landing page's carry it.
#[derive(Debug, Serialize)]
pub(super) struct PageLink<'a> {
    pub href: String,
    pub rel: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub title: &'a str,
}

/// The request's parameters other than `offset` and `limit`, encoded again (whatever
/// encoding the client used, as `application/x-www-form-urlencoded` writes it), each
/// followed by `&`: the start of every link's query.
pub(super) fn kept_params(pairs: &[(String, String)]) -> String {
    let mut kept = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if key != "offset" && key != "limit" {
            kept.append_pair(key, value);
        }
    }
    let mut kept = kept.finish();
    if !kept.is_empty() {
        kept.push('&');
    }
    kept
}

/// The links of one page of a collection's items.
pub(super) struct PageLinks<'a> {
    /// The service's address (see [`super::base_url`]).
    pub base: &'a str,
    pub collection: &'a str,
    /// See [`kept_params`].
    pub kept: &'a str,
    pub offset: usize,
    pub limit: usize,
    /// How many items match in all: whether there is a next page.
    pub matched: usize,
}

/// Where a link points: a page of items (from an offset), or the collection.
#[derive(Clone, Copy)]
enum Target {
    Items(usize),
    Collection,
}

impl PageLinks<'_> {
    /// Each link's target, relation, media type and title, in the order they are given.
    fn each(&self) -> impl Iterator<Item = (Target, &'static str, &'static str, &'static str)> {
        let (offset, limit) = (self.offset, self.limit);
        let next = (offset.saturating_add(limit) < self.matched)
            .then(|| (Target::Items(offset + limit), "next", GEOJSON, "Next page"));
        let prev = (offset > 0).then(|| {
            let at = Target::Items(offset.saturating_sub(limit));
            (at, "prev", GEOJSON, "Previous page")
        });
        [
            Some((Target::Items(offset), "self", GEOJSON, "This page")),
            Some((
                Target::Collection,
                "collection",
                "application/json",
                "The collection",
            )),
            next,
            prev,
        ]
        .into_iter()
        .flatten()
    }

    /// The address of `target` at the end of `out`.
    fn href_into(&self, out: &mut String, target: Target) {
        let (base, collection) = (self.base, self.collection);
        // Writing to a string cannot fail.
        let _ = match target {
            Target::Items(offset) => write!(
                out,
                "{base}/api/collections/{collection}/items?{}limit={}&offset={offset}",
                self.kept, self.limit
            ),
            Target::Collection => write!(out, "{base}/api/collections/{collection}"),
        };
    }

    /// The links as values to serialize.
    pub fn links(&self) -> Vec<PageLink<'static>> {
        self.each()
            .map(|(target, rel, kind, title)| {
                let mut href = String::new();
                self.href_into(&mut href, target);
                PageLink {
                    href,
                    rel,
                    kind,
                    title,
                }
            })
            .collect()
    }

    /// The links as a JSON array at the end of `out`, as [`PageLinks::links`] serializes.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut href = String::with_capacity(self.base.len() + self.kept.len() + 96);
        out.push(b'[');
        for (k, (target, rel, kind, title)) in self.each().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            href.clear();
            self.href_into(&mut href, target);
            out.extend_from_slice(b"{\"href\":");
            // The address is escaped (the base comes from a request's headers); the other
            // members are this file's own constants, which need no escaping. Writing a
            // string into a vector cannot fail.
            let _ = serde_json::to_writer(&mut *out, href.as_str());
            for (name, value) in [("rel", rel), ("type", kind), ("title", title)] {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\":\"");
                out.extend_from_slice(value.as_bytes());
                out.push(b'"');
            }
            out.push(b'}');
        }
        out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn links_keep_every_other_parameter_encoded_again() {
        let kept = kept_params(&pairs(&[
            ("limit", "10"),
            ("q", "near berdzor"),
            ("offset", "20"),
            ("filter", "killed >= 1 AND place = 'Şuşa'"),
            ("sortby", "-date"),
        ]));
        assert_eq!(
            kept,
            "q=near+berdzor&filter=killed+%3E%3D+1+AND+place+%3D+%27%C5%9Eu%C5%9Fa%27&sortby=-date&"
        );
        assert_eq!(kept_params(&pairs(&[("limit", "5")])), "");
        let links = PageLinks {
            base: "http://h",
            collection: "incidents",
            kept: &kept,
            offset: 20,
            limit: 10,
            matched: 31,
        }
        .links();
        let next = links.iter().find(|l| l.rel == "next").unwrap();
        assert_eq!(
            next.href,
            format!("http://h/api/collections/incidents/items?{kept}limit=10&offset=30")
        );
    }

    #[test]
    fn next_and_prev_only_where_there_are_such_pages() {
        let rels = |offset, limit, matched| {
            let links = PageLinks {
                base: "",
                collection: "places",
                kept: "",
                offset,
                limit,
                matched,
            };
            links.links().iter().map(|l| l.rel).collect::<Vec<_>>()
        };
        assert_eq!(rels(0, 10, 10), ["self", "collection"]);
        assert_eq!(rels(0, 10, 11), ["self", "collection", "next"]);
        assert_eq!(rels(10, 10, 11), ["self", "collection", "prev"]);
        assert_eq!(rels(1, 10, 11), ["self", "collection", "prev"]);
        assert_eq!(rels(5, 10, 100), ["self", "collection", "next", "prev"]);
        // A previous page from an offset smaller than the limit starts at the first item.
        let links = PageLinks {
            base: "",
            collection: "places",
            kept: "",
            offset: 5,
            limit: 10,
            matched: 100,
        };
        assert!(links.links()[3].href.ends_with("limit=10&offset=0"));
        // An offset and limit at the top of their range do not overflow.
        assert_eq!(
            rels(usize::MAX, usize::MAX, 7),
            ["self", "collection", "prev"]
        );
    }

    #[test]
    fn written_links_are_the_links_serialized() {
        for (base, offset, matched) in [
            ("http://127.0.0.1:8080", 0, 5),
            ("https://example.org/a \"quoted\" \\ base", 10, 100),
            ("", 40, 41),
        ] {
            let links = PageLinks {
                base,
                collection: "incidents",
                kept: "type=shelling&",
                offset,
                limit: 10,
                matched,
            };
            let mut written = Vec::new();
            links.write_json(&mut written);
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&links.links()).unwrap()
            );
        }
    }
}
