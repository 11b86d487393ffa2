//! Settings from flags and environment variables, with every default in one place.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// How the service is run. Each flag can also be set by the environment variable named.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on (`host:port`; a name such as `localhost:8080` is resolved).
    #[arg(long, env = "STRIKEMAP_ADDR", default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    pub addr: SocketAddr,
    /// Directory holding incidents.geojson, places.geojson, line_of_contact.geojson,
    /// countries.geojson, military_objects.geojson, protected_objects.geojson, summaries.json.
    #[arg(long, env = "STRIKEMAP_DATA", default_value = "data")]
    pub data: PathBuf,
    /// A military objects layer to use instead of the one in the data directory.
    #[arg(long, env = "STRIKEMAP_MILITARY_OBJECTS")]
    pub military_objects: Option<PathBuf>,
    /// A protected objects layer to use instead of the one in the data directory.
    #[arg(long, env = "STRIKEMAP_PROTECTED_OBJECTS")]
    pub protected_objects: Option<PathBuf>,
    /// Directory of the web map's static files.
    #[arg(long, env = "STRIKEMAP_WEB", default_value = "web")]
    pub web: PathBuf,
    /// Origins allowed to call the API from a browser (comma-separated; `*` for any). None by
    /// default: the map is served from the same origin.
    #[arg(long, env = "STRIKEMAP_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// The public base URL used in API links (e.g. https://strikemap.example.org); by default
    /// links are built from the request's Host header.
    #[arg(long, env = "STRIKEMAP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A MapLibre style URL for deployments with internet; the map uses its offline basemap
    /// when unset.
    #[arg(long, env = "STRIKEMAP_BASEMAP_STYLE")]
    pub basemap_style: Option<String>,
    /// Longest time a request may take, in seconds.
    #[arg(long, env = "STRIKEMAP_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Most heavy requests (queries, statistics, measures) computed at once; more wait briefly,
    /// then get 503. Cheap requests (health, static files, metadata) never wait for them.
    #[arg(long, env = "STRIKEMAP_MAX_CONCURRENT", default_value_t = 8)]
    pub max_concurrent: usize,
    /// Most open connections; more are closed as soon as they are accepted.
    #[arg(long, env = "STRIKEMAP_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers (slow senders are cut off). A
    /// connection with no byte moving either way for this plus the request timeout is closed
    /// (idle keep-alive, a client that sends nothing or stops reading).
    #[arg(long, env = "STRIKEMAP_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Megabytes of large response bodies held at once across all clients (a client that never
    /// reads holds its share until its connection closes); past it, 503.
    #[arg(long, env = "STRIKEMAP_RESPONSE_MEMORY_MB", default_value_t = 512)]
    pub response_memory_mb: usize,
    /// Megabytes of encoded features kept for reuse by pages and single items (0: none; each
    /// feature is then encoded every time it is served). Bulk downloads never use them.
    #[arg(long, env = "STRIKEMAP_FEATURE_CACHE_MB", default_value_t = 128)]
    pub feature_cache_mb: u64,
    /// Most bulk downloads (`/collections/incidents/download`) streaming at once; each holds
    /// only the list of matching incidents and one chunk of output.
    #[arg(long, env = "STRIKEMAP_MAX_DOWNLOADS", default_value_t = 4)]
    pub max_downloads: usize,
    /// Don't read or write the prepared-index snapshot beside the data (`.strikemap.snapshot`,
    /// rebuilt whenever the data or strikemap's version change).
    #[arg(long = "no-snapshot", action = clap::ArgAction::SetFalse)]
    pub snapshot: bool,
    /// The SQLite store that holds the incidents and their history (created and seeded from
    /// the data directory's incidents.geojson on first start); by default `strikemap.db` in the
    /// data directory.
    #[arg(long, env = "STRIKEMAP_DB")]
    pub db: Option<PathBuf>,
    /// Largest evidence file an editor may upload, in megabytes.
    #[arg(long, env = "STRIKEMAP_MAX_EVIDENCE_MB", default_value_t = 512)]
    pub max_evidence_mb: u64,
    /// Serve the data files read-only, without a store (no editing).
    #[arg(long = "no-db", conflicts_with = "db")]
    pub no_db: bool,
}

/// The store's file name in the data directory when `--db` is not given.
pub const DEFAULT_DB_NAME: &str = "strikemap.db";

/// `host:port`, resolving a host name to its first address.
fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    text.to_socket_addrs()
        .map_err(|e| format!("expected host:port ({e})"))?
        .next()
        .ok_or_else(|| format!("{text} resolves to no address"))
}

impl Settings {
    /// Refuses settings that would silently do something else than asked: a CORS origin that
    /// is not `*` or `scheme://host[:port]`, a public URL that is not http(s).
    pub fn check(&self) -> Result<(), String> {
        for origin in &self.cors_origins {
            let origin = origin.trim();
            let valid = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && !origin.trim_end_matches('/').contains(char::is_whitespace)
                    && origin
                        .split("://")
                        .nth(1)
                        .is_some_and(|h| !h.is_empty() && !h.contains('/')));
            if !valid {
                return Err(format!(
                    "--cors-origins: expected * or origins like https://example.org, comma-separated; got '{origin}'"
                ));
            }
        }
        if let Some(url) = &self.public_url
            && !crate::model::is_web_address(url)
        {
            return Err(format!(
                "--public-url: expected an http:// or https:// address; got '{url}'"
            ));
        }
        Ok(())
    }

    /// Settings for tests and embedding: the given data directory, everything else default.
    pub fn with_data(data: PathBuf) -> Self {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data,
            military_objects: None,
            protected_objects: None,
            web: PathBuf::from("web"),
            cors_origins: Vec::new(),
            public_url: None,
            basemap_style: None,
            request_timeout_secs: 30,
            max_concurrent: 8,
            max_connections: 1024,
            header_timeout_secs: 10,
            response_memory_mb: 512,
            feature_cache_mb: 128,
            max_downloads: 4,
            // Library users and tests opt in; the command line's default is on.
            snapshot: false,
            db: None,
            no_db: true,
            max_evidence_mb: 512,
        }
    }

    /// The store the settings describe (the file store; a database store would be chosen here).
    pub fn store(&self) -> crate::store::FileStore {
        crate::store::FileStore {
            paths: self.data_paths(),
        }
    }

    /// The store's path, unless the files are served read-only.
    pub fn db_path(&self) -> Option<PathBuf> {
        if self.no_db {
            return None;
        }
        Some(
            self.db
                .clone()
                .unwrap_or_else(|| self.data.join(DEFAULT_DB_NAME)),
        )
    }

    /// Where each data file is, honouring the layer overrides.
    pub fn data_paths(&self) -> crate::store::DataPaths {
        let mut paths = crate::store::DataPaths::in_dir(&self.data);
        if let Some(path) = &self.military_objects {
            paths.military = path.clone();
        }
        if let Some(path) = &self.protected_objects {
            paths.protected = path.clone();
        }
        paths
    }
}
