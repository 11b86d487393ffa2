//! The prepared index, kept next to the data so that a restart does not parse and measure a
//! million incidents again. It holds the validated incidents in date order, their measures and
//! their sources (stored once per distinct list), and it is trusted only when it was written by
//! this version of strikemap from exactly the data files there are now: a fingerprint of every
//! file's bytes says so. Anything else — stale, truncated, corrupted, from another version — is
//! ignored with a warning and rebuilt; it never stops a load and never panics one.

use super::{Archive, DataPaths, MAX_FILE_BYTES};
use crate::index::{Built, BuiltRef, Index, Measures};
use crate::model::{Incident, Source};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The snapshot's name, beside `incidents.geojson` (a dotfile: never served).
pub const FILE_NAME: &str = ".strikemap.snapshot";
/// Bumped whenever the layout or the meaning of what is stored changes.
const FORMAT: u32 = 11;
const MAGIC: &[u8; 8] = b"SMAPSNAP";
/// The largest snapshot read.
const MAX_SNAPSHOT_BYTES: u64 = 4 * MAX_FILE_BYTES;

/// Why a snapshot was not used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: cannot read or write: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a usable snapshot: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

/// Incidents per part: the parts of a snapshot are encoded and decoded side by side.
const PART: usize = 1 << 16;

/// The first field of a [`Snapshot`], read before the rest.
#[derive(Deserialize)]
struct Header {
    format: u32,
}

#[derive(Deserialize)]
struct Snapshot<'a> {
    format: u32,
    version: String,
    fingerprint: u64,
    /// The distinct source lists, as JSON (self-describing, so a field skipped when reading,
    /// such as the archived quote, cannot shift the rest).
    sources_json: String,
    /// For each incident, its list in `sources_json`.
    source_of: Vec<u32>,
    /// Runs of [`PART`] incidents with their measures and folded text, each a [`Part`]
    /// encoded on its own (borrowed from the file's bytes until decoded).
    #[serde(borrow)]
    parts: Vec<&'a [u8]>,
    built: Built,
}

/// The same layout as [`Snapshot`], as written.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    format: u32,
    version: &'a str,
    fingerprint: u64,
    sources_json: String,
    source_of: Vec<u32>,
    parts: Vec<serde_bytes::ByteBuf>,
    built: BuiltRef<'a>,
}

#[derive(Deserialize)]
struct Part {
    incidents: Vec<Incident>,
    measures: Vec<Measures>,
    search_text: Vec<Box<str>>,
}

/// The same layout as [`Part`], borrowing what it writes.
#[derive(Serialize)]
struct PartRef<'a> {
    incidents: Vec<&'a Incident>,
    measures: Vec<&'a Measures>,
    search_text: Vec<&'a str>,
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: xxhash_rust::xxh3::Xxh3,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Incidents (in date order) and their measures, ready to index.
pub struct Prepared {
    pub incidents: Vec<Incident>,
    pub precomputed: crate::index::Precomputed,
}

/// Where the snapshot of the dataset at `paths` lives.
pub fn path_for(paths: &DataPaths) -> PathBuf {
    paths.incidents.with_file_name(FILE_NAME)
}

fn files(paths: &DataPaths, with_incidents: bool) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if with_incidents {
        files.push(paths.incidents.clone());
    }
    files.extend([
        paths.places.clone(),
        paths.line_of_contact.clone(),
        paths.countries.clone(),
        paths.military.clone(),
        paths.protected.clone(),
        paths.summaries.clone(),
    ]);
    if let Ok(entries) = std::fs::read_dir(&paths.sources) {
        let mut archived: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        archived.sort();
        files.extend(archived);
    }
    files
}

