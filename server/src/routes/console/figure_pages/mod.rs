//! The figures pages of the console (HTML, readable without JavaScript; htmx only checks the
//! rules as an operator types): blind double entry, the RO's corrections, quarantine, and
//! Forms 47, 48 and 49 with their printable A4 page. Thin: each handler authorises
//! ([`guard`]: role **and** constituency), parses the form, calls [`crate::figures`] and renders
//! a template of `templates/console/figures/`. The session layer has already refused a
//! state-changing request without the session's anti-forgery token.
//!
//! Under `/console/{election}/{constituency}`:
//! - [`entry`]: `entries`, `entries/{hash}/{slot}/claim`, `entries/{hash}/{slot}` (GET, POST),
//!   `entries/{hash}/{slot}/validate` (htmx);
//! - [`corrections`]: `corrections`, `corrections/{hash}` (GET, POST);
//! - [`quarantine`]: `quarantine`, `quarantine/{hash}/release`;
//! - [`forms`]: `forms/{form}`, `forms/{form}/sign`, `forms/{form}/print`,
//!   `forms/{form}/versions/{n}/print`, `postal-ballots`.

mod corrections;
mod entry;
mod form_view;
mod forms;
mod quarantine;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::accounts::{Actor, ConstituencyRef, Permission, authorize};
use crate::error::ApiError;
use crate::figures::FiguresError;
use crate::web::page;

/// The pages' routes, inside the `/console` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let base = "/{election}/{constituency}";
    cfg.route(&format!("{base}/entries"), web::get().to(entry::list))
        .route(
            &format!("{base}/entries/{{hash}}/{{slot}}/claim"),
            web::post().to(entry::claim),
        )
        .route(
            &format!("{base}/entries/{{hash}}/{{slot}}"),
            web::get().to(entry::show),
        )
        .route(
            &format!("{base}/entries/{{hash}}/{{slot}}"),
            web::post().to(entry::save),
        )
        .route(
            &format!("{base}/entries/{{hash}}/{{slot}}/validate"),
            web::post().to(entry::validate),
        )
        .route(
            &format!("{base}/corrections"),
            web::get().to(corrections::list),
        )
        .route(
            &format!("{base}/corrections/{{hash}}"),
            web::get().to(corrections::show),
        )
        .route(
            &format!("{base}/corrections/{{hash}}"),
            web::post().to(corrections::settle),
        )
        .route(
            &format!("{base}/quarantine"),
            web::get().to(quarantine::list),
        )
        .route(
            &format!("{base}/quarantine/{{hash}}/release"),
            web::post().to(quarantine::release),
        )
        .route(
            &format!("{base}/forms/{{form}}"),
            web::get().to(forms::show),
        )
        .route(
            &format!("{base}/forms/{{form}}/sign"),
            web::post().to(forms::sign),
        )
        .route(
            &format!("{base}/forms/{{form}}/print"),
            web::get().to(forms::print_preview),
        )
        .route(
            &format!("{base}/forms/{{form}}/versions/{{n}}/print"),
            web::get().to(forms::print_version),
        )
        .route(
            &format!("{base}/postal-ballots"),
            web::post().to(forms::postal),
        );
}

/// Who is asking, and where.
pub(super) struct PageActor {
    pub actor: Actor,
    pub c: ConstituencyRef,
}

/// The signed-in user allowed `permission` in the path's constituency, or the answer for anyone
/// else: to the sign-in page, or the 403 page (nothing read or stored).
pub(super) fn guard(
    req: &HttpRequest,
    permission: Permission,
    election: &str,
    constituency: &str,
) -> Result<PageActor, Box<HttpResponse>> {
    let Some(s) = super::signed_in(req) else {
        return Err(Box::new(super::to_login()));
    };
    let actor = s.account.actor();
    let c = ConstituencyRef::new(election, constituency);
    if !authorize(&actor, permission, Some(&c)) {
        return Err(Box::new(page::status_page(req, StatusCode::FORBIDDEN)));
    }
    Ok(PageActor { actor, c })
}

/// [`guard`], then the capture's manifest hash from the path ([`hash_of`]).
pub(super) fn guard_capture(
    req: &HttpRequest,
    permission: Permission,
    election: &str,
    constituency: &str,
    hash: &str,
) -> Result<(PageActor, String), Box<HttpResponse>> {
    let actor = guard(req, permission, election, constituency)?;
    Ok((actor, hash_of(req, hash)?))
}

/// A manifest hash from a path, or the 404 page.
pub(super) fn hash_of(req: &HttpRequest, s: &str) -> Result<String, Box<HttpResponse>> {
    super::manifest_hash(s).map_err(|_| Box::new(page::status_page(req, StatusCode::NOT_FOUND)))
}

