//! The `strikemap` command: a thin shell over the library.

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use strikemap::config::Settings;

#[derive(Parser)]
#[command(
    name = "strikemap",
    version,
    about = "Map and query reported attacks on civilians"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load the dataset, index it and serve the API and the map.
    Serve(Settings),
    /// Load and validate a dataset without serving it.
    Check(CheckArgs),
    /// Write a deterministic synthetic dataset (for load tests and benchmarks).
    Generate {
        /// Number of incidents.
        #[arg(long)]
        count: usize,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Data directory whose reference files are copied.
        #[arg(long, default_value = "data")]
        source: PathBuf,
        #[arg(long, default_value_t = 2020)]
        seed: u64,
    },
    /// Make, list and revoke the API tokens editors and admins write with.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Import incidents from a GeoJSON, CSV or ACLED CSV file into the store (checked as API
    /// writes are; a running service picks them up within seconds).
    Import {
        /// The file to import.
        file: PathBuf,
        /// geojson, csv (strikemap's layout) or acled; guessed from the name and header.
        #[arg(long, value_parser = parse_format)]
        format: Option<strikemap::edit::import::Format>,
        /// Check every row and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Also write the whole report (every rejected row and why) as JSON here.
        #[arg(long)]
        report: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Export the incidents a query matches (all by default) to a GeoJSON, CSV or GeoPackage
    /// file, from the store (or with --no-db from the data files).
    Export {
        /// The file to write (it must not exist); its extension chooses the layout unless
        /// --format does.
        #[arg(long)]
        out: PathBuf,
        /// geojson, csv or gpkg.
        #[arg(long, value_parser = parse_export_format)]
        format: Option<strikemap::api::export::Format>,
        /// The incidents to export, as /items query parameters (e.g. "town=Hadrut&datetime=2020-10-01/2020-10-31").
        #[arg(long, default_value = "")]
        query: String,
        #[command(flatten)]
        store: StoreArgs,
        /// Read the data files, not the store.
        #[arg(long)]
        no_db: bool,
    },
    /// Evidence files: check that every stored file still has the hash it was stored under.
    Evidence {
        #[command(subcommand)]
        action: EvidenceAction,
    },
    /// Write a consistent copy of the store while the service runs.
    Backup {
        #[command(flatten)]
        store: StoreArgs,
        /// The file to write (it must not exist).
        #[arg(long)]
        to: PathBuf,
    },
}

/// Which store a command works on: the same one `serve` opens.
#[derive(clap::Args)]
struct StoreArgs {
    /// The data directory (the store is `strikemap.db` in it unless --db says otherwise).
    #[arg(long, env = "STRIKEMAP_DATA", default_value = "data")]
    data: PathBuf,
    /// The store's file.
    #[arg(long, env = "STRIKEMAP_DB")]
    db: Option<PathBuf>,
}

impl StoreArgs {
    fn open(&self) -> Result<strikemap::store::database::Database, String> {
        let path = self
            .db
            .clone()
            .unwrap_or_else(|| self.data.join(strikemap::config::DEFAULT_DB_NAME));
        if !path.exists() {
            return Err(format!(
                "{}: no store there yet (`strikemap serve` creates it on first start)",
                path.display()
            ));
        }
        strikemap::store::database::Database::open(&path).map_err(|e| e.to_string())
    }
}

#[derive(Subcommand)]
enum EvidenceAction {
    /// Re-hash every stored evidence file; report (and log in the custody trail) any file
    /// changed or missing. Fails if there is one.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Make a token and print it (once: only its hash is kept).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// viewer, editor or admin.
        #[arg(long, value_parser = parse_role)]
        role: strikemap::model::Role,
        /// Who holds it; recorded as the author of every write made with it.
        #[arg(long)]
        name: String,
    },
    /// List the tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by its id (from `token list`).
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        id: i64,
    },
}

fn parse_export_format(text: &str) -> Result<strikemap::api::export::Format, String> {
    strikemap::api::export::Format::parse(text)
        .ok_or_else(|| format!("expected geojson, csv or gpkg; got '{text}'"))
}

fn parse_format(text: &str) -> Result<strikemap::edit::import::Format, String> {
    strikemap::edit::import::Format::parse(text)
        .ok_or_else(|| format!("expected geojson, csv or acled; got '{text}'"))
}

