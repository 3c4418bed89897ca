//! How many arenas the C allocator may keep.
//!
//! glibc's malloc gives a thread that meets contention an arena of its own, up to eight per core,
//! and keeps memory freed in each arena for that arena. The server's threads (actix workers, the
//! tokio blocking pool that writes uploads to files, the SQLite workers) each end up with one, and
//! large request bodies leave each of them holding megabytes it does not return. With eight
//! simultaneous 20 MB uploads the server's peak RSS was 540 MiB with glibc's default, and 231 MiB
//! with two arenas on this 2-core machine, at the same captures per second (README, "Memory").
//!
//! [`limit_arenas`] allows one arena per core. An operator's own `MALLOC_ARENA_MAX` wins.

/// Limit the C allocator to one arena per core (glibc on Linux only; elsewhere nothing).
/// Call it first thing, before the runtime starts its threads: a thread keeps the arena it has.
pub fn limit_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    set_arena_max(cores.clamp(2, 64));
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_arena_max(arenas: usize) {
    let n = libc::c_int::try_from(arenas).unwrap_or(2);
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator; M_ARENA_MAX may be
    // changed at any time and takes effect for arenas created afterwards. Its result (1 on
    // success, 0 on an invalid value) needs no handling: the default stays in force.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, n);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_arena_max(_arenas: usize) {}
