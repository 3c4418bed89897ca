//! `/console/operators`: an RO (or the administrator) creates and disables data-entry operator
//! accounts for their own constituencies (`ManageOperators`). The new account's password is
//! generated and shown once, on the answer to the creating request.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::{
    self, Account, AccountError, ConstituencyRef, Permission, Scope, SignedIn, authorize,
};
use crate::state::AppState;
use crate::web::page::{self, PageContext};

/// An operator as listed.
#[derive(Debug)]
struct OperatorView {
    user_id: String,
    login: String,
    scope: String,
    disabled: bool,
}

#[derive(Debug)]
struct Created {
    login: String,
    password: String,
}

#[derive(Debug, Template)]
#[template(path = "console/operators.html")]
struct OperatorsPage<'a> {
    ctx: &'a PageContext,
    operators: Vec<OperatorView>,
    /// The constituencies to choose from (empty: the actor covers all; free fields instead).
    choices: Vec<ConstituencyRef>,
    created: Option<Created>,
    notice: Option<String>,
    error: Option<String>,
    login: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CreateForm {
    login: String,
    /// `election/code` from the list, or the code alone with `election`.
    constituency: String,
    election: String,
}

/// What a page shows besides the list.
#[derive(Debug, Default)]
struct Outcome {
    created: Option<Created>,
    notice: Option<String>,
    error: Option<String>,
    login: String,
}

fn view(a: &Account) -> OperatorView {
    let scope = match &a.scope {
        Scope::All => "*".to_owned(),
        Scope::Constituencies(list) => list
            .iter()
            .map(|c| format!("{}/{}", c.election, c.code))
            .collect::<Vec<_>>()
            .join(", "),
    };
    OperatorView {
        user_id: a.user_id.clone(),
        login: a.login.clone(),
        scope,
        disabled: a.disabled,
    }
}

/// The signed-in user allowed to manage operators, or the answer for anyone else (to the
/// sign-in page, or 403).
fn allowed(req: &HttpRequest) -> Result<SignedIn, Box<HttpResponse>> {
    let Some(s) = super::signed_in(req) else {
        return Err(Box::new(super::to_login()));
    };
    if !authorize(&s.account.actor(), Permission::ManageOperators, None) {
        return Err(Box::new(page::status_page(req, StatusCode::FORBIDDEN)));
    }
    Ok(s)
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    s: &SignedIn,
    status: StatusCode,
    outcome: Outcome,
) -> HttpResponse {
    let actor = s.account.actor();
    let operators = match accounts::operators_for(&state.db, &actor).await {
        Ok(list) => list.iter().map(view).collect(),
        Err(e) => return failure(req, e),
    };
    let choices = match &actor.scope {
        Scope::All => Vec::new(),
        Scope::Constituencies(list) => list.clone(),
    };
    let ctx = PageContext::new(req);
    let page = OperatorsPage {
        ctx: &ctx,
        operators,
        choices,
        created: outcome.created,
        notice: outcome.notice,
        error: outcome.error,
        login: outcome.login,
    };
    ctx.respond(status, page.render())
}

fn failure(req: &HttpRequest, e: AccountError) -> HttpResponse {
    match e {
        AccountError::Forbidden => page::status_page(req, StatusCode::FORBIDDEN),
        AccountError::UnknownAccount => page::status_page(req, StatusCode::NOT_FOUND),
        other => {
            log::error!("operators page: {other}");
            page::error_page(req, StatusCode::SERVICE_UNAVAILABLE, "error-title")
        }
    }
}

/// `GET /console/operators`.
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match allowed(&req) {
        Ok(s) => render(&req, &state, &s, StatusCode::OK, Outcome::default()).await,
        Err(resp) => *resp,
    }
}

/// `POST /console/operators`: create an operator for one of the actor's constituencies.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> HttpResponse {
    let s = match allowed(&req) {
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    let form: CreateForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let constituency = match form.constituency.split_once('/') {
        Some((e, c)) if form.election.is_empty() => ConstituencyRef::new(e.trim(), c.trim()),
        _ => ConstituencyRef::new(form.election.trim(), form.constituency.trim()),
    };
    let tr = PageContext::new(&req).tr;
    let mut outcome = Outcome {
        login: form.login.clone(),
        ..Outcome::default()
    };
    if constituency.election.is_empty() || constituency.code.is_empty() {
        outcome.error = Some(tr.t("error-422"));
        return render(&req, &state, &s, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
    }
    let actor = s.account.actor();
    match accounts::create_operator(&state.db, &actor, form.login.trim(), &constituency).await {
        Ok(created) => {
            outcome.login.clear();
            outcome.created = Some(Created {
                login: created.account.login,
                password: created.generated_password.unwrap_or_default(),
            });
            render(&req, &state, &s, StatusCode::OK, outcome).await
        }
        Err(e @ (AccountError::InvalidLogin | AccountError::EmptyScope)) => {
            outcome.error = Some(format!("{} {e}", tr.t("error-422")));
            render(&req, &state, &s, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(AccountError::LoginTaken) => {
            outcome.error = Some(tr.t("error-409"));
            render(&req, &state, &s, StatusCode::CONFLICT, outcome).await
        }
        Err(e) => failure(&req, e),
    }
}

/// `POST /console/operators/{user_id}/disable`.
pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    user_id: web::Path<String>,
) -> HttpResponse {
    let s = match allowed(&req) {
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    match accounts::disable_operator(&state.db, &s.account.actor(), &user_id).await {
        Ok(account) => {
            let tr = PageContext::new(&req).tr;
            let outcome = Outcome {
                notice: Some(tr.t1("operators-disabled-done", "login", &account.login)),
                ..Outcome::default()
            };
            render(&req, &state, &s, StatusCode::OK, outcome).await
        }
        Err(e) => failure(&req, e),
    }
}
