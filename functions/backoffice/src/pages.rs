//! The console's templates (askama, extending the portal's layout) and what
//! every page shares.

use askama::Template;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use shared::domain::access::Role;
use shared::domain::Lang;
use shared::http::ApiError;
use shared::web::{self, Ctx};
use shared::App;

use crate::{Caller, EcView};

/// What the console's layout shows on every page.
pub struct Console {
    pub lang: Lang,
    pub operator: String,
    pub ecs: Vec<EcView>,
    pub ec: Option<EcView>,
    /// The section of the navigation the page belongs to.
    pub tab: &'static str,
}

impl Console {
    pub fn new(ctx: &Ctx, caller: &Caller, tab: &'static str) -> Self {
        Self {
            lang: ctx.lang,
            operator: caller.operator.clone(),
            ec: caller
                .ecs
                .iter()
                .find(|e| e.code == caller.ec.as_str())
                .cloned(),
            ecs: caller.ecs.clone(),
            tab,
        }
    }

    pub fn tr(&self, it: &'static str, en: &'static str) -> &'static str {
        crate::tr(self.lang, it, en)
    }

    pub fn role_label(&self, r: &Role) -> &'static str {
        role_label(self.lang, *r)
    }

    /// `/backoffice/{ec}`.
    pub fn base(&self) -> String {
        match &self.ec {
            Some(e) => format!("/backoffice/{}", e.code),
            None => "/backoffice".into(),
        }
    }

    fn role(&self) -> Role {
        self.ec.as_ref().map(|e| e.role).unwrap_or(Role::ReadOnly)
    }

    pub fn can_write(&self) -> bool {
        self.role().allows(Role::Operator)
    }

    pub fn can_admin(&self) -> bool {
        self.role().allows(Role::Admin)
    }
}

pub fn role_label(lang: Lang, r: Role) -> &'static str {
    match r {
        Role::ReadOnly => crate::tr(lang, "sola lettura", "read-only"),
        Role::Operator => crate::tr(lang, "operatore", "operator"),
        Role::Admin => crate::tr(lang, "amministratore", "administrator"),
    }
}

/// Renders a console page.
pub fn render(app: &App, ctx: &Ctx, status: StatusCode, t: &impl Template) -> Response<Body> {
    web::render(app, ctx, status, t)
}

#[derive(Template)]
#[template(path = "bo_message.html")]
pub struct Message<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub title: &'static str,
    pub message: String,
}

/// Signed in, but allowed to act for no EC.
pub fn no_access(app: &App, ctx: &Ctx, operator: &str) -> Response<Body> {
    let c = Console {
        lang: ctx.lang,
        operator: operator.to_owned(),
        ecs: vec![],
        ec: None,
        tab: "",
    };
    let page = Message {
        title: c.tr("Accesso non consentito", "Access not allowed"),
        message: c
            .tr(
                "Il tuo codice fiscale non è abilitato a operare per alcun ente creditore. Chiedi all'amministratore del portale di abilitarti.",
                "Your fiscal code is not allowed to act for any creditor body. Ask the portal's administrator to enable you.",
            )
            .to_owned(),
        ctx,
        c,
    };
    render(app, ctx, StatusCode::FORBIDDEN, &page)
}

#[derive(Template)]
#[template(path = "bo_choose.html")]
pub struct Choose<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
}

pub fn choose_ec(
    app: &App,
    ctx: &Ctx,
    operator: &str,
    ecs: &[EcView],
) -> Result<Response<Body>, ApiError> {
    let page = Choose {
        ctx,
        c: Console {
            lang: ctx.lang,
            operator: operator.to_owned(),
            ecs: ecs.to_vec(),
            ec: None,
            tab: "",
        },
    };
    Ok(render(app, ctx, StatusCode::OK, &page))
}

/// A status as a badge.
pub struct Badge {
    pub label: &'static str,
    pub class: &'static str,
}

pub fn status_badge(ctx: &Ctx, s: shared::domain::NoticeStatus) -> Badge {
    let (label, _, class) = web::status_view(ctx.t, s);
    Badge { label, class }
}

/// One position in the search results.
pub struct PositionRow {
    pub iupd: String,
    pub href: String,
    pub debtor: String,
    pub fiscal_code: String,
    pub description: String,
    pub service: String,
    pub amount: String,
    pub due: String,
    pub status: Badge,
}

/// A form input and its error.
pub struct Input {
    pub name: String,
    pub value: String,
    pub error: Option<String>,
}

impl Input {
    pub fn new(
        name: impl Into<String>,
        value: impl Into<String>,
        errors: &shared::domain::FieldErrors,
    ) -> Self {
        let name = name.into();
        Self {
            error: crate::error_of(errors, &name),
            name,
            value: value.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "bo_positions.html")]
pub struct Positions<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub avviso: Input,
    pub iuv: Input,
    pub iupd: Input,
    pub cf: Input,
    pub stato: Input,
    pub scadenza_da: Input,
    pub scadenza_a: Input,
    pub searched: bool,
    pub rows: Vec<PositionRow>,
    /// The next page's address.
    pub next: Option<String>,
    pub statuses: Vec<(&'static str, &'static str)>,
}