/// A fingerprint of every file the dataset is read from (names, sizes and contents; xxh3,
/// about 10 GB/s), so a snapshot is used only for exactly these data. `with_incidents`: false
/// when the incidents come from a store (the file only seeds an empty one, and the store's
/// identity and write count stand for it), which spares reading it at every start.
pub fn fingerprint(paths: &DataPaths, with_incidents: bool) -> Result<u64, SnapshotError> {
    use xxhash_rust::xxh3::Xxh3;
    let mut all = Xxh3::new();
    for path in files(paths, with_incidents) {
        all.update(path.to_string_lossy().as_bytes());
        match std::fs::metadata(&path) {
            // Only regular files are read (a device or a pipe never ends): the loader refuses
            // anything else with a clear error, and there is then nothing to version.
            Ok(meta) if !meta.is_file() => {
                return Err(SnapshotError::Io {
                    path,
                    source: std::io::Error::other("not a regular file"),
                });
            }
            Ok(_) => {
                // Streamed, so a large file costs a buffer, not its size in memory.
                let (len, hash) = hash_file(&path).map_err(|source| SnapshotError::Io {
                    path: path.clone(),
                    source,
                })?;
                all.update(&len.to_le_bytes());
                all.update(&hash.to_le_bytes());
            }
            // A missing optional file (no summaries, no archive) is part of the state too.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => all.update(b"absent"),
            Err(source) => return Err(SnapshotError::Io { path, source }),
        }
    }
    Ok(all.digest())
}

/// A file's length and xxh3 hash, read in 1 MiB pieces.
fn hash_file(path: &Path) -> std::io::Result<(u64, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok((len, hash.digest()));
        }
        len += n as u64;
        hash.update(&buffer[..n]);
    }
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ MAX_SNAPSHOT_BYTES as usize }>()
}

