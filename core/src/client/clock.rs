//! The phone's clocks: the wall clock (settable by the user), the monotonic clock since boot (not
//! settable; Android `elapsedRealtime`) and the boot identifier that says whether two monotonic
//! readings are comparable.

use std::sync::OnceLock;
use std::time::Instant;

/// One reading of every clock, taken together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockNow {
    /// Device wall clock, Unix ms.
    pub wall_ms: i64,
    /// Milliseconds since boot.
    pub monotonic_ms: u64,
    pub boot_id: Option<String>,
    /// UTC offset of the device's time zone, minutes.
    pub tz_offset_min: i32,
}

/// A source of clock readings (the shells may supply the platform's own).
pub trait Clock: Send + Sync {
    fn now(&self) -> ClockNow;
}

/// The operating system's clocks. On Linux and Android the monotonic clock is `/proc/uptime`
/// (boot time, counting suspend, like `elapsedRealtime`) and the boot id is
/// `/proc/sys/kernel/random/boot_id`; elsewhere, time since the process started with a
/// per-process boot id (so anchors are never compared across restarts).
#[derive(Debug, Clone, Default)]
pub struct SystemClock {
    /// Added to the wall clock: simulates a phone whose clock is set wrong.
    pub wall_offset_ms: i64,
    pub tz_offset_min: i32,
}

fn process_start() -> &'static (Instant, i64) {
    static START: OnceLock<(Instant, i64)> = OnceLock::new();
    START.get_or_init(|| (Instant::now(), system_wall_ms()))
}

/// The system wall clock, Unix ms (0 if the clock is before 1970): [`crate::system::now_ms`].
pub use crate::system::now_ms as system_wall_ms;

fn proc_uptime_ms() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    let secs = text.split_whitespace().next()?;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, "0"));
    let whole: u64 = whole.parse().ok()?;
    let frac_ms: u64 = format!("{:0<3}", &frac[..frac.len().min(3)]).parse().ok()?;
    Some(whole * 1000 + frac_ms)
}

fn proc_boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

impl Clock for SystemClock {
    fn now(&self) -> ClockNow {
        let wall_ms = system_wall_ms().saturating_add(self.wall_offset_ms);
        let (monotonic_ms, boot_id) = match (proc_uptime_ms(), proc_boot_id()) {
            (Some(m), Some(b)) => (m, Some(b)),
            _ => {
                let (start, start_wall) = process_start();
                let elapsed = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                (
                    elapsed,
                    Some(format!("process-{}-{start_wall}", std::process::id())),
                )
            }
        };
        ClockNow {
            wall_ms,
            monotonic_ms,
            boot_id,
            tz_offset_min: self.tz_offset_min,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_does_not_go_back_and_offset_applies() {
        let c = SystemClock {
            wall_offset_ms: -3_600_000,
            tz_offset_min: 300,
        };
        let a = c.now();
        let b = c.now();
        assert!(b.monotonic_ms >= a.monotonic_ms);
        assert!(a.wall_ms < system_wall_ms() - 3_500_000);
        assert_eq!(a.boot_id, b.boot_id);
    }
}
