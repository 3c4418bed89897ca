//! The view model of a capture's review page, built from `review::CaptureReview`: the pages of
//! the capture set with their images, every verification check with its measured values and its
//! verdict in the catalogue's words, times in the election's local time, the device, the other
//! captures of the station and form, the decisions, and the decision forms' choices. Templates
//! only loop over this; every text is escaped there.

use serde_json::Value;

use super::board_view::{form_label, state_label};
use super::format::{LocalClock, count};
use crate::i18n::Tr;
use crate::review::CaptureReview;
use crate::review::reasons::{RECAPTURE_REASONS, REJECT_REASONS};
use crate::stations::CaptureSummary;

/// One page of the capture set.
#[derive(Debug)]
pub struct PageImage {
    pub label: String,
    pub src: Option<String>,
    pub href: String,
    pub current: bool,
}

/// One verification check.
#[derive(Debug)]
pub struct CheckRow {
    pub name: String,
    pub outcome: String,
    pub outcome_label: String,
    pub words: String,
    /// The verifier's own sentence (English, from core).
    pub detail: String,
    pub measured: Vec<(String, String)>,
}

/// Another capture of the station and form.
#[derive(Debug)]
pub struct OtherRow {
    pub relation: String,
    pub href: String,
    pub hash: String,
    pub page: String,
    pub state: String,
    pub received: String,
    pub superseded: bool,
}

/// A recorded decision.
#[derive(Debug)]
pub struct DecisionView {
    pub action: String,
    pub reason: String,
    pub text: String,
    pub by: String,
    pub at: String,
}

/// A reason code's choice.
#[derive(Debug)]
pub struct ReasonChoice {
    pub code: &'static str,
    pub label: String,
}

#[derive(Debug)]
pub struct ReviewView {
    pub title: String,
    pub hash: String,
    pub board_href: String,
    pub station: String,
    pub form: String,
    pub state: String,
    pub state_class: &'static str,
    pub verdict: String,
    pub pages: Vec<PageImage>,
    pub map_src: String,
    pub has_location: bool,
    pub checks: Vec<CheckRow>,
    pub pending: Vec<String>,
    pub times: Vec<(String, String)>,
    pub zone: String,
    pub device: Vec<(String, String)>,
    pub supersede_reason: String,
    pub others: Vec<OtherRow>,
    pub decisions: Vec<DecisionView>,
    pub latest_decision_id: String,
    pub reject_reasons: Vec<ReasonChoice>,
    pub recapture_reasons: Vec<ReasonChoice>,
    pub decide_action: String,
    pub viewer_script: &'static str,
}

fn measured_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

fn check_row(tr: &Tr, c: &Value) -> Option<CheckRow> {
    let id = c.get("check")?.as_str()?;
    let outcome = c.get("outcome")?.as_str()?;
    let measured = c
        .get("measured")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), measured_text(v)))
                .collect()
        })
        .unwrap_or_default();
    Some(CheckRow {
        name: tr.t(&format!("check-{id}")),
        outcome: outcome.to_owned(),
        outcome_label: tr.t(&format!("check-outcome-{outcome}")),
        words: tr.t(&format!("check-{id}-{outcome}")),
        detail: c
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        measured,
    })
}

fn relation_label(tr: &Tr, relation: &str) -> String {
    tr.t(&format!("review-relation-{relation}"))
}

fn page_label(tr: &Tr, c: &CaptureSummary) -> String {
    tr.t1("review-page", "page", &count(tr.lang, u64::from(c.page)))
}

