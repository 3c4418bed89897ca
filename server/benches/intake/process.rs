//! What the benchmark reads of the processes it measures, from `/proc` (peak memory, CPU time,
//! the machine's busy ticks), and pinning the object store to a CPU of its own with `taskset`.

/// Pin every Garage process to `cpu`, and PostgreSQL and this benchmark (with the server it
/// spawns from now on) to the other CPUs, with util-linux `taskset` (all threads, `-a`);
/// `None`: all of them back on every CPU.
pub(crate) fn pin_store_to(cpu: Option<usize>) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all = std::fs::read_to_string("/sys/devices/system/cpu/online")
        .map_or_else(|_| "0".to_owned(), |s| s.trim().to_owned());
    let (store, others) = match cpu {
        Some(cpu) => {
            assert!(
                cpus >= 2 && cpu < cpus,
                "BENCH_STORE_CPU={cpu} needs another CPU beside it"
            );
            let others = (0..cpus)
                .filter(|c| *c != cpu)
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(",");
            (cpu.to_string(), others)
        }
        None => (all.clone(), all),
    };
    let pin = |list: &str, pid: u32| {
        let status = std::process::Command::new("taskset")
            .args(["-a", "-p", "-c", list, &pid.to_string()])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("taskset (util-linux)");
        // PostgreSQL's short-lived processes (a connection's backend, autovacuum workers) may
        // have exited since they were listed.
        let gone = !std::path::Path::new(&format!("/proc/{pid}")).exists();
        assert!(
            status.success() || gone,
            "taskset -c {list} -p {pid} failed"
        );
    };
    let garage = pids_named("garage");
    assert!(!garage.is_empty(), "no garage process to pin");
    for pid in garage {
        pin(&store, pid);
    }
    for pid in pids_named("postgres") {
        pin(&others, pid);
    }
    pin(&others, std::process::id());
}

pub(crate) fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// User + system CPU seconds of process `pid` so far (`/proc/<pid>/stat`, clock ticks of 10 ms).
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// (busy, total) CPU ticks of the whole machine (`/proc/stat`): every process, the database and
/// object store services (and anything else running) included.
pub(crate) fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle, total))
}

/// Every process whose command name starts with `prefix`.
pub(crate) fn pids_named(prefix: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim().starts_with(prefix))
        })
        .collect()
}

/// CPU seconds so far of every process whose command name starts with `prefix`.
pub(crate) fn cpu_seconds_named(prefix: &str) -> f64 {
    pids_named(prefix).into_iter().filter_map(cpu_seconds).sum()
}