/// The plain error page for a refusal of the figures domain (its status, its message).
pub(super) fn api_page(req: &HttpRequest, e: &ApiError) -> HttpResponse {
    use actix_web::ResponseError;
    let status = e.status_code();
    if status.is_server_error() {
        log::error!("figures page: {}", e.detail);
        return page::error_page(req, status, "error-title");
    }
    page::status_page(req, status)
}

/// The plain error page for a figures refusal that is not handled on its page.
pub(super) fn figures_page(req: &HttpRequest, e: &FiguresError) -> HttpResponse {
    match e {
        FiguresError::Api(e) => api_page(req, e),
        FiguresError::Stale { .. } => page::status_page(req, StatusCode::CONFLICT),
    }
}

/// A fresh record id for a form (the same id on a resubmitted form is the same record).
pub(super) fn record_id() -> String {
    crate::random_hex(16).unwrap_or_else(|_| format!("t{}", crate::now_ms()))
}

/// The node a page's records are made on.
pub(super) const ORIGIN: &str = "console";

/// A urlencoded form body as pairs (an unreadable body: none).
pub(super) fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The first value of `name` in a form.
pub(super) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A redirect after a successful POST.
pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.to_owned()))
        .finish()
}

/// The catalogue key of a figure's label (`candidate_<n>` is labelled with the candidate).
pub(super) fn field_key(name: &str) -> &'static str {
    match name {
        "registered_male" => "fig-registered-male",
        "registered_female" => "fig-registered-female",
        "registered_transgender" => "fig-registered-transgender",
        "polled_male" => "fig-polled-male",
        "polled_female" => "fig-polled-female",
        "polled_transgender" => "fig-polled-transgender",
        "total_valid" => "fig-total-valid",
        "rejected" => "fig-rejected",
        "total_polled" => "fig-total-polled",
        "ballots_received" => "fig-ballots-received",
        "ballots_issued" => "fig-ballots-issued",
        "ballots_spoilt" => "fig-ballots-spoilt",
        "ballots_tendered" => "fig-ballots-tendered",
        "ballots_unused" => "fig-ballots-unused",
        "ballots_in_boxes" => "fig-ballots-in-boxes",
        _ => "fig-candidate",
    }
}

/// A figure's label in the page's language: a candidate's ballot number and name.
pub(super) fn field_label(
    tr: &crate::i18n::Tr,
    name: &str,
    candidates: &[tallyseal_core::model::Candidate],
) -> String {
    if let Some(n) = name
        .strip_prefix("candidate_")
        .and_then(|n| n.parse::<u32>().ok())
    {
        let who = candidates
            .iter()
            .find(|c| c.ballot_no == n)
            .map(|c| format!("{n}. {} ({})", c.name, c.party))
            .unwrap_or_else(|| n.to_string());
        return tr.t1("fig-candidate", "who", &who);
    }
    tr.t(field_key(name))
}

/// The catalogue text of a broken Form-45/46 rule.
pub(super) fn rule_text(tr: &crate::i18n::Tr, rule: &str) -> String {
    tr.t(&format!("rule-{}", rule.replace('_', "-")))
}

/// A quarantine finding in plain words.
pub(super) fn finding_text(tr: &crate::i18n::Tr, code: &str) -> String {
    if let Some(rule) = code.strip_prefix("rule:") {
        return rule_text(tr, rule);
    }
    if let Some(check) = code.strip_prefix("failed_check:") {
        return tr.t1("finding-failed-check", "check", check);
    }
    tr.t(&format!("finding-{}", code.replace('_', "-")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, keys};

    /// Every key the pages build from a code (rules, findings, reasons awaited, figures) is in
    /// both catalogues.
    #[test]
    fn every_built_key_is_in_both_catalogues() {
        let mut built: Vec<String> = tallyseal_core::form::FormRule::ALL
            .iter()
            .map(|r| format!("rule-{}", r.as_str().replace('_', "-")))
            .collect();
        for code in [
            "polled_above_roll",
            "turnout_outlier",
            "identical_counts",
            "women_turnout_under_10",
            "disagrees_with_sealed",
        ] {
            built.push(format!("finding-{}", code.replace('_', "-")));
        }
        for reason in [
            "no_capture",
            "not_accepted",
            "entry_pending",
            "corrections_pending",
            "quarantined",
        ] {
            built.push(format!("awaited-{}", reason.replace('_', "-")));
        }
        for kind in [
            tallyseal_core::form::FormKind::Form45,
            tallyseal_core::form::FormKind::Form46,
        ] {
            for name in crate::figures::fields::FieldSet::new(kind, &[]).names {
                built.push(field_key(&name).to_owned());
            }
        }
        for lang in Lang::ALL {
            let have = keys(lang);
            let missing: Vec<_> = built.iter().filter(|k| !have.contains(*k)).collect();
            assert!(missing.is_empty(), "{}: {missing:?}", lang.code());
        }
        let field = crate::figures::fields::invalid_field("figures.candidate_4", "no such field");
        assert_eq!(
            entry::named_field(&field).as_deref(),
            Some("figures.candidate_4")
        );
    }
}