/// One receipt of an option.
pub struct ReceiptView {
    pub id: String,
    pub received: String,
    pub psp: String,
    pub pdf_href: String,
    pub xml_href: String,
    pub pdf_ready: bool,
    pub mail: Badge,
    pub mail_detail: Option<String>,
    pub anomaly: Option<String>,
}

/// One option (notice) of a position.
pub struct OptionView {
    pub notice: String,
    pub iuv: String,
    pub amount: String,
    pub due: String,
    pub description: String,
    pub installment: bool,
    pub status: Badge,
    pub receipts: Vec<ReceiptView>,
    pub reported: Option<String>,
}

pub struct AnomalyView {
    pub kind: String,
    pub message: String,
    pub iuv: String,
    pub flow: String,
    pub detected: String,
}

#[derive(Template)]
#[template(path = "bo_position.html")]
pub struct PositionPage<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub iupd: String,
    pub description: String,
    pub service: String,
    pub debtor: String,
    pub fiscal_code: String,
    pub email: String,
    pub created: String,
    pub status: Badge,
    pub options: Vec<OptionView>,
    pub anomalies: Vec<AnomalyView>,
    pub editable: bool,
    pub outcome: Option<&'static str>,
}

/// One option in the edit form.
pub struct OptionInput {
    pub notice: String,
    pub amount: Input,
    pub due: Input,
    pub description: Input,
    /// Split across several transfers: the amount is changed through the API.
    pub amount_fixed: bool,
}

#[derive(Template)]
#[template(path = "bo_position_edit.html")]
pub struct PositionEdit<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub iupd: String,
    pub description: Input,
    pub full_name: Input,
    pub email: Input,
    pub options: Vec<OptionInput>,
    pub errors: Vec<String>,
}

pub struct ImportRow {
    pub id: String,
    pub href: String,
    pub created: String,
    pub format: String,
    pub status: Badge,
    pub rows: String,
}

#[derive(Template)]
#[template(path = "bo_imports.html")]
pub struct Imports<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub rows: Vec<ImportRow>,
    pub error: Option<String>,
    pub max_mb: usize,
}

#[derive(Template)]
#[template(path = "bo_import.html")]
pub struct ImportPage<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub id: String,
    pub status: Badge,
    pub running: bool,
    pub percent: u64,
    pub rows_done: u64,
    pub rows_created: u64,
    pub rows_unchanged: u64,
    pub rows_failed: u64,
    pub errors: Vec<shared::domain::import::RowError>,
    pub more_errors: bool,
    pub report_href: Option<String>,
    pub failure: Option<String>,
    pub status_href: String,
}

pub struct ServiceTotal {
    pub code: String,
    pub name: String,
    pub count: u64,
    pub cents: u64,
    pub amount: String,
}

pub struct FlowRow {
    pub id: String,
    pub psp: String,
    pub published: String,
    pub regulation_date: String,
    pub amount: String,
    pub lines: u64,
    pub matched: u64,
    pub anomalies: u64,
}

#[derive(Template)]
#[template(path = "bo_payments.html")]
pub struct Payments<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub da: Input,
    pub a: Input,
    pub chart: Option<String>,
    pub service_chart: Option<String>,
    pub total: String,
    pub total_count: u64,
    pub reported: String,
    pub reported_count: u64,
    pub not_reported: String,
    pub not_reported_count: u64,
    pub per_service: Vec<ServiceTotal>,
    pub flows: Vec<FlowRow>,
    pub anomalies: Vec<AnomalyView>,
    pub export_query: String,
    pub can_reconcile: bool,
    pub outcome: Option<&'static str>,
}

pub struct ServiceRow {
    pub code: String,
    pub href: String,
    pub name: String,
    pub spontaneous: bool,
    pub amount: String,
    pub fields: usize,
}

#[derive(Template)]
#[template(path = "bo_catalogue.html")]
pub struct Catalogue<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub rows: Vec<ServiceRow>,
    pub outcome: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "bo_service.html")]
pub struct ServiceEdit<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub new: bool,
    pub code: Input,
    pub name: Input,
    pub name_en: Input,
    pub description: Input,
    pub description_en: Input,
    pub spontaneous: bool,
    pub demand_service_id: Input,
    pub category: Input,
    pub iban: Input,
    pub postal_iban: Input,
    pub due_days: Input,
    pub amount_kind: String,
    pub fixed: Input,
    pub min: Input,
    pub max: Input,
    /// The payment's description, from the form's values (`{field}`).
    pub form_description: Input,
    pub fields: Vec<crate::form_editor::FieldInput>,
    /// Field kinds: the catalogue's name and the page's.
    pub kinds: Vec<(&'static str, &'static str)>,
    pub errors: Vec<String>,
}

pub struct KeyRow {
    pub id: String,
    pub created: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "bo_keys.html")]
pub struct Keys<'a> {
    pub ctx: &'a Ctx,
    pub c: Console,
    pub rows: Vec<KeyRow>,
    pub issued: Option<String>,
    pub error: Option<String>,
    pub outcome: Option<&'static str>,
}
