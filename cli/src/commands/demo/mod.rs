//! `tallyseal demo`: a whole election night in one command.
//!
//! The embedded server (SQLite + local files in `<dir>/server`) with two log witnesses
//! ([`server`]), an election of real 2024 National Assembly constituencies ([`election`]), the
//! console accounts ([`accounts`]), a swarm of simulated Presiding Officers sending their Form-45s
//! over the evening ([`swarm`], on [`link`]s), the problems a real night has ([`problems`]),
//! the ROs' offices doing review, double entry and Form-47 through the console's API
//! ([`office`], [`console`]), all in the order of the night's [`plan`]; what it prints is in
//! [`output`]. `--offline` runs the verifier alone ([`offline`]). Stopped and started again, it
//! carries on from what the server and the phones' outboxes hold.
//!
//! This module only sequences the night; it must never decide a check.

mod accounts;
mod console;
mod election;
mod link;
mod office;
mod offline;
mod output;
mod plan;
mod problems;
mod server;
mod sources;
mod swarm;
mod timeline;

use std::collections::BTreeMap;
use std::path::PathBuf;

use tallyseal_core::form::FormKind;

use crate::CliError;
use console::ConsoleUser;
use office::Office;
use plan::Event;
use problems::Problem;
use timeline::{NightClock, Speed};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder for everything the night keeps (server data, phones, keys); kept between runs.
    #[arg(long, default_value = "tallyseal-demo")]
    dir: PathBuf,
    /// Address the server listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Night minutes per real minute: `60` is a night hour a minute, `1` real time, `max` as
    /// fast as the machine goes.
    #[arg(long, default_value = "60")]
    speed: String,
    /// How many constituencies (from NA-128 on), or `all` (the 49 National Assembly seats the
    /// 2024 data has station results for).
    #[arg(long, default_value = "3")]
    constituencies: String,
    /// Stations per constituency (the first N of its polling scheme), or `all`.
    #[arg(long, default_value = "all")]
    size: String,
    /// Exit when the night is over instead of serving until Ctrl-C.
    #[arg(long)]
    exit_when_done: bool,
    /// Only the offline verifier demonstration (no server, no phones).
    #[arg(long)]
    offline: bool,
}

/// Ctrl-C (or SIGTERM) ends the whole demo at once: the server alone must not stop while the
/// night's phones and offices carry on. What was acknowledged is durable; a second run carries on.
fn stop_on_signal(rt: &tokio::runtime::Runtime) {
    rt.spawn(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut term) = signal(SignalKind::terminate()) else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        println!("\nStopped. Run the same command again to carry on the night.");
        std::process::exit(130);
    });
}

fn failed(e: String) -> CliError {
    CliError::Failed(e)
}

fn count(arg: &str, what: &str) -> Result<Option<usize>, CliError> {
    if arg == "all" {
        return Ok(None);
    }
    arg.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| CliError::Usage(format!("--{what} {arg:?}: a positive number or `all`")))
}