/// The review page's view.
pub fn review(tr: &Tr, clock: &LocalClock, r: &CaptureReview) -> ReviewView {
    let base = format!("/console/{}/{}", r.election, r.constituency);
    let href = |hash: &str| format!("{base}/captures/{hash}");
    let api = |hash: &str| {
        format!(
            "/api/v1/console/{}/{}/captures/{hash}/image",
            r.election, r.constituency
        )
    };
    // Every page of this capture set: this one and its siblings of the same set.
    let mut set: Vec<&CaptureSummary> = r
        .others
        .iter()
        .map(|o| &o.capture)
        .filter(|c| c.capture_set == r.capture.capture_set)
        .collect();
    set.push(&r.capture);
    set.sort_by_key(|c| c.page);
    let pages = set
        .iter()
        .map(|c| PageImage {
            label: if c.pages > 1 {
                tr.t1("review-page", "page", &count(tr.lang, u64::from(c.page)))
            } else {
                tr.t("review-image")
            },
            src: c.image_received_at_ms.map(|_| api(&c.manifest_hash)),
            href: href(&c.manifest_hash),
            current: c.manifest_hash == r.manifest_hash,
        })
        .collect();
    let checks = r
        .report
        .as_ref()
        .and_then(|rep| rep.get("checks"))
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|c| check_row(tr, c)).collect())
        .unwrap_or_default();
    let pending = r
        .report
        .as_ref()
        .and_then(|rep| rep.get("pending"))
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(|id| tr.t(&format!("check-{id}")))
                .collect()
        })
        .unwrap_or_default();
    let verdict = r
        .report
        .as_ref()
        .and_then(|rep| rep.get("verdict"))
        .and_then(Value::as_str)
        .map(|v| tr.t(&format!("review-verdict-{v}")))
        .unwrap_or_else(|| tr.t("review-verdict-none"));
    let t = &r.times;
    let mut times = vec![(
        tr.t("board-captured"),
        match (t.captured_at_ms, t.capture_time_source) {
            (Some(ms), Some(src)) => format!(
                "{} ({})",
                clock.time(ms),
                tr.t(&format!("review-time-source-{src}"))
            ),
            (Some(ms), None) => clock.time(ms),
            _ => "—".to_owned(),
        },
    )];
    times.push((tr.t("review-device-clock"), clock.time(t.device_time_ms)));
    if let Some(ms) = t.anchored_at_ms {
        times.push((tr.t("review-anchored"), clock.time(ms)));
    }
    times.push((tr.t("board-received"), clock.time(t.received_at_ms)));
    if let Some(ms) = t.image_received_at_ms {
        times.push((tr.t("review-image-received"), clock.time(ms)));
    }
    let d = &r.device;
    let mut device = vec![
        (tr.t("review-device-key"), d.key.clone()),
        (tr.t("review-device-seq"), count(tr.lang, d.seq)),
        (
            tr.t("review-device-prev"),
            d.prev.clone().unwrap_or_else(|| "—".to_owned()),
        ),
    ];
    if let Some(name) = &d.officer_name {
        device.push((tr.t("review-device-officer"), name.clone()));
    }
    if let Some(ms) = d.enrolled_at_ms {
        device.push((tr.t("review-device-enrolled"), clock.time(ms)));
    }
    if let Some(ms) = d.revoked_at_ms {
        device.push((tr.t("review-device-revoked"), clock.time(ms)));
    }
    let others = r
        .others
        .iter()
        .map(|o| OtherRow {
            relation: relation_label(tr, o.relation),
            href: href(&o.capture.manifest_hash),
            hash: o.capture.manifest_hash.chars().take(16).collect(),
            page: page_label(tr, &o.capture),
            state: state_label(tr, o.capture.state),
            received: clock.time(o.capture.received_at_ms),
            superseded: o.capture.superseded_by.is_some(),
        })
        .collect();
    let decisions = r
        .decisions
        .iter()
        .map(|d| DecisionView {
            action: tr.t(&format!("review-action-{}", d.action)),
            reason: d
                .reason_code
                .as_deref()
                .map(|code| tr.t(&format!("review-{}-{code}", reason_list(&d.action))))
                .unwrap_or_default(),
            text: d.reason_text.clone(),
            by: d.actor_id.clone(),
            at: clock.time(d.decided_at_ms),
        })
        .collect();
    let reasons = |list: &[(&'static str, &'static str)], kind: &str| {
        list.iter()
            .map(|(code, _)| ReasonChoice {
                code,
                label: tr.t(&format!("review-{kind}-{code}")),
            })
            .collect()
    };
    ReviewView {
        title: tr.t1(
            "review-title",
            "station",
            &count(tr.lang, u64::from(r.station.number)),
        ),
        hash: r.manifest_hash.clone(),
        board_href: format!("{base}/board"),
        station: format!(
            "{} {}",
            count(tr.lang, u64::from(r.station.number)),
            r.station.name
        ),
        form: form_label(tr, &r.form),
        state: state_label(tr, r.capture.state),
        state_class: r.capture.state.as_str(),
        verdict,
        pages,
        map_src: format!(
            "/api/v1/console/{}/{}/captures/{}/map.svg",
            r.election, r.constituency, r.manifest_hash
        ),
        has_location: r.station.location.is_some(),
        checks,
        pending,
        times,
        zone: clock.label.clone(),
        device,
        supersede_reason: r.capture.supersede_reason.clone().unwrap_or_default(),
        others,
        decisions,
        latest_decision_id: r.latest_decision_id.clone().unwrap_or_default(),
        reject_reasons: reasons(REJECT_REASONS, "reject"),
        recapture_reasons: reasons(RECAPTURE_REASONS, "recapture"),
        decide_action: format!("{base}/captures/{}/decisions", r.manifest_hash),
        viewer_script: &super::assets::VIEWER_JS.url,
    }
}

/// The catalogue prefix of an action's reason codes.
fn reason_list(action: &str) -> &'static str {
    if action == "recapture" {
        "recapture"
    } else {
        "reject"
    }
}
