//! `tallyseal package import | sign | show`: build, sign and inspect election packages.

use std::path::PathBuf;

use tallyseal_core::model::Election;
use tallyseal_core::note::{Signer, Verifier};
use tallyseal_core::package::{ElectionPackage, SignedPackage, summarize};
use tallyseal_import::import_2024;

use crate::commands::keygen::read_key;
use crate::{CliError, read_file, write_file};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Build a draft package from the 2024 candidate lists (JSON) and Form-45 station CSVs.
    Import(ImportArgs),
    /// Sign a complete draft with the Commission key, writing a C2SP signed note.
    Sign(SignArgs),
    /// Check a signed package and summarise it.
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Candidate list files (e.g. importer/testdata/elections/pakistan/candidates_2024_zlenner/NA/*.json).
    #[arg(long, num_args = 1.., required = true)]
    candidates: Vec<PathBuf>,
    /// Folder of `<CODE>.csv` station files (e.g. .../form45_2024_zlenner).
    #[arg(long)]
    stations_dir: PathBuf,
    /// Station coordinates CSV: `constituency,station,lat,lon,radius_m`.
    #[arg(long)]
    coordinates: Option<PathBuf>,
    /// Keep only constituencies that have both candidates and stations.
    #[arg(long)]
    only_complete: bool,
    #[arg(long, default_value = "pk-ge-2024")]
    election_id: String,
    #[arg(long, default_value = "General Election 2024")]
    election_name: String,
    #[arg(long, default_value = "2024-02-08")]
    poll_date: String,
    #[arg(long, default_value = "2024-02-08T08:00:00+05:00")]
    poll_open: String,
    #[arg(long, default_value = "2024-02-08T17:00:00+05:00")]
    poll_close: String,
    #[arg(long, default_value = "2024-02-09T02:00:00+05:00")]
    results_deadline: String,
    #[arg(long, default_value = "Asia/Karachi")]
    time_zone: String,
    /// Publication time written into the package (RFC 3339).
    #[arg(long, default_value = "2024-02-01T09:00:00+05:00")]
    published_at: String,
    /// Where to write the draft package (JSON).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The draft package (JSON).
    draft: PathBuf,
    /// Commission key file (from `tallyseal keygen`).
    #[arg(long)]
    key: PathBuf,
    /// Key name in the signed note, e.g. `ecp.gov.pk/elections`.
    #[arg(long)]
    name: String,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The signed package (C2SP note).
    package: PathBuf,
    /// Verifier key (`name+hexid+base64`), as printed by `package sign`.
    #[arg(long)]
    commission_key: String,
}

pub fn run(c: Command) -> Result<u8, CliError> {
    match c {
        Command::Import(a) => import(a),
        Command::Sign(a) => sign(a),
        Command::Show(a) => show(a),
    }
}

fn import(a: ImportArgs) -> Result<u8, CliError> {
    let candidate_files = a
        .candidates
        .iter()
        .map(|p| read_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut station_files = Vec::new();
    let entries =
        std::fs::read_dir(&a.stations_dir).map_err(|e| CliError::Io(a.stations_dir.clone(), e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| CliError::Io(a.stations_dir.clone(), e))?
            .path();
        if path.extension().is_some_and(|x| x == "csv")
            && let Some(code) = path.file_stem().and_then(|s| s.to_str())
        {
            station_files.push((code.to_owned(), read_file(&path)?));
        }
    }
    station_files.sort();
    let coordinates = a.coordinates.as_ref().map(|p| read_file(p)).transpose()?;
    let election = Election {
        id: a.election_id,
        name: a.election_name,
        poll_date: a.poll_date,
        time_zone: a.time_zone,
        poll_open: a.poll_open,
        poll_close: a.poll_close,
        results_deadline: a.results_deadline,
    };
    let cands: Vec<&[u8]> = candidate_files.iter().map(Vec::as_slice).collect();
    let stations: Vec<(&str, &[u8])> = station_files
        .iter()
        .map(|(c, b)| (c.as_str(), b.as_slice()))
        .collect();
    let mut report = import_2024(
        &cands,
        &stations,
        coordinates.as_deref(),
        election,
        &a.published_at,
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    if a.only_complete {
        report
            .package
            .constituencies
            .retain(|k| !k.candidates.is_empty() && !k.stations.is_empty());
        let kept: Vec<&str> = report
            .package
            .constituencies
            .iter()
            .map(|k| k.code.as_str())
            .collect();
        report
            .missing_locations
            .retain(|s| kept.contains(&s.constituency.as_str()));
    }
    let text = serde_json::to_string_pretty(&report.package)
        .map_err(|e| CliError::Usage(format!("cannot encode the draft: {e}")))?;
    write_file(&a.out, text.as_bytes())?;
    for w in &report.warnings {
        eprintln!("warning: {} {}", w.constituency, w.message);
    }
    for (k, v) in summarize(&report.package) {
        println!("{k:<22} {v}");
    }
    println!(
        "{:<22} {}",
        "station rows skipped", report.station_rows_skipped
    );
    println!("{:<22} {}", "warnings", report.warnings.len());
    println!(
        "{:<22} {}",
        "missing locations",
        report.missing_locations.len()
    );
    if !report.missing_locations.is_empty() {
        println!("the draft cannot be signed until every station has coordinates (--coordinates)");
    }
    Ok(0)
}

fn sign(a: SignArgs) -> Result<u8, CliError> {
    let draft: ElectionPackage = serde_json::from_slice(&read_file(&a.draft)?)
        .map_err(|e| CliError::Usage(format!("{}: not a package: {e}", a.draft.display())))?;
    let problems = draft.validate();
    if !problems.is_empty() {
        for p in problems.iter().take(20) {
            eprintln!("problem: {p}");
        }
        return Err(CliError::Usage(format!(
            "the draft has {} problem(s); not signing",
            problems.len()
        )));
    }
    let signer =
        Signer::new(&a.name, read_key(&a.key)?).map_err(|e| CliError::Usage(e.to_string()))?;
    let signed = draft
        .sign(&signer)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    write_file(&a.out, signed.as_bytes())?;
    println!("package hash   {}", signed.hash());
    println!("verifier key   {}", signer.verifier().to_vkey());
    Ok(0)
}

fn show(a: ShowArgs) -> Result<u8, CliError> {
    let v = Verifier::parse(&a.commission_key).map_err(|e| CliError::Usage(e.to_string()))?;
    let (pkg, signed) = SignedPackage::open(&read_file(&a.package)?, &[v])
        .map_err(|e| CliError::Failed(format!("{}: {e}", a.package.display())))?;
    println!("election       {} ({})", pkg.election.name, pkg.election.id);
    println!(
        "poll           {} to {}",
        pkg.election.poll_open, pkg.election.poll_close
    );
    println!("package hash   {}", signed.hash());
    for (k, v) in summarize(&pkg) {
        println!("{k:<22} {v}");
    }
    Ok(0)
}
