//! The portal's templates (`server/templates/portal/`), one per page: each gets the page
//! context and its view model, and only loops over them.

use askama::Template;

use crate::portal::constituency::ConstituencyView;
use crate::portal::context::PortalContext;
use crate::portal::ledger_page::LedgerView;
use crate::portal::national::{ElectionView, ElectionsView};
use crate::portal::station::StationView;

#[derive(Template)]
#[template(path = "portal/elections.html")]
struct ElectionsPage<'a> {
    ctx: &'a PortalContext,
    v: ElectionsView,
}

#[derive(Template)]
#[template(path = "portal/election.html")]
struct ElectionPage<'a> {
    ctx: &'a PortalContext,
    v: ElectionView,
}

#[derive(Template)]
#[template(path = "portal/constituency.html")]
struct ConstituencyPage<'a> {
    ctx: &'a PortalContext,
    v: ConstituencyView,
}

#[derive(Template)]
#[template(path = "portal/station.html")]
struct StationPage<'a> {
    ctx: &'a PortalContext,
    v: StationView,
}

#[derive(Template)]
#[template(path = "portal/ledger.html")]
struct LedgerPage<'a> {
    ctx: &'a PortalContext,
    v: LedgerView,
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage<'a> {
    ctx: &'a PortalContext,
    message_key: &'a str,
}

pub fn elections(ctx: &PortalContext, v: ElectionsView) -> Result<String, askama::Error> {
    ElectionsPage { ctx, v }.render()
}

pub fn election(ctx: &PortalContext, v: ElectionView) -> Result<String, askama::Error> {
    ElectionPage { ctx, v }.render()
}

pub fn constituency(ctx: &PortalContext, v: ConstituencyView) -> Result<String, askama::Error> {
    ConstituencyPage { ctx, v }.render()
}

pub fn station(ctx: &PortalContext, v: StationView) -> Result<String, askama::Error> {
    StationPage { ctx, v }.render()
}

pub fn ledger(ctx: &PortalContext, v: LedgerView) -> Result<String, askama::Error> {
    LedgerPage { ctx, v }.render()
}

pub fn error(ctx: &PortalContext, message_key: &str) -> Result<String, askama::Error> {
    ErrorPage { ctx, message_key }.render()
}
