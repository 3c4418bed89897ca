//! The night's clock. The poll closes when the demo is first started (the server checks every
//! capture against the real clock: taken after poll close, not in the future); the night then
//! runs `--speed` times faster than real time on a nominal clock that reads 17:00 at poll close.
//! When it started, and how big it is, are kept in `<dir>/night.json`, so a second run is the
//! same election and carries on where the first stopped.
//!
//! It must never change `night.json` once written.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::election::{PollTimes, Size};
use crate::CliError;

/// How fast the night runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Night minutes per real minute.
    Factor(f64),
    /// No waiting at all.
    Max,
}

impl Speed {
    pub fn parse(s: &str) -> Result<Speed, CliError> {
        if s == "max" {
            return Ok(Speed::Max);
        }
        s.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f > 0.0)
            .map(Speed::Factor)
            .ok_or_else(|| CliError::Usage(format!("--speed {s:?}: a positive number or `max`")))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NightFile {
    /// Poll close, Unix ms.
    poll_close_ms: i64,
    /// When the night's clock started, Unix ms.
    started_ms: i64,
    constituencies: Option<usize>,
    stations: Option<usize>,
}

/// The night's clock and size.
#[derive(Debug, Clone)]
pub struct NightClock {
    pub size: Size,
    pub speed: Speed,
    poll_close_ms: i64,
    started_ms: i64,
    /// Whether this run carries on an earlier night.
    pub resumed: bool,
}

fn path(dir: &Path) -> PathBuf {
    dir.join("night.json")
}

fn rfc3339(ms: i64) -> Result<String, CliError> {
    let pkt = UtcOffset::from_hms(5, 0, 0).map_err(|e| CliError::Failed(e.to_string()))?;
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map_err(|e| CliError::Failed(e.to_string()))?
        .to_offset(pkt)
        .format(&Rfc3339)
        .map_err(|e| CliError::Failed(e.to_string()))
}

impl NightClock {
    /// The night in `dir`, or a new one starting now with the size asked for (kept by
    /// [`NightClock::keep`]).
    pub fn load_or_start(dir: &Path, asked: Size, speed: Speed) -> Result<NightClock, CliError> {
        let p = path(dir);
        if let Ok(bytes) = std::fs::read(&p) {
            let f: NightFile = serde_json::from_slice(&bytes)
                .map_err(|e| CliError::Failed(format!("{}: {e}", p.display())))?;
            let size = Size {
                constituencies: f.constituencies,
                stations: f.stations,
            };
            if size != asked {
                println!(
                    "Carrying on the night in {} with its own size ({} constituencies, {} stations each); a new size needs a new --dir.",
                    dir.display(),
                    size.constituencies.map_or("all".into(), |n| n.to_string()),
                    size.stations.map_or("all".into(), |n| n.to_string()),
                );
            }
            return Ok(NightClock {
                size,
                speed,
                poll_close_ms: f.poll_close_ms,
                started_ms: f.started_ms,
                resumed: true,
            });
        }
        let now = crate::now_ms();
        Ok(NightClock {
            size: asked,
            speed,
            poll_close_ms: (now - 60_000) / 60_000 * 60_000,
            started_ms: now,
            resumed: false,
        })
    }

    /// Write `night.json` for a new night (once its plan is known to work); a resumed night's
    /// file is left as it is.
    pub fn keep(&self, dir: &Path) -> Result<(), CliError> {
        if self.resumed {
            return Ok(());
        }
        let p = path(dir);
        let f = NightFile {
            poll_close_ms: self.poll_close_ms,
            started_ms: self.started_ms,
            constituencies: self.size.constituencies,
            stations: self.size.stations,
        };
        let text = serde_json::to_vec_pretty(&f).map_err(|e| CliError::Failed(e.to_string()))?;
        let tmp = p.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| CliError::Io(tmp.clone(), e))?;
        std::fs::rename(&tmp, &p).map_err(|e| CliError::Io(p.clone(), e))?;
        Ok(())
    }

    /// The poll's times for the election package: closed a minute before the first start.
    pub fn poll_times(&self) -> Result<PollTimes, CliError> {
        let close = self.poll_close_ms;
        let close_text = rfc3339(close)?;
        Ok(PollTimes {
            poll_date: close_text[..10].to_owned(),
            poll_open: rfc3339(close - 9 * 3_600_000)?,
            poll_close: close_text,
            results_deadline: rfc3339(close + 9 * 3_600_000)?,
            published_at: rfc3339(close - 7 * 86_400_000)?,
        })
    }

    /// Sleep until the night's clock reaches `minute` after poll close (at once if it has).
    pub fn wait_for(&self, minute: u32) {
        let Speed::Factor(f) = self.speed else {
            return;
        };
        let due = self.started_ms + (f64::from(minute) * 60_000.0 / f) as i64;
        let wait = due - crate::now_ms();
        if wait > 0 {
            std::thread::sleep(std::time::Duration::from_millis(wait as u64));
        }
    }

    /// The nominal night clock at `minute` after poll close: `17:00` + minute.
    pub fn label(&self, minute: u32) -> String {
        let m = 17 * 60 + minute;
        format!("{:02}:{:02}", (m / 60) % 24, m % 60)
    }
}
