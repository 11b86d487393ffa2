//! strikemap: a spatial index and OGC API – Features service for attacks on civilians.
//!
//! Dependencies point one way: `api -> query -> index -> {geodesy, gazetteer, model}`;
//! `store` reads files into the model; nothing below `api` knows about HTTP.

pub mod gazetteer;
pub mod geodesy;
pub mod model;
