//! The templates of the pages (askama: compiled and type-checked).

use askama::Template;

use super::Ctx;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub ctx: &'a Ctx,
    pub title: &'a str,
    pub message: &'a str,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home<'a> {
    pub ctx: &'a Ctx,
}

#[derive(Template)]
#[template(path = "privacy.html")]
pub struct Privacy<'a> {
    pub ctx: &'a Ctx,
}

#[derive(Template)]
#[template(path = "notice_form.html")]
pub struct NoticeForm<'a> {
    pub ctx: &'a Ctx,
    pub step: u8,
    pub notice: &'a str,
    pub fiscal_code: &'a str,
    pub notice_error: Option<String>,
    pub cf_error: Option<String>,
    pub errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "notice_debtor.html")]
pub struct NoticeDebtor<'a> {
    pub ctx: &'a Ctx,
    pub step: u8,
    pub notice: &'a str,
    pub fiscal_code: &'a str,
    pub subject_type: &'a str,
    pub full_name: &'a str,
    pub privacy_error: bool,
}

/// What the summary (riepilogo) shows of one notice.
pub struct SummaryView {
    pub notice: String,
    pub notice_grouped: String,
    pub fiscal_code: String,
    pub iuv: String,
    pub ec_name: String,
    pub service: String,
    pub holder: String,
    pub amount: String,
    pub due_date: String,
    pub status_label: &'static str,
    pub status_text: Option<&'static str>,
    pub badge: &'static str,
    pub payable: bool,
    pub printable: bool,
    pub paid: bool,
}

#[derive(Template)]
#[template(path = "notice_summary.html")]
pub struct NoticeSummaryPage<'a> {
    pub ctx: &'a Ctx,
    pub step: u8,
    pub s: SummaryView,
}

/// One notice in the cart or in a payment outcome.
pub struct ItemView {
    pub notice: String,
    pub notice_grouped: String,
    pub fiscal_code: String,
    pub ec_name: String,
    pub description: String,
    pub amount: String,
    pub status_label: &'static str,
    pub paid: bool,
}

#[derive(Template)]
#[template(path = "cart.html")]
pub struct CartPage<'a> {
    pub ctx: &'a Ctx,
    pub items: Vec<ItemView>,
    pub total: String,
    pub email: &'a str,
    pub email_error: Option<String>,
    pub message: Option<String>,
}

#[derive(Template)]
#[template(path = "outcome.html")]
pub struct OutcomePage<'a> {
    pub ctx: &'a Ctx,
    pub title: &'a str,
    pub text: &'a str,
    pub alert: &'a str,
    pub items: Vec<ItemView>,
    pub refresh: bool,
    pub retry: bool,
    pub self_url: String,
    /// The payment being verified, for the page's optional status poller.
    pub payment_id: String,
}

#[derive(Template)]
#[template(path = "receipt_form.html")]
pub struct ReceiptForm<'a> {
    pub ctx: &'a Ctx,
    pub notice: &'a str,
    pub fiscal_code: &'a str,
    pub notice_error: Option<String>,
    pub cf_error: Option<String>,
    pub message: Option<String>,
}

/// One service in the spontaneous-payment list.
pub struct ServiceItem {
    pub name: String,
    pub description: String,
    pub amount: String,
    pub url: String,
}

/// An EC and its services that match the search.
pub struct EcServices {
    pub ec_name: String,
    pub services: Vec<ServiceItem>,
}

#[derive(Template)]
#[template(path = "spontaneous_list.html")]
pub struct SpontaneousList<'a> {
    pub ctx: &'a Ctx,
    pub step: u8,
    pub query: &'a str,
    pub groups: Vec<EcServices>,
    pub count: usize,
}

pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One input of a service's form.
pub struct FieldView {
    pub id: String,
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    pub textarea: bool,
    pub select: bool,
    pub input_type: &'static str,
    pub inputmode: Option<&'static str>,
    pub uppercase: bool,
    pub autocomplete: &'static str,
    pub required: bool,
    pub pattern: Option<String>,
    pub maxlength: Option<u32>,
    pub options: Vec<OptionView>,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "spontaneous_form.html")]
pub struct SpontaneousForm<'a> {
    pub ctx: &'a Ctx,
    pub step: u8,
    pub action: String,
    pub ec_name: String,
    pub name: String,
    pub description: String,
    pub amount_text: String,
    pub amount_free: bool,
    pub legal: bool,
    /// What was entered, by input id.
    pub values: std::collections::BTreeMap<String, String>,
    /// Errors, by input id.
    pub field_errors: std::collections::BTreeMap<String, String>,
    pub debtor_fields: Vec<FieldView>,
    /// The service's own fields, and the amount when it is free.
    pub fields: Vec<FieldView>,
    pub key: &'a str,
    /// Every error, for the summary at the top: (input id, message).
    pub errors: Vec<(String, String)>,
}

impl SpontaneousForm<'_> {
    pub fn value(&self, id: &str) -> &str {
        self.values.get(id).map(String::as_str).unwrap_or("")
    }
    pub fn error(&self, id: &str) -> Option<&str> {
        self.field_errors.get(id).map(String::as_str)
    }
    pub fn label_of(&self, id: &str) -> String {
        let t = self.ctx.t;
        match id {
            "debtor-type" => t.subject_type.into(),
            "debtor-fiscalCode" => t.fiscal_code.into(),
            "debtor-fullName" => t.full_name_or_company.into(),
            "debtor-email" => t.email_optional.into(),
            "amount" => t.amount.into(),
            "privacy" => t.privacy.into(),
            other => self
                .fields
                .iter()
                .find(|f| f.id == other)
                .map(|f| f.label.clone())
                .unwrap_or_default(),
        }
    }
}

/// One line of the reserved area's lists.
pub struct MyRow {
    pub notice: String,
    pub notice_grouped: String,
    pub ec_name: String,
    pub description: String,
    pub amount: String,
    pub due_date: String,
    pub paid_on: String,
    pub status_label: &'static str,
    pub badge: &'static str,
    /// The notice's page in the reserved area (empty for others' notices).
    pub url: String,
    /// Whose notice it was, for receipts paid on somebody else's behalf.
    pub debtor_name: String,
}

#[derive(Template)]
#[template(path = "my_positions.html")]
pub struct MyPositionsPage<'a> {
    pub ctx: &'a Ctx,
    pub user: String,
    pub method: String,
    pub fiscal_code: String,
    pub to_pay: Vec<MyRow>,
    pub expired: Vec<MyRow>,
    pub paid: Vec<MyRow>,
    pub paid_for_others: Vec<MyRow>,
    pub created_without_login: Vec<MyRow>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub ctx: &'a Ctx,
    pub enabled: bool,
    /// Where CNS login starts (its own host, with a client certificate), if offered.
    pub cns_url: Option<String>,
    pub message: Option<&'a str>,
    pub alert: &'a str,
    pub dev: bool,
    /// The reserved-area page to land on after login, when not its start.
    pub landing: Option<String>,
    /// The login leads to the operators' console.
    pub operator: bool,
}
