//! How many arenas the C allocator may keep.
//!
//! glibc's malloc gives each new thread an arena of its own on its first allocation, up to eight
//! per core, and each arena keeps memory freed in it. The server's threads (actix workers, the
//! tokio blocking pool that writes uploads to files, the SQLite workers) each end up with one, and
//! large request bodies leave each of them holding megabytes it does not return. With eight
//! simultaneous 20 MB uploads the server's peak RSS was 540 MiB with glibc's default, and 212–235
//! MiB with two arenas on a 2-core machine, at the same captures per second (docs/benchmarks.md,
//! "Memory under large images").
//!
//! [`limit_arenas`] allows as many arenas as there are cores (at least 2). An operator's own
//! setting wins: `MALLOC_ARENA_MAX`, or `arena_max` in `GLIBC_TUNABLES`.

/// Limit the C allocator to one arena per core, at least 2 (glibc on Linux only; elsewhere
/// nothing). Call it first thing, before the runtime starts its threads: glibc fixes the limit
/// once it has been set or once more than eight arenas exist, and a thread keeps its arena.
pub fn limit_arenas() {
    let tuned = std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.arena_max"));
    if tuned {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    set_arena_max(cores.clamp(2, 64));
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_arena_max(arenas: usize) {
    let n = libc::c_int::try_from(arenas).unwrap_or(2);
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator and is thread-safe. Its
    // result (1 on success, 0 when refused) needs no handling: glibc's default then stays.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, n);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_arena_max(_arenas: usize) {}
