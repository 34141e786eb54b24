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