/// Writes the snapshot of an index as built (nothing written to it since) from data with
/// `fingerprint`: to a temporary file first, then renamed into place, so a reader never sees
/// half of one.
pub fn write(path: &Path, fingerprint: u64, index: &Index) -> Result<(), SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    if !index.is_as_built() {
        return Err(SnapshotError::Corrupt {
            path: path.to_path_buf(),
            reason: "the index was written to since it was built; a snapshot holds a build".into(),
        });
    }
    let (incidents, measures, search_text) =
        (&index.incidents, &index.measures, &index.search_text);
    let mut lists: Vec<&[Source]> = Vec::new();
    let mut seen: HashMap<*const Source, u32> = HashMap::new();
    let source_of = incidents
        .iter()
        .map(|incident| {
            *seen.entry(incident.sources.as_ptr()).or_insert_with(|| {
                lists.push(&incident.sources);
                (lists.len() - 1) as u32
            })
        })
        .collect();
    let sources_json = serde_json::to_string(&lists).map_err(|e| io(e.into()))?;
    let n = incidents.count();
    let parts = {
        use rayon::prelude::*;
        (0..n.div_ceil(PART))
            .into_par_iter()
            .map(|k| {
                let run = k * PART..n.min((k + 1) * PART);
                let part = PartRef {
                    incidents: run.clone().map(|i| &incidents[i]).collect(),
                    measures: run.clone().map(|i| &measures[i]).collect(),
                    search_text: run.map(|i| &*search_text[i]).collect(),
                };
                bincode::serde::encode_to_vec(&part, config())
                    .map(serde_bytes::ByteBuf::from)
                    .map_err(|e| SnapshotError::Corrupt {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let snapshot = SnapshotRef {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION"),
        fingerprint,
        sources_json,
        source_of,
        parts,
        built: index.built(),
    };
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = (|| -> Result<(), SnapshotError> {
        use std::io::{Seek, Write};
        let file = std::fs::File::create(&temporary).map_err(io)?;
        let mut out = Hashing {
            inner: std::io::BufWriter::new(file),
            hasher: xxhash_rust::xxh3::Xxh3::new(),
        };
        out.inner.write_all(MAGIC).map_err(io)?;
        out.inner.write_all(&[0; 8]).map_err(io)?;
        bincode::serde::encode_into_std_write(&snapshot, &mut out, config()).map_err(|e| {
            SnapshotError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        })?;
        let checksum = out.hasher.digest();
        let mut file = out.inner.into_inner().map_err(|e| io(e.into_error()))?;
        // The checksum of the body goes after the magic, so damage anywhere is seen on reading.
        file.seek(std::io::SeekFrom::Start(MAGIC.len() as u64))
            .map_err(io)?;
        file.write_all(&checksum.to_le_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&temporary, path).map_err(io)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// The snapshot's bytes (`None`: there is none), refused if it is not a regular file or is
/// larger than any snapshot can be. Read apart from [`decode`] so that a loader can read it
/// while it fingerprints the data files.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, SnapshotError> {
    let corrupt = |reason: String| SnapshotError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SnapshotError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if !metadata.is_file() {
        return Err(corrupt("not a regular file".into()));
    }
    if metadata.len() > MAX_SNAPSHOT_BYTES {
        return Err(corrupt(format!("larger than {MAX_SNAPSHOT_BYTES} bytes")));
    }
    let started = std::time::Instant::now();
    let bytes = std::fs::read(path).map_err(|source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "snapshot: read");
    Ok(Some(bytes))
}

/// The prepared index in a snapshot's `bytes` (read from `path`) if they were written by this
/// version from data with `fingerprint` (`Ok(None)`: stale), its sources resolved against
/// `archive` and every incident checked to refer to one of `places` places; an error when
/// they are damaged.
pub fn decode(
    path: &Path,
    bytes: &[u8],
    fingerprint: u64,
    archive: &Archive,
    places: usize,
) -> Result<Option<Prepared>, SnapshotError> {
    let corrupt = |reason: String| SnapshotError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let started = std::time::Instant::now();
    let phase = |name: &str| {
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "snapshot: {name}"
        )
    };
    let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
        return Err(corrupt("it does not start as a strikemap snapshot".into()));
    };
    let Some((checksum, body)) = rest.split_first_chunk::<8>() else {
        return Err(corrupt("it ends inside its header".into()));
    };
    if u64::from_le_bytes(*checksum) != xxhash_rust::xxh3::xxh3_64(body) {
        return Err(corrupt(
            "its checksum does not match: it was damaged".into(),
        ));
    }
    // Another format is stale, not damaged: the rest of it need not be (and may not be)
    // readable as this one.
    let (header, _): (Header, usize) =
        bincode::serde::decode_from_slice(body, config()).map_err(|e| corrupt(e.to_string()))?;
    if header.format != FORMAT {
        return Ok(None);
    }
    let (snapshot, _): (Snapshot, usize) = bincode::serde::borrow_decode_from_slice(body, config())
        .map_err(|e| corrupt(e.to_string()))?;
    if snapshot.format != FORMAT
        || snapshot.version != env!("CARGO_PKG_VERSION")
        || snapshot.fingerprint != fingerprint
    {
        return Ok(None);
    }
    phase("checked and header decoded");
    let parts = {
        use rayon::prelude::*;
        snapshot
            .parts
            .par_iter()
            .map(|bytes| {
                bincode::serde::decode_from_slice::<Part, _>(bytes, config())
                    .map(|(part, _)| part)
                    .map_err(|e| corrupt(e.to_string()))
            })
            .collect::<Result<Vec<Part>, _>>()?
    };
    let n: usize = parts.iter().map(|p| p.incidents.len()).sum();
    if snapshot.source_of.len() != n
        || parts.iter().any(|p| {
            p.measures.len() != p.incidents.len() || p.search_text.len() != p.incidents.len()
        })
    {
        return Err(corrupt("its parts disagree in length".into()));
    }
    let (mut incidents, mut measures, mut search_text) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for part in parts {
        incidents.extend(part.incidents);
        measures.extend(part.measures);
        search_text.extend(part.search_text);
    }
    phase("parts decoded");
    let lists: Vec<Vec<Source>> =
        serde_json::from_str(&snapshot.sources_json).map_err(|e| corrupt(e.to_string()))?;
    let mut shared: Vec<Arc<[Source]>> = Vec::with_capacity(lists.len());
    for mut list in lists {
        for source in &mut list {
            archive.resolve(source).map_err(|(field, expected)| {
                corrupt(format!("a source's {field}: expected {expected}"))
            })?;
        }
        shared.push(list.into());
    }
    for (i, (incident, list)) in incidents.iter_mut().zip(&snapshot.source_of).enumerate() {
        incident.sources = shared.get(*list as usize).cloned().ok_or_else(|| {
            corrupt(format!(
                "incident {i} cites a source list that is not there"
            ))
        })?;
        if incident.place as usize >= places {
            return Err(corrupt(format!(
                "incident {i} names a place that is not there"
            )));
        }
    }
    let ordered = incidents
        .windows(2)
        .all(|w| (w[0].date, &w[0].id) < (w[1].date, &w[1].id));
    if !ordered {
        return Err(corrupt("its incidents are not in date order".into()));
    }
    phase("sources resolved, order checked");
    snapshot.built.check(n, places).map_err(corrupt)?;
    phase("indexes checked");
    Ok(Some(Prepared {
        incidents,
        precomputed: crate::index::Precomputed {
            measures,
            search_text,
            built: Some(snapshot.built),
        },
    }))
}
