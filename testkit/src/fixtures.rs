//! Small fixtures the test suites of several crates share: the documented test Commission key,
//! the 2024 general election's header, and the pieces of a Form-45 (a ballot of `n` candidates, a
//! station, votes in ballot order). Published test data: never for real use.

use tallyseal_core::form::CandidateVotes;
use tallyseal_core::keys::DeviceKey;
use tallyseal_core::model::{Candidate, Election, GenderCounts, PollingStation, StationType};
use tallyseal_core::note::{NoteError, Signer};

/// The test Commission key used in `docs/election-package.md`: seed = 32 bytes of 0x42.
pub fn commission_test_signer() -> Result<Signer, NoteError> {
    Signer::new(
        "tallyseal.example/commission-test",
        DeviceKey::from_seed(&[0x42; 32]),
    )
}

/// The 2024 general election of Pakistan (poll on 8 February, results due by 02:00 the next day).
pub fn election_2024() -> Election {
    Election {
        id: "pk-ge-2024".into(),
        name: "General Elections 2024".into(),
        poll_date: "2024-02-08".into(),
        time_zone: "Asia/Karachi".into(),
        poll_open: "2024-02-08T08:00:00+05:00".into(),
        poll_close: "2024-02-08T17:00:00+05:00".into(),
        results_deadline: "2024-02-09T02:00:00+05:00".into(),
    }
}

/// A ballot of `n` independent candidates, numbered from 1.
pub fn ballot(n: u32) -> Vec<Candidate> {
    (1..=n)
        .map(|i| Candidate {
            ballot_no: i,
            name: format!("Candidate {i}"),
            name_local: None,
            party: "Independent".into(),
            symbol: format!("S{i}"),
        })
        .collect()
}

/// Station 7, of type `t`, with `registered` voters and no location.
pub fn station(t: StationType, registered: Option<GenderCounts>) -> PollingStation {
    PollingStation {
        number: 7,
        name: "Govt Boys High School".into(),
        station_type: t,
        location: None,
        registered,
        booths: None,
    }
}

/// Votes in ballot order: `v[0]` for candidate 1, and so on.
pub fn votes(v: &[u32]) -> Vec<CandidateVotes> {
    v.iter()
        .zip(1u32..)
        .map(|(&votes, ballot_no)| CandidateVotes { ballot_no, votes })
        .collect()
}
