//! The EC's operator API keys, for the EC's administrators: issue (shown
//! once), list, revoke. The same use cases as the admin API's.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::domain::access::Role;
use shared::http::ApiError;
use shared::service::keys::{self, KeyError};
use shared::web::{read_form, Ctx};
use shared::App;

use crate::pages::{self, Console, KeyRow};
use crate::{tr, Caller};

/// What the page shows beside the list, after an action.
#[derive(Default)]
pub struct Shown {
    pub status: Option<StatusCode>,
    /// A key just issued (shown once).
    pub issued: Option<String>,
    pub error: Option<String>,
    pub outcome: Option<&'static str>,
}

pub async fn page(
    app: &App,
    ctx: &Ctx,
    caller: &Caller,
    shown: Shown,
) -> Result<Response<Body>, ApiError> {
    caller.require(Role::Admin)?;
    let rows = keys::list(app, &caller.ec)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.key_id,
            created: shared::web::date(ctx.lang, shared::domain::clock::rome_date(k.created_at)),
            label: k.label.unwrap_or_default(),
        })
        .collect();
    let page = pages::Keys {
        c: Console::new(ctx, caller, "chiavi"),
        rows,
        issued: shown.issued,
        error: shown.error,
        outcome: shown.outcome,
        ctx,
    };
    Ok(pages::render(
        app,
        ctx,
        shown.status.unwrap_or(StatusCode::OK),
        &page,
    ))
}

pub async fn act(
    app: &App,
    ctx: &Ctx,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let form = read_form(app, req)?;
    caller.require(Role::Admin)?;
    let l = ctx.lang;
    match form.get("azione") {
        "crea" => {
            let label = Some(form.get("label")).filter(|l| !l.trim().is_empty());
            match keys::issue(app, &caller.ec, label).await {
                Ok(k) => {
                    tracing::info!(ec = %caller.ec, key_id = %k.record.key_id, "console: key issued");
                    page(
                        app,
                        ctx,
                        caller,
                        Shown {
                            status: Some(StatusCode::CREATED),
                            issued: Some(k.key),
                            ..Shown::default()
                        },
                    )
                    .await
                }
                Err(e @ (KeyError::LimitReached | KeyError::InvalidLabel)) => {
                    let m = ApiError::from(e).to_string();
                    page(
                        app,
                        ctx,
                        caller,
                        Shown {
                            status: Some(StatusCode::CONFLICT),
                            error: Some(m),
                            ..Shown::default()
                        },
                    )
                    .await
                }
                Err(e) => Err(e.into()),
            }
        }
        "revoca" => {
            keys::revoke(app, &caller.ec, form.get("chiave")).await?;
            let done = tr(l, "Chiave revocata.", "Key revoked.");
            page(
                app,
                ctx,
                caller,
                Shown {
                    outcome: Some(done),
                    ..Shown::default()
                },
            )
            .await
        }
        _ => Err(ApiError::NotFound("azione non prevista".into())),
    }
}
