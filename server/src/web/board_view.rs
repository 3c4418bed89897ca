//! The view models of the arrival board and national pages, built from `stations`' answers:
//! every word already taken from the catalogue in the reader's language, times in the
//! election's local time, counts grouped for the reader. Templates only loop over these.

use tallyseal_core::form::FormKind;

use super::format::{LocalClock, count};
use crate::i18n::Tr;
use crate::stations::state::FORMS;
use crate::stations::{Board, BoardFilter, CaptureState, FormStatus, NationalSummary};

/// One choice of a filter's `<select>`.
#[derive(Debug)]
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

/// One state's counts, per form (a state per row keeps the table narrow on a tablet).
#[derive(Debug)]
pub struct CountRow {
    pub state: String,
    /// (form, its count as written, the board filtered to it; empty: no link).
    pub cells: Vec<(String, String, String)>,
}

/// The counts table: a row per state, a column per form.
fn count_rows(
    tr: &Tr,
    counts: &crate::stations::board::StateCounts,
    link: impl Fn(&str, &str) -> String,
) -> Vec<CountRow> {
    CaptureState::ALL
        .iter()
        .map(|s| CountRow {
            state: state_label(tr, *s),
            cells: counts
                .iter()
                .map(|(form, by_state)| {
                    let n = by_state.get(s.as_str()).copied().unwrap_or(0);
                    (
                        form_label(tr, form),
                        count(tr.lang, n as u64),
                        link(form, s.as_str()),
                    )
                })
                .collect(),
        })
        .collect()
}

/// One page of a capture set on the board.
#[derive(Debug)]
pub struct PageLink {
    pub label: String,
    pub href: String,
}

/// One station's form on the board.
#[derive(Debug)]
pub struct FormCell {
    pub form: String,
    pub state: &'static str,
    pub state_label: String,
    pub captured: String,
    pub received: String,
    pub decided: String,
    pub pages: Vec<PageLink>,
    /// "2 earlier captures" (empty: none).
    pub earlier: String,
}

#[derive(Debug)]
pub struct StationRow {
    pub number: String,
    pub name: String,
    pub forms: Vec<FormCell>,
}

/// The stations awaited for one form.
#[derive(Debug)]
pub struct AwaitedRow {
    pub form: String,
    pub count: String,
    pub stations: String,
}

#[derive(Debug)]
pub struct BoardView {
    pub election: String,
    pub constituency: String,
    pub name: String,
    pub zone: String,
    pub updated: String,
    pub total: String,
    pub forms: Vec<String>,
    pub counts: Vec<CountRow>,
    pub awaited: Vec<AwaitedRow>,
    pub state_choices: Vec<Choice>,
    pub form_choices: Vec<Choice>,
    pub filtered: bool,
    pub stations: Vec<StationRow>,
    pub events_url: String,
    pub national_href: String,
    /// The live-update script's URL.
    pub script: &'static str,
}

pub fn state_label(tr: &Tr, state: CaptureState) -> String {
    tr.t(&format!("board-state-{}", state.as_str()))
}

pub fn form_label(tr: &Tr, form: &str) -> String {
    tr.t(&format!("board-form-{form}"))
}

fn capture_href(b: &Board, hash: &str) -> String {
    format!("/console/{}/{}/captures/{hash}", b.election, b.constituency)
}

fn form_cell(tr: &Tr, clock: &LocalClock, b: &Board, f: &FormStatus) -> FormCell {
    let pages = f
        .pages
        .iter()
        .map(|p| PageLink {
            label: if p.pages > 1 {
                tr.t1(
                    "board-open-page",
                    "page",
                    &count(tr.lang, u64::from(p.page)),
                )
            } else {
                tr.t("board-open")
            },
            href: capture_href(b, &p.manifest_hash),
        })
        .collect();
    FormCell {
        form: form_label(tr, f.form),
        state: f.state.as_str(),
        state_label: state_label(tr, f.state),
        captured: clock.maybe(f.captured_at_ms),
        received: clock.maybe(f.received_at_ms),
        decided: clock.maybe(f.decided_at_ms),
        pages,
        earlier: if f.earlier.is_empty() {
            String::new()
        } else {
            tr.t1(
                "board-earlier",
                "count",
                &count(tr.lang, f.earlier.len() as u64),
            )
        },
    }
}

