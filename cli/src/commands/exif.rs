//! `tallyseal exif FILE [--json]`

use std::path::PathBuf;

use tallyseal_core::exif::extract_exif;

use crate::{CliError, out, read_file};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An image file (JPEG, HEIC, TIFF, PNG, WebP).
    file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<u8, CliError> {
    let bytes = read_file(&a.file)?;
    let s = extract_exif(&bytes);
    if a.json {
        let text = serde_json::to_string_pretty(&s)
            .map_err(|e| CliError::Usage(format!("cannot encode: {e}")))?;
        out(&format!("{text}\n"));
        return Ok(0);
    }
    let show = |k: &str, v: Option<String>| println!("{k:<22} {}", v.unwrap_or_else(|| "-".into()));
    show("status", Some(format!("{:?}", s.status).to_lowercase()));
    show("container", Some(s.container.clone()));
    show("make", s.make.clone());
    show("model", s.model.clone());
    show("software", s.software.clone());
    show("datetime_original", s.datetime_original.clone());
    show("offset_time_original", s.offset_time_original.clone());
    show(
        "gps",
        s.gps.map(|g| {
            format!(
                "{:.6}, {:.6}{}",
                g.lat,
                g.lon,
                g.altitude_m
                    .map(|a| format!(" alt {a:.1} m"))
                    .unwrap_or_default()
            )
        }),
    );
    show(
        "pixels",
        s.pixel_width
            .zip(s.pixel_height)
            .map(|(w, h)| format!("{w} x {h}")),
    );
    for f in &s.findings {
        println!("finding: {} — {}", f.code, f.detail);
    }
    Ok(0)
}
