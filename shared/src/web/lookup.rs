//! A citizen's lookup by notice code and fiscal code, as every page form that
//! takes them does it: the per-client limit first, then both fields parsed,
//! each error in the page's language.

use lambda_http::Request;

use super::{fiscal_code_error, notice_error, read_form, Ctx, Form};
use crate::domain::{FiscalCode, NoticeNumber};
use crate::http::{limit, ApiError};
use crate::App;

/// A submitted lookup form.
pub struct NoticeForm {
    pub form: Form,
    /// What was typed, trimmed, to show again.
    pub notice_in: String,
    pub cf_in: String,
    /// Both parsed, or the message of each field that is not valid.
    pub parsed: Result<(NoticeNumber, FiscalCode), (Option<String>, Option<String>)>,
}

/// Reads a lookup form (CSRF checked), counts one lookup of the client (429
/// past the limit), and parses the `notice` and `fiscalCode` fields.
pub async fn notice_form(app: &App, ctx: &Ctx, req: &Request) -> Result<NoticeForm, ApiError> {
    let form = read_form(app, req)?;
    limit::lookup(app, req).await?;
    let notice_in = form.get("notice").trim().to_owned();
    let cf_in = form.get("fiscalCode").trim().to_owned();
    let parsed = match (
        NoticeNumber::parse_lenient(&notice_in),
        FiscalCode::parse(&cf_in),
    ) {
        (Ok(n), Ok(c)) => Ok((n, c)),
        (n, c) => Err((
            n.err().map(|e| notice_error(ctx.t, &e)),
            c.err().map(|e| fiscal_code_error(ctx.t, &e)),
        )),
    };
    Ok(NoticeForm {
        form,
        notice_in,
        cf_in,
        parsed,
    })
}
