#![recursion_limit = "512"]
//! strikemap: a spatial index and OGC API – Features service for attacks on civilians.
//!
//! Dependencies point one way: `api -> {query, edit}`, `edit -> {store, index}`,
//! `query -> index -> {geodesy, gazetteer, model}`; `store` (the data files, and the SQLite
//! store that holds the incidents and their history) fills a `model::Dataset`; nothing below
//! `api` knows about HTTP.

/// The HTTP API and the static web map.
pub mod api;
/// Settings from flags and environment.
pub mod config;
/// Writes: roles, validation, the audit trail, restricted data.
pub mod edit;
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

/// Loads, validates and indexes the dataset the settings point at; `progress` is told how
/// many incidents have been measured. With `settings.snapshot`, the incidents and their
/// measures come from the snapshot beside the data when it was made from exactly these files,
/// and a new snapshot is written when it was not.
pub fn load(
    settings: &config::Settings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<index::Index, store::LoadError> {
    load_with_origin(settings, progress).map(|(index, _)| index)
}

/// Where the incidents and their measures came from on a load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Read from the data files and measured.
    Files,
    /// Taken from a snapshot made from exactly these files.
    Snapshot,
}

/// As [`load`], saying whether the snapshot was used.
pub fn load_with_origin(
    settings: &config::Settings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(index::Index, Origin), store::LoadError> {
    let started = std::time::Instant::now();
    let paths = settings.data_paths();
    let database = open_store(settings, progress)?;
    let snapshot_path = store::snapshot::path_for(&paths);
    // The snapshot's bytes are read while the data files are fingerprinted (both mostly wait
    // on reading; together they took a fifth of a restart one after the other).
    let (fingerprint, snapshot_bytes) = std::thread::scope(|scope| {
        let bytes = settings
            .snapshot
            .then(|| scope.spawn(|| store::snapshot::read_bytes(&snapshot_path)));
        let fingerprint = store::snapshot::fingerprint(&paths, database.is_none());
        let bytes = bytes.and_then(|reading| match reading.join() {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(error)) => {
                tracing::warn!(%error, "snapshot ignored; the incidents are read and measured again");
                None
            }
            Err(_) => None,
        });
        (fingerprint, bytes)
    });
    // The fingerprint versions the data for cache validators, and keys the snapshot; with a
    // store, its identity and write count stand in for the incidents file.
    let fingerprint = fingerprint
        .map_err(|e| e.to_string())
        .and_then(|f| match &database {
            None => Ok(f),
            Some(db) => {
                let (store_id, writes) = db.data_version().map_err(|e| e.to_string())?;
                Ok(xxhash_rust::xxh3::xxh3_64(
                    format!("{f:x}/{store_id}/{writes}").as_bytes(),
                ))
            }
        });
    let fingerprint = match fingerprint {
        Ok(f) => Some(f),
        Err(error) => {
            tracing::warn!(%error, "the data could not be fingerprinted: no snapshot, and cache validators last only this run");
            None
        }
    };
    let snapshot = fingerprint
        .filter(|_| settings.snapshot)
        .zip(snapshot_bytes)
        .map(|(f, bytes)| (snapshot_path.as_path(), f, bytes));
    // Read before the incidents: a write in between is then applied again, never missed.
    let store_seq = match &database {
        Some(db) => db.last_seq()?,
        None => 0,
    };
    let (dataset, prepared) = store::load_dir_prepared(
        &paths,
        snapshot,
        database
            .as_ref()
            .map(|db| db as &dyn store::database::RecordStore),
    )?;
    let from_snapshot = prepared.is_some();
    tracing::info!(
        incidents = dataset.incidents.len(),
        seconds = started.elapsed().as_secs_f64(),
        from_snapshot,
        "files read and validated"
    );
    let started = std::time::Instant::now();
    let mut index = index::Index::assemble(dataset, prepared, progress);
    index.store_seq = store_seq;
    index.version = fingerprint.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "measures computed and indexes built"
    );
    if let (Some(fingerprint), false, true) = (fingerprint, from_snapshot, settings.snapshot) {
        let started = std::time::Instant::now();
        match store::snapshot::write(&snapshot_path, fingerprint, &index) {
            Ok(()) => tracing::info!(
                path = %snapshot_path.display(),
                seconds = started.elapsed().as_secs_f64(),
                "snapshot written for the next start"
            ),
            Err(error) => {
                tracing::warn!(%error, "snapshot not written; the next start measures again")
            }
        }
    }
    let origin = if from_snapshot {
        Origin::Snapshot
    } else {
        Origin::Files
    };
    Ok((index, origin))
}

/// Opens the store the settings name (none when the files are served read-only), seeding it
/// from the data directory's incidents when it is empty.
pub fn open_store(
    settings: &config::Settings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<store::database::Database>, store::LoadError> {
    let Some(path) = settings.db_path() else {
        return Ok(None);
    };
    let db = store::database::Database::open(&path)?;
    if db.is_empty()? {
        let started = std::time::Instant::now();
        let paths = settings.data_paths();
        let n = store::seed_store(&paths, &db, progress)?;
        tracing::info!(
            incidents = n,
            store = %path.display(),
            seconds = started.elapsed().as_secs_f64(),
            "store created from {}", paths.incidents.display()
        );
    }
    Ok(Some(db))
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
    let live = Arc::new(arc_swap::ArcSwap::from_pointee(index));
    let editor = match settings.db_path() {
        Some(path) => {
            let db = store::database::Database::open(&path).map_err(std::io::Error::other)?;
            let archive = store::Archive::load(&settings.data_paths().sources)
                .map_err(std::io::Error::other)?;
            let checker = edit::Checker::new(live.load().gazetteer.clone(), archive, path);
            let editor = Arc::new(edit::Editor::new(db, checker, live.clone()));
            follow_store(editor.clone());
            Some(editor)
        }
        None => None,
    };
    let app = api::app(api::AppState::live(live, editor, settings));
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
        // Each request carries its client's address (for the evidence custody log).
        let service =
            hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
                app.clone(),
                move |mut request: axum::http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(api::evidence::Peer(peer));
                    request
                },
            ));
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

/// How often the service looks for writes made beside it (an import).
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Keeps the index in step with writes other processes make to the store.
fn follow_store(editor: Arc<edit::Editor>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FOLLOW_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let editor = editor.clone();
            match tokio::task::spawn_blocking(move || editor.catch_up()).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "could not follow the store"),
                Err(error) => tracing::warn!(%error, "following the store stopped a round"),
            }
        }
    });
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
