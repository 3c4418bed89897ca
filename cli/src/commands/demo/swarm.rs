//! The swarm of simulated Presiding Officers: one phone per station, each the same
//! `PhoneClient` the Android and iOS apps wrap (as `tallyseal-field` uses it), with its outbox,
//! key and settings in `<dir>/phones/<constituency>-<station>/`, so a second run finds every
//! capture where the first left it. A phone enrols with a one-time code, photographs its sheet
//! (`tallyseal_field::sheet::render`), seals the figures its PO typed, and syncs.
//!
//! It must never talk to the server other than as a phone does (the admin calls excepted: codes
//! and the revocation, as the Commission makes them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tallyseal_core::bundle::EvidenceBundle;
use tallyseal_core::client::capture::{CaptureRequest, PageInput};
use tallyseal_core::client::clock::{Clock, SystemClock, system_wall_ms};
use tallyseal_core::client::custody::FileKeyCustody;
use tallyseal_core::client::outbox::OutboxItem;
use tallyseal_core::client::uploader::SyncReport;
use tallyseal_core::client::{PhoneClient, PhoneOptions};
use tallyseal_core::form::{Form45Figures, FormFigures, FormKind};
use tallyseal_core::model::Candidate;
use tallyseal_core::seal::LocationFix;
use tallyseal_field::sheet::{SheetCandidate, SheetKind, SheetSpec, render};

use super::link::Link;
use super::plan::StationPlan;
use super::problems::Problem;

/// The PO's phone clock is this far behind for [`Problem::ClockWrong`].
const WRONG_CLOCK_MS: i64 = -(2 * 3_600_000 + 30 * 60_000);

/// Metres to degrees of latitude.
const M_PER_DEG_LAT: f64 = 110_880.0;

/// One station's phone.
pub struct Phone {
    pub client: PhoneClient,
    pub link: Arc<Link>,
    clock: SystemClock,
}

/// Every phone of the night.
pub struct Swarm {
    dir: PathBuf,
    url: String,
    admin_token: String,
    election: String,
    election_name: String,
    phones: BTreeMap<(String, u32), Phone>,
}