pub fn run(a: Args) -> Result<u8, CliError> {
    let exe = output::exe();
    if a.offline {
        return offline::run(&a.dir, &exe);
    }
    let speed = Speed::parse(&a.speed)?;
    let asked = election::Size {
        constituencies: count(&a.constituencies, "constituencies")?,
        stations: count(&a.size, "size")?,
    };
    std::fs::create_dir_all(&a.dir).map_err(|e| CliError::Io(a.dir.clone(), e))?;
    let clock = NightClock::load_or_start(&a.dir, asked, speed)?;
    let night_election = election::build(clock.size, &clock.poll_times()?).map_err(failed)?;
    let night = plan::plan(&night_election).map_err(CliError::Usage)?;
    clock.keep(&a.dir)?;
    let codes: Vec<String> = night_election
        .package
        .constituencies
        .iter()
        .map(|c| c.code.clone())
        .collect();

    tallyseal_server::allocator::limit_arenas();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the runtime: {e}")))?;
    stop_on_signal(&rt);
    let bind = server::address(&a.dir, &a.bind)?;
    let (srv, db) = server::start(&rt, &a.dir, &bind)?;
    output::import_package(&srv, &night_election.package).map_err(failed)?;
    let demo_accounts = rt.block_on(accounts::ensure_all(&db, election::ELECTION_ID, &codes))?;
    output::header(&srv, &clock, &night_election, &demo_accounts, &exe);
    output::write_plan(&a.dir, &night, &night_election).map_err(failed)?;

    let sign = |login: &str| ConsoleUser::sign_in(&srv.url, login, accounts::DEMO_PASSWORD);
    let operators = [
        sign(accounts::OPERATORS[0]).map_err(failed)?,
        sign(accounts::OPERATORS[1]).map_err(failed)?,
    ];
    let mut ros = BTreeMap::new();
    for code in &codes {
        ros.insert(
            code.clone(),
            sign(&accounts::ro_login(code)).map_err(failed)?,
        );
    }
    let offices: Vec<Office> = codes
        .iter()
        .filter_map(|code| {
            Some(Office {
                election: election::ELECTION_ID,
                constituency: code,
                ro: ros.get(code)?,
                operators: [&operators[0], &operators[1]],
                plans: night
                    .stations
                    .iter()
                    .filter(|s| &s.constituency == code)
                    .map(|s| (s.station, s))
                    .collect(),
            })
        })
        .collect();
    let mut swarm = swarm::Swarm::new(
        &a.dir,
        &srv.url,
        &srv.admin_token,
        election::ELECTION_ID,
        &night_election.package.election.name,
    );

    for (at, event) in &night.events {
        clock.wait_for(*at);
        let when = clock.label(*at);
        match event {
            Event::Report(i) => {
                let p = &night.stations[*i];
                let c = night_election
                    .package
                    .constituency(&p.constituency)
                    .ok_or_else(|| failed(format!("{}: not in the package", p.constituency)))?;
                let new = swarm.captures_held(p, FormKind::Form45).map_err(failed)? == 0;
                if new {
                    let same = match p.problem.map(|x| x.problem) {
                        Some(Problem::SamePhoto) => {
                            p.problem.and_then(|x| x.source).map(|s| &night.stations[s])
                        }
                        _ => None,
                    };
                    swarm
                        .capture(p, FormKind::Form45, &c.candidates, &c.name, same)
                        .map_err(failed)?;
                }
                if p.ballot_account.is_some()
                    && swarm.captures_held(p, FormKind::Form46).map_err(failed)? == 0
                {
                    swarm
                        .capture(p, FormKind::Form46, &c.candidates, &c.name, None)
                        .map_err(failed)?;
                }
                let report = swarm.sync(p).map_err(failed)?;
                if new || output::moved(&report) {
                    let items = swarm.items(p).map_err(failed)?;
                    output::reported(&when, p, &report, &items);
                }
            }
            Event::Revoke(i) => {
                let p = &night.stations[*i];
                let key = swarm.device_key(p).map_err(failed)?;
                let revoked_now = output::revoke(&srv, &key).map_err(failed)?;
                if revoked_now {
                    println!(
                        "{when}  {} station {}: the Commission revokes its phone (reported lost)",
                        p.constituency, p.station
                    );
                }
            }
            Event::AfterRevocation(i) => {
                let p = &night.stations[*i];
                let c = night_election
                    .package
                    .constituency(&p.constituency)
                    .ok_or_else(|| failed(format!("{}: not in the package", p.constituency)))?;
                let new = swarm.captures_held(p, FormKind::Form45).map_err(failed)? < 2;
                if new {
                    swarm
                        .capture(p, FormKind::Form45, &c.candidates, &c.name, None)
                        .map_err(failed)?;
                }
                let report = swarm.sync(p).map_err(failed)?;
                if new || output::moved(&report) {
                    let items = swarm.items(p).map_err(failed)?;
                    output::after_revocation(&when, p, &report, &items);
                }
            }
            Event::LinkUp(i) => {
                let p = &night.stations[*i];
                let phone = swarm.phone(p).map_err(failed)?;
                phone.link.bring_up();
                let report = phone
                    .client
                    .sync_until_settled(120_000)
                    .map_err(|e| failed(e.to_string()))?;
                if output::moved(&report) {
                    println!(
                        "{when}  {} station {}: the 2G link is back; the image goes up hours after its manifest",
                        p.constituency, p.station
                    );
                    let items = swarm.items(p).map_err(failed)?;
                    output::reported(&when, p, &report, &items);
                }
            }
            Event::OfficeRound => {
                for o in &offices {
                    let n = o.round().map_err(failed)?;
                    output::round(&when, o.constituency, &n);
                }
            }
            Event::SignForm47 => {
                for o in &offices {
                    let signed = o
                        .sign_form47("more stations confirmed since the last version")
                        .map_err(failed)?;
                    output::signed(&when, o.constituency, signed);
                }
            }
        }
    }

    // The night is over: whatever is still on its way arrives, the offices finish.
    swarm.settle_all(60_000).map_err(failed)?;
    let end = clock.label(night.length_min);
    for _ in 0..12 {
        let mut busy = false;
        for o in &offices {
            let n = o.round().map_err(failed)?;
            busy |= n.accepted + n.rejected + n.entries + n.settled + n.released > 0;
            output::round(&end, o.constituency, &n);
        }
        let pending = offices
            .iter()
            .map(|o| o.board().map(|b| output::in_analysis(&b)))
            .sum::<Result<usize, String>>()
            .map_err(failed)?;
        if !busy && pending == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    for o in &offices {
        let signed = o
            .sign_form47("the night's last version: every station received is confirmed")
            .map_err(failed)?;
        output::signed(&end, o.constituency, signed);
    }
    output::footer(&srv, &a.dir, &mut swarm, &offices, &exe).map_err(failed)?;
    if a.exit_when_done {
        return Ok(0);
    }
    println!(
        "\nThe server keeps running for you to browse; Ctrl-C stops it (run the same command to start it again)."
    );
    loop {
        std::thread::park();
    }
}