fn choices<T: Copy + PartialEq>(
    options: &[(T, &'static str)],
    selected: Option<T>,
    label: impl Fn(&'static str) -> String,
    any: String,
) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: "",
        label: any,
        selected: selected.is_none(),
    }];
    out.extend(options.iter().map(|(v, s)| Choice {
        value: s,
        label: label(s),
        selected: selected == Some(*v),
    }));
    out
}

/// The board page's view.
pub fn board(tr: &Tr, clock: &LocalClock, b: &Board, filter: BoardFilter) -> BoardView {
    let states: Vec<(CaptureState, &'static str)> =
        CaptureState::ALL.iter().map(|s| (*s, s.as_str())).collect();
    let forms: Vec<(FormKind, &'static str)> = FORMS.iter().map(|f| (*f, f.as_str())).collect();
    let base = format!("/console/{}/{}/board", b.election, b.constituency);
    let counts = count_rows(tr, &b.counts, |form, state| {
        format!("{base}?form={form}&state={state}")
    });
    let awaited = b
        .awaited
        .iter()
        .map(|(form, list)| AwaitedRow {
            form: form_label(tr, form),
            count: count(tr.lang, list.len() as u64),
            stations: list
                .iter()
                .map(|n| count(tr.lang, u64::from(*n)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    BoardView {
        election: b.election.clone(),
        constituency: b.constituency.clone(),
        name: b.name.clone(),
        zone: clock.label.clone(),
        updated: clock.time(b.generated_at_ms),
        total: count(tr.lang, b.stations_total as u64),
        forms: FORMS.iter().map(|f| form_label(tr, f.as_str())).collect(),
        counts,
        awaited,
        state_choices: choices(
            &states,
            filter.state,
            |s| tr.t(&format!("board-state-{s}")),
            tr.t("board-filter-any-state"),
        ),
        form_choices: choices(
            &forms,
            filter.form,
            |f| form_label(tr, f),
            tr.t("board-filter-any-form"),
        ),
        filtered: filter != BoardFilter::default(),
        stations: b
            .stations
            .iter()
            .map(|s| StationRow {
                number: count(tr.lang, u64::from(s.station)),
                name: s.name.clone(),
                forms: s.forms.iter().map(|f| form_cell(tr, clock, b, f)).collect(),
            })
            .collect(),
        events_url: format!(
            "/api/v1/console/{}/{}/board/events",
            b.election, b.constituency
        ),
        national_href: format!("/console/{}", b.election),
        script: &super::assets::BOARD_JS.url,
    }
}

/// One constituency of the national page.
#[derive(Debug)]
pub struct ConstituencyRow {
    pub code: String,
    pub name: String,
    pub href: String,
    pub total: String,
    /// Per form: (form, awaited, received (not awaited), accepted).
    pub forms: Vec<(String, String, String, String)>,
}

#[derive(Debug)]
pub struct NationalView {
    pub election: String,
    pub zone: String,
    pub updated: String,
    pub total: String,
    pub forms: Vec<String>,
    pub totals: Vec<CountRow>,
    pub constituencies: Vec<ConstituencyRow>,
}

/// The national page's view.
pub fn national(tr: &Tr, clock: &LocalClock, n: &NationalSummary) -> NationalView {
    let totals = count_rows(tr, &n.totals, |_, _| String::new());
    let constituencies = n
        .constituencies
        .iter()
        .map(|c| ConstituencyRow {
            code: c.code.clone(),
            name: c.name.clone(),
            href: format!("/console/{}/{}/board", n.election, c.code),
            total: count(tr.lang, c.stations_total as u64),
            forms: c
                .counts
                .iter()
                .map(|(form, by_state)| {
                    let get = |s: CaptureState| by_state.get(s.as_str()).copied().unwrap_or(0);
                    let awaited = get(CaptureState::Awaited);
                    (
                        form_label(tr, form),
                        count(tr.lang, awaited as u64),
                        count(tr.lang, c.stations_total.saturating_sub(awaited) as u64),
                        count(tr.lang, get(CaptureState::Accepted) as u64),
                    )
                })
                .collect(),
        })
        .collect();
    NationalView {
        election: n.election.clone(),
        zone: clock.label.clone(),
        updated: clock.time(n.generated_at_ms),
        total: count(tr.lang, n.stations_total as u64),
        forms: FORMS.iter().map(|f| form_label(tr, f.as_str())).collect(),
        totals,
        constituencies,
    }
}
