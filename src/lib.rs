//! strikemap: a spatial index and OGC API – Features service for attacks on civilians.
//!
//! Dependencies point one way: `api -> query -> index -> {geodesy, gazetteer, model}`;
//! `store` (behind the `Store` trait: files now, a database later) fills a `model::Dataset`;
//! nothing below `api` knows about HTTP.

/// The HTTP API and the static web map.
pub mod api;
/// Settings from flags and environment.
pub mod config;
/// Names and spellings to places.
pub mod gazetteer;
/// Synthetic datasets for load tests.
pub mod generate;
/// Distances on the WGS84 ellipsoid.
pub mod geodesy;
/// In-memory indexes and precomputed measures.
pub mod index;
/// Incidents, places, sources, vocabularies.
pub mod model;
/// Typed queries and their execution.
pub mod query;
/// What the evidence base covers (`check --report`).
pub mod report;
/// Reading the dataset from files.
pub mod store;

use std::sync::Arc;
use store::Store;

/// Loads, validates and indexes the dataset the settings point at; `progress` is told how
/// many incidents have been measured.
pub fn load(
    settings: &config::Settings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<index::Index, store::LoadError> {
    let started = std::time::Instant::now();
    let dataset = settings.store().load()?;
    tracing::info!(
        incidents = dataset.incidents.len(),
        seconds = started.elapsed().as_secs_f64(),
        "files read and validated"
    );
    let started = std::time::Instant::now();
    let index = index::Index::build(dataset, progress);
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "measures computed and indexes built"
    );
    Ok(index)
}

/// Serves an already loaded index on `listener` until the process is stopped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    index: index::Index,
    settings: config::Settings,
) -> std::io::Result<()> {
    let state = api::AppState {
        index: Arc::new(index),
        settings: Arc::new(settings),
    };
    axum::serve(listener, api::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
