//! `tallyseal keygen --out FILE`

use std::path::PathBuf;

use tallyseal_core::keys::DeviceKey;

use crate::{CliError, write_file};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the key (64 hex digits: the ed25519 seed). Refuses to overwrite.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: Args) -> Result<u8, CliError> {
    if a.out.exists() {
        return Err(CliError::Usage(format!(
            "{} exists; not overwriting a key",
            a.out.display()
        )));
    }
    let key = DeviceKey::generate().map_err(|e| CliError::Failed(e.to_string()))?;
    write_file(&a.out, format!("{}\n", hex::encode(key.seed())).as_bytes())?;
    println!("{}", key.public_key());
    Ok(0)
}

/// Read a key file written by `keygen`.
pub fn read_key(path: &std::path::Path) -> Result<DeviceKey, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(path.to_owned(), e))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed).map_err(|_| {
        CliError::Usage(format!(
            "{}: not a key file (64 hex digits)",
            path.display()
        ))
    })?;
    Ok(DeviceKey::from_seed(&seed))
}