fn phone_err(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

impl Swarm {
    pub fn new(dir: &Path, url: &str, admin_token: &str, election: &str, name: &str) -> Swarm {
        Swarm {
            dir: dir.join("phones"),
            url: url.to_owned(),
            admin_token: admin_token.to_owned(),
            election: election.to_owned(),
            election_name: name.to_owned(),
            phones: BTreeMap::new(),
        }
    }

    /// The phone of `plan`'s station, opened (and enrolled) on first use.
    pub fn phone(&mut self, plan: &StationPlan) -> Result<&Phone, String> {
        let key = (plan.constituency.clone(), plan.station);
        if !self.phones.contains_key(&key) {
            let problem = plan.problem.map(|p| p.problem);
            let clock = SystemClock {
                wall_offset_ms: if problem == Some(Problem::ClockWrong) {
                    WRONG_CLOCK_MS
                } else {
                    0
                },
                tz_offset_min: 300,
            };
            let link = Arc::new(if problem == Some(Problem::LateImage) {
                Link::two_g(Duration::from_millis(20))
            } else {
                Link::good()
            });
            let dir = self
                .dir
                .join(format!("{}-{}", plan.constituency, plan.station));
            std::fs::create_dir_all(&dir).map_err(|e| phone_err(&dir.display().to_string(), e))?;
            let client = PhoneClient::open(PhoneOptions {
                data_dir: dir.clone(),
                app: format!("tallyseal-demo/{}", env!("CARGO_PKG_VERSION")),
                transport: link.clone(),
                custody: Arc::new(FileKeyCustody {
                    path: dir.join("device.key"),
                }),
                clock: Arc::new(clock.clone()),
                listener: None,
            })
            .map_err(|e| phone_err("phone", e))?;
            if client
                .enrolment()
                .map_err(|e| phone_err("phone", e))?
                .is_none()
            {
                let code = tallyseal_field::admin::issue_code(
                    &self.url,
                    &self.admin_token,
                    &self.election,
                    &plan.constituency,
                    plan.station,
                )
                .map_err(|e| phone_err("enrolment code", e))?;
                client
                    .enrol(
                        &code.qr_payload,
                        &format!("Presiding Officer, station {}", plan.station),
                        None,
                    )
                    .map_err(|e| phone_err("enrolment", e))?;
            }
            if problem == Some(Problem::LateImage) {
                let mut s = client.settings();
                s.chunk_bytes = 16 * 1024;
                client
                    .update_settings(s)
                    .map_err(|e| phone_err("settings", e))?;
            }
            self.phones.insert(
                key.clone(),
                Phone {
                    client,
                    link,
                    clock,
                },
            );
        }
        self.phones.get(&key).ok_or_else(|| "no phone".into())
    }

    /// The station's outbox, oldest first.
    pub fn items(&mut self, plan: &StationPlan) -> Result<Vec<OutboxItem>, String> {
        self.phone(plan)?
            .client
            .items()
            .map_err(|e| phone_err("outbox", e))
    }

    /// How many captures of `form` the station's outbox holds (what a second run resumes from).
    pub fn captures_held(&mut self, plan: &StationPlan, form: FormKind) -> Result<usize, String> {
        Ok(self
            .items(plan)?
            .iter()
            .filter(|i| i.manifest.form == form)
            .count())
    }

    /// The PO photographs the sheet of `form` and seals what they typed; nothing is sent yet.
    /// `same_photo_of`: the station whose Form-45 photo is sent as it is (the same photo).
    pub fn capture(
        &mut self,
        plan: &StationPlan,
        form: FormKind,
        candidates: &[Candidate],
        constituency_name: &str,
        same_photo_of: Option<&StationPlan>,
    ) -> Result<(), String> {
        let figures = match form {
            FormKind::Form45 => FormFigures::Form45(plan.sealed.clone()),
            FormKind::Form46 => FormFigures::Form46(
                plan.ballot_account
                    .clone()
                    .ok_or("this station sends no Form-46")?,
            ),
        };
        let copied = match same_photo_of {
            Some(src) => Some(self.first_image(src)?),
            None => None,
        };
        let election_name = self.election_name.clone();
        let phone = self.phone(plan)?;
        let now = phone.clock.now();
        let problem = plan.problem.map(|p| p.problem);
        let (lat, lon) = if problem == Some(Problem::OutsideGeofence) {
            (plan.point.lat + 2_000.0 / M_PER_DEG_LAT, plan.point.lon)
        } else {
            (plan.point.lat, plan.point.lon)
        };
        let mock = problem == Some(Problem::MockLocation);
        let image = match copied {
            Some(bytes) => bytes,
            None => render(&sheet_spec(
                plan,
                form,
                candidates,
                &election_name,
                constituency_name,
                (lat, lon, now.wall_ms),
            )),
        };
        let fix = LocationFix {
            lat,
            lon,
            accuracy_m: 8.0,
            altitude_m: Some(214.0),
            provider: if mock { "mock".into() } else { "gps".into() },
            mock,
            gnss_time_ms: (!mock).then_some(system_wall_ms() - 1_000),
            fix_monotonic_ms: Some(now.monotonic_ms.saturating_sub(1_000)),
        };
        phone
            .client
            .capture(CaptureRequest {
                form,
                figures: Some(figures),
                pages: vec![PageInput {
                    image,
                    media_type: "image/jpeg".into(),
                    fix: Some(fix),
                }],
                supersedes: None,
            })
            .map_err(|e| phone_err("capture", e))?;
        Ok(())
    }

    /// The image of the station's first capture, from its phone's outbox.
    fn first_image(&mut self, plan: &StationPlan) -> Result<Vec<u8>, String> {
        let phone = self.phone(plan)?;
        let first = phone
            .client
            .items()
            .map_err(|e| phone_err("outbox", e))?
            .first()
            .map(|i| i.seq)
            .ok_or("the source station has not captured yet")?;
        let bytes = phone
            .client
            .bundle(first)
            .map_err(|e| phone_err("bundle", e))?;
        EvidenceBundle::from_bytes(&bytes)
            .map_err(|e| phone_err("bundle", e))?
            .image
            .ok_or_else(|| "the source capture has no image".into())
    }

    /// One sync pass of the station's phone.
    pub fn sync(&mut self, plan: &StationPlan) -> Result<SyncReport, String> {
        self.phone(plan)?
            .client
            .sync(true)
            .map_err(|e| phone_err("sync", e))
    }

    /// Sync every open phone whose link is up until each has nothing pending (at most `max_ms`
    /// each); the number still pending.
    pub fn settle_all(&mut self, max_ms: u64) -> Result<u32, String> {
        let mut pending = 0;
        for phone in self.phones.values() {
            if !phone.link.is_up() {
                continue;
            }
            let r = phone
                .client
                .sync_until_settled(max_ms)
                .map_err(|e| phone_err("sync", e))?;
            pending += r.pending;
        }
        Ok(pending)
    }

    /// The device key of the station's phone.
    pub fn device_key(&mut self, plan: &StationPlan) -> Result<String, String> {
        Ok(self
            .phone(plan)?
            .client
            .device_key()
            .map_err(|e| phone_err("key", e))?
            .to_hex())
    }

    /// Every phone opened so far.
    pub fn phones(&self) -> impl Iterator<Item = (&(String, u32), &Phone)> {
        self.phones.iter()
    }
}

/// What the photographed sheet shows: the station whose sheet it is, its figures, the hand; and
/// where and when (`lat, lon, time_ms`) the photo is taken.
pub(super) fn sheet_spec(
    plan: &StationPlan,
    form: FormKind,
    candidates: &[Candidate],
    election_name: &str,
    constituency_name: &str,
    (lat, lon, time_ms): (f64, f64, i64),
) -> SheetSpec {
    let f: &Form45Figures = &plan.sheet;
    let (kind, seed) = match form {
        FormKind::Form45 => (SheetKind::Form45, plan.photo_seed),
        FormKind::Form46 => (SheetKind::Form46, plan.photo_seed ^ 0x46),
    };
    SheetSpec {
        kind,
        election_name: election_name.to_owned(),
        constituency_code: plan.constituency.clone(),
        constituency_name: constituency_name.to_owned(),
        station_number: plan.sheet_station,
        station_name: plan.station_name.clone(),
        page: 1,
        pages: 1,
        candidates: candidates
            .iter()
            .map(|c| SheetCandidate {
                name: c.name.clone(),
                party: c.party.clone(),
                votes: f
                    .candidate_votes
                    .iter()
                    .find(|v| v.ballot_no == c.ballot_no)
                    .map_or(0, |v| v.votes),
            })
            .collect(),
        registered: (f.registered.male, f.registered.female),
        polled: (f.polled.male, f.polled.female),
        rejected: f.rejected,
        presiding_officer: format!("Presiding Officer, station {}", plan.sheet_station),
        lat,
        lon,
        time_ms,
        seed,
    }
}