fn import(
    file: PathBuf,
    format: Option<strikemap::edit::import::Format>,
    dry_run: bool,
    report_path: Option<PathBuf>,
    store: StoreArgs,
) -> Result<(), String> {
    use strikemap::edit::import::{self, Format};
    let mut head = String::new();
    if let Ok(f) = std::fs::File::open(&file) {
        use std::io::Read;
        let _ = f.take(4096).read_to_string(&mut head);
    }
    let format = format
        .or_else(|| Format::guess(&file, &head))
        .ok_or("--format: expected geojson, csv or acled (the file name does not say)")?;
    let mut settings = Settings::with_data(store.data.clone());
    settings.no_db = false;
    settings.db = store.db.clone();
    let db = strikemap::open_store(&settings, &|_| {})
        .map_err(|e| e.to_string())?
        .ok_or("no store")?;
    let (places, archive) =
        strikemap::store::places_and_archive(&settings.data_paths()).map_err(|e| e.to_string())?;
    let checker = strikemap::edit::Checker::new(
        std::sync::Arc::new(strikemap::gazetteer::Gazetteer::new(places)),
        archive,
        file.clone(),
    );
    let bar = progress_bar(None, "importing rows");
    let report = import::import(&db, &checker, &file, format, dry_run, &|n| {
        bar.set_position(n)
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    for r in &report.rejections {
        for p in &r.problems {
            eprintln!(
                "- row {}{}: {}: expected {}",
                r.row,
                r.id.as_deref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default(),
                p.field,
                p.expected
            );
        }
    }
    if let Some(path) = report_path {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!(
        "{}{} rows read: {} created, {} updated, {} unchanged, {} rejected{}",
        if dry_run {
            "dry run (nothing written): "
        } else {
            ""
        },
        report.read,
        report.created,
        report.updated,
        report.unchanged,
        report.rejected,
        if report.ignored_columns.is_empty() {
            String::new()
        } else {
            format!("; columns not read: {}", report.ignored_columns.join(", "))
        }
    );
    if report.rejected > 0 {
        return Err(format!(
            "{} row(s) rejected{}; every other row was {}",
            report.rejected,
            if report.rejected > report.rejections.len() {
                format!(" (the first {} listed)", report.rejections.len())
            } else {
                " (listed above)".into()
            },
            if dry_run { "valid" } else { "imported" }
        ));
    }
    Ok(())
}

fn parse_role(text: &str) -> Result<strikemap::model::Role, String> {
    strikemap::model::Role::parse(text)
        .ok_or_else(|| format!("expected viewer, editor or admin; got '{text}'"))
}

/// What `check` reads: the dataset, and the layer overrides a deployment would serve with.
#[derive(clap::Args)]
struct CheckArgs {
    /// Directory holding the dataset (see `serve --help`).
    #[arg(long, env = "STRIKEMAP_DATA", default_value = "data")]
    data: PathBuf,
    /// A military objects layer to check instead of the one in the data directory.
    #[arg(long, env = "STRIKEMAP_MILITARY_OBJECTS")]
    military_objects: Option<PathBuf>,
    /// A protected objects layer to check instead of the one in the data directory.
    #[arg(long, env = "STRIKEMAP_PROTECTED_OBJECTS")]
    protected_objects: Option<PathBuf>,
    /// Also print what the dataset covers: incidents by alleged perpetrator, reporting party,
    /// grade, weapon and month; citations with and without an archived passage; places by
    /// precision.
    #[arg(long)]
    report: bool,
}

fn progress_bar(total: Option<u64>, message: &'static str) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::new_spinner(),
    };
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

fn load(settings: &Settings) -> Result<strikemap::index::Index, String> {
    let bar = progress_bar(None, "measuring incidents");
    let started = std::time::Instant::now();
    let index = strikemap::load(settings, &|n| bar.set_position(n)).map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    tracing::info!(
        incidents = index.len(),
        places = index.gazetteer.len(),
        seconds = started.elapsed().as_secs_f64(),
        "dataset loaded"
    );
    Ok(index)
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(settings) => {
            settings.check()?;
            let index = load(&settings)?;
            let listener = tokio::net::TcpListener::bind(settings.addr)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", settings.addr))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(%addr, "serving the map at http://{addr}/ and the API at http://{addr}/api");
            strikemap::serve(listener, index, settings)
                .await
                .map_err(|e| e.to_string())
        }
        Command::Check(args) => {
            let mut settings = Settings::with_data(args.data);
            settings.military_objects = args.military_objects;
            settings.protected_objects = args.protected_objects;
            let problems = strikemap::store::check_dir(&settings.data_paths());
            if !problems.is_empty() {
                for problem in &problems {
                    eprintln!("- {problem}");
                }
                return Err(format!(
                    "{} problem(s) found{}",
                    problems.len(),
                    if problems.len() > strikemap::store::MAX_COLLECTED {
                        " (the list stops there)"
                    } else {
                        ""
                    }
                ));
            }
            let index = load(&settings)?;
            println!(
                "ok: {} incidents, {} places, {} archived passages",
                index.len(),
                index.gazetteer.len(),
                index.passages.len()
            );
            if args.report {
                println!("\n{}", strikemap::report::coverage(&index));
            }
            Ok(())
        }
        Command::Generate {
            count,
            out,
            source,
            seed,
        } => {
            let bar = progress_bar(Some(count as u64), "writing incidents");
            strikemap::generate::generate(&source, &out, count, seed, &|n| bar.set_position(n))
                .map_err(|e| e.to_string())?;
            bar.finish_and_clear();
            println!("wrote {count} synthetic incidents to {}", out.display());
            Ok(())
        }
        Command::Token { action } => match action {
            TokenAction::Create { store, role, name } => {
                let token = store
                    .open()?
                    .create_token(&name, role)
                    .map_err(|e| e.to_string())?;
                eprintln!("token for {name} ({role}); it is shown only this once:");
                println!("{token}");
                Ok(())
            }
            TokenAction::List { store } => {
                for t in store.open()?.tokens().map_err(|e| e.to_string())? {
                    println!(
                        "{}\t{}\t{}\tcreated {}{}",
                        t.id,
                        t.role,
                        t.name,
                        t.created_at,
                        t.revoked_at
                            .map(|r| format!("\trevoked {r}"))
                            .unwrap_or_default()
                    );
                }
                Ok(())
            }
            TokenAction::Revoke { store, id } => {
                if store.open()?.revoke_token(id).map_err(|e| e.to_string())? {
                    println!("token {id} revoked");
                    Ok(())
                } else {
                    Err(format!("no valid token with id {id}"))
                }
            }
        },
        Command::Import {
            file,
            format,
            dry_run,
            report,
            store,
        } => import(file, format, dry_run, report, store),
        Command::Export {
            out,
            format,
            query,
            store,
            no_db,
        } => {
            use strikemap::api::export;
            let format = format.or_else(|| export::Format::from_path(&out)).ok_or(
                "--format: expected geojson, csv or gpkg (the file's extension does not say)",
            )?;
            let mut settings = Settings::with_data(store.data.clone());
            settings.no_db = no_db;
            settings.db = store.db.clone();
            settings.snapshot = true;
            let index = load(&settings)?;
            let n = export::export(&index, &query, format, &out).map_err(|e| e.to_string())?;
            println!("wrote {n} incidents to {}", out.display());
            Ok(())
        }
        Command::Evidence {
            action: EvidenceAction::Verify { store },
        } => {
            let report = store
                .open()?
                .verify_evidence("verify command")
                .map_err(|e| e.to_string())?;
            for hash in &report.mismatched {
                eprintln!("- {hash}: the file no longer has this hash");
            }
            for hash in &report.missing {
                eprintln!("- {hash}: the file is missing");
            }
            println!(
                "{} evidence files checked: {} ok, {} changed, {} missing",
                report.checked,
                report.ok,
                report.mismatched.len(),
                report.missing.len()
            );
            if report.ok == report.checked {
                Ok(())
            } else {
                Err("evidence files do not match their hashes (listed above)".into())
            }
        }
        Command::Backup { store, to } => {
            let db = store.open()?;
            let files = db.backup(&to).map_err(|e| e.to_string())?;
            let copy =
                strikemap::store::database::Database::open(&to).map_err(|e| e.to_string())?;
            let check = copy.integrity_check().map_err(|e| e.to_string())?;
            if check != "ok" {
                return Err(format!(
                    "{}: the copy fails its integrity check: {check}",
                    to.display()
                ));
            }
            let verified = copy.verify_evidence("backup").map_err(|e| e.to_string())?;
            if verified.ok != verified.checked {
                return Err(format!(
                    "{}: {} evidence files of the copy do not match their hashes",
                    to.display(),
                    verified.checked - verified.ok
                ));
            }
            println!(
                "backed up {} to {} (integrity check: ok) and {files} evidence files to {} (hashes: ok)",
                db.path().display(),
                to.display(),
                copy.evidence_dir().display()
            );
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "strikemap=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never in log files or pipes.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
