#![recursion_limit = "512"]
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
/// A socket that closes when no byte moves either way.
pub mod idle;
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
///
/// Every connection is bounded: at most `max_connections` are open (more are closed at once),
/// a client has `header_timeout_secs` to send each request's headers (slowloris senders and
/// idle keep-alive connections are cut off), and headers are capped by hyper's buffer.
pub async fn serve(
    listener: tokio::net::TcpListener,
    index: index::Index,
    settings: config::Settings,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    let header_timeout = std::time::Duration::from_secs(settings.header_timeout_secs.max(1));
    // No byte either way for longer than a request may take to compute plus the header time:
    // never cuts off a client whose answer is still being built.
    let idle_timeout =
        header_timeout + std::time::Duration::from_secs(settings.request_timeout_secs.max(1));
    let connections = Arc::new(tokio::sync::Semaphore::new(settings.max_connections.max(1)));
    let app = api::app(api::AppState::new(index, settings));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_timeout))
        .keep_alive_timeout(header_timeout)
        .max_header_list_size(64 * 1024);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection limit reached; closing a new connection");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(idle::IdleTimeout::new(stream, idle_timeout)),
                service,
            )
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {},
    }
    Ok(())
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
