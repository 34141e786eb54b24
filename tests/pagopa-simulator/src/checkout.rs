//! pagoPA Checkout's cart API (`POST /checkout/ec/v2/carts`, checkout_v2.json,
//! and the older v1) and its payment page, with the payment itself played as
//! the Nodo does it.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Checkout's limit of notices in one cart.
pub const MAX_NOTICES: usize = 5;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotice {
    pub notice_number: String,
    pub fiscal_code: String,
    pub amount: u64,
    pub company_name: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ReturnUrls {
    pub return_ok_url: String,
    pub return_cancel_url: String,
    pub return_error_url: String,
    /// v2: where the browser goes when the outcome is not known yet.
    #[serde(default)]
    pub return_waiting_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CartRequest {
    pub payment_notices: Vec<PaymentNotice>,
    pub return_urls: ReturnUrls,
    #[serde(default)]
    pub email_notice: Option<String>,
    #[serde(default)]
    pub id_cart: Option<String>,
    #[serde(default)]
    pub all_ccp: Option<bool>,
}

/// A problem as Checkout answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartProblem {
    pub status: u16,
    pub detail: String,
}

impl CartProblem {
    pub fn body(&self) -> Value {
        json!({"type": "about:blank", "title": if self.status == 400 { "Bad Request" } else { "Unprocessable Entity" },
               "status": self.status, "detail": self.detail})
    }
}

fn is_uri(s: &str) -> bool {
    // format: uri; the spec's own examples omit the scheme, so only emptiness and spaces are refused.
    !s.trim().is_empty() && !s.contains(char::is_whitespace)
}

/// Checks a cart request as Checkout does: 400 for what the schema forbids
/// (v2 also requires `returnWaitingUrl`), 422 for more than five notices or a
/// notice listed twice.
pub fn check_cart(body: &[u8], v2: bool) -> Result<CartRequest, CartProblem> {
    let bad = |detail: String| CartProblem {
        status: 400,
        detail,
    };
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let cart: CartRequest =
        serde_json::from_value(value).map_err(|e| bad(format!("invalid cart: {e}")))?;
    if cart.payment_notices.is_empty() {
        return Err(bad("paymentNotices must contain at least 1 notice".into()));
    }
    for (i, n) in cart.payment_notices.iter().enumerate() {
        if n.notice_number.len() != 18 || !n.notice_number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!(
                "paymentNotices[{i}].noticeNumber must be 18 digits"
            )));
        }
        if n.fiscal_code.len() != 11 || !n.fiscal_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!(
                "paymentNotices[{i}].fiscalCode must be 11 digits"
            )));
        }
        if n.amount < 1 {
            return Err(bad(format!(
                "paymentNotices[{i}].amount must be at least 1"
            )));
        }
        if n.company_name.chars().count() > 140 || n.description.chars().count() > 140 {
            return Err(bad(format!(
                "paymentNotices[{i}]: companyName and description are at most 140 characters"
            )));
        }
    }
    let u = &cart.return_urls;
    if ![&u.return_ok_url, &u.return_cancel_url, &u.return_error_url]
        .iter()
        .all(|s| is_uri(s))
    {
        return Err(bad("returnUrls must be URIs".into()));
    }
    match (&u.return_waiting_url, v2) {
        (None, true) => return Err(bad("returnUrls.returnWaitingUrl is required".into())),
        (Some(w), _) if !is_uri(w) => return Err(bad("returnUrls must be URIs".into())),
        _ => {}
    }
    if let Some(e) = &cart.email_notice {
        if !e.contains('@') || e.contains(char::is_whitespace) {
            return Err(bad("emailNotice must be an email".into()));
        }
    }
    if cart.payment_notices.len() > MAX_NOTICES {
        return Err(CartProblem {
            status: 422,
            detail: format!("too many payment notices: at most {MAX_NOTICES}"),
        });
    }
    for (i, n) in cart.payment_notices.iter().enumerate() {
        if cart.payment_notices[..i]
            .iter()
            .any(|m| m.notice_number == n.notice_number && m.fiscal_code == n.fiscal_code)
        {
            return Err(CartProblem {
                status: 422,
                detail: format!("duplicate payment notice {}", n.notice_number),
            });
        }
    }
    Ok(cart)
}

/// How the simulated payment misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// verify, paGetPaymentV2, paSendRTV2, then the return URL.
    #[default]
    Normal,
    /// The receipt is delivered twice (the second must be PAA_RECEIPT_DUPLICATA).
    Twice,
    /// The browser goes back to the portal first; the receipt follows after a delay.
    Late,
    /// As late, and Checkout does not know the outcome yet: the browser goes to
    /// the cart's `returnWaitingUrl` (v2).
    Waiting,
    /// The first delivery times out on the Nodo's side; the Nodo retries.
    Timeout,
    /// paGetPayment and paSendRT, version 1.
    V1,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }

    /// Per notice, as pagoPA's own Checkout mock does: the last two digits of the IUV
    /// (91 twice, 92 late, 93 timeout, 94 V1); only for hand-picked numbers (an
    /// IUV base below one million, as the demo's), never for the portal's own,
    /// which are drawn at random and would otherwise hit a mode by chance.
    pub fn from_notice(notice: &str) -> Self {
        let base = notice.get(3..16).and_then(|b| b.parse::<u64>().ok());
        if base.is_none_or(|b| b >= 1_000_000) {
            return Mode::Normal;
        }
        match &notice[notice.len().saturating_sub(2)..] {
            "91" => Mode::Twice,
            "92" => Mode::Late,
            "93" => Mode::Timeout,
            "94" => Mode::V1,
            _ => Mode::Normal,
        }
    }
}

/// Default delay of a late receipt.
pub const LATE_DELAY: Duration = Duration::from_secs(2);

fn esc(s: &str) -> String {
    shared::soap::xml::escape(s)
}

/// The Checkout page of a cart: the notices, the total, pay / cancel / fail.
pub fn page(id: &str, cart: &CartRequest, state: &str) -> String {
    let total: u64 = cart.payment_notices.iter().map(|n| n.amount).sum();
    let euro = |c: u64| format!("{},{:02} €", c / 100, c % 100);
    let rows: String = cart
        .payment_notices
        .iter()
        .map(|n| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"amount\">{}</td></tr>",
                esc(&n.company_name),
                esc(&n.description),
                esc(&n.notice_number),
                euro(n.amount)
            )
        })
        .collect();
    let actions = if state == "open" {
        format!(
            r#"<form method="post" action="/checkout/carts/{id}/pay"><label for="email">Email per la ricevuta</label>
<input id="email" name="email" type="email" value="{email}"><button type="submit" id="pay">Paga {total}</button></form>
<form method="post" action="/checkout/carts/{id}/cancel"><button type="submit" id="cancel">Annulla</button></form>
<form method="post" action="/checkout/carts/{id}/fail"><button type="submit" id="fail">Simula un errore</button></form>"#,
            email = esc(cart.email_notice.as_deref().unwrap_or("")),
            total = euro(total)
        )
    } else {
        format!("<p id=\"state\">Carrello {}</p>", esc(state))
    };
    format!(
        r#"<!doctype html><html lang="it"><head><meta charset="utf-8"><title>pagoPA Checkout (simulatore)</title>
<style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto}}td,th{{padding:.3rem .6rem;text-align:left}}.amount{{text-align:right}}form{{display:inline-block;margin:.5rem}}</style></head>
<body><main><h1>pagoPA Checkout <small>(simulatore)</small></h1>
<table><thead><tr><th>Ente</th><th>Causale</th><th>Codice avviso</th><th class="amount">Importo</th></tr></thead><tbody>{rows}</tbody>
<tfoot><tr><th colspan="3">Totale</th><th class="amount" id="total">{total}</th></tr></tfoot></table>
{actions}</main></body></html>"#,
        total = euro(total)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cart(n: usize) -> Value {
        json!({"paymentNotices": (0..n).map(|i| json!({"noticeNumber": format!("30100000000000{i:04}"), "fiscalCode": "77777777777",
            "amount": 100, "companyName": "Comune", "description": "TARI"})).collect::<Vec<_>>(),
            "returnUrls": {"returnOkUrl": "http://x/ok", "returnCancelUrl": "http://x/ko", "returnErrorUrl": "http://x/err"},
            "emailNotice": "a@b.it", "idCart": "c1"})
    }

    #[test]
    fn carts_are_checked_like_checkout() {
        assert!(check_cart(cart(1).to_string().as_bytes(), false).is_ok());
        assert!(check_cart(cart(5).to_string().as_bytes(), false).is_ok());
        assert_eq!(
            check_cart(cart(6).to_string().as_bytes(), false)
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            check_cart(cart(0).to_string().as_bytes(), false)
                .unwrap_err()
                .status,
            400
        );
        let mut dup = cart(2);
        dup["paymentNotices"][1] = dup["paymentNotices"][0].clone();
        assert_eq!(
            check_cart(dup.to_string().as_bytes(), false)
                .unwrap_err()
                .status,
            422
        );
        let mut bad = cart(1);
        bad["paymentNotices"][0]["amount"] = json!(0);
        assert_eq!(
            check_cart(bad.to_string().as_bytes(), false)
                .unwrap_err()
                .status,
            400
        );
        let mut bad = cart(1);
        bad["returnUrls"] = json!({"returnOkUrl": "x"});
        assert_eq!(
            check_cart(bad.to_string().as_bytes(), false)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(check_cart(b"{", false).unwrap_err().status, 400);
        // Version 2 also wants where to send a payment of unknown outcome.
        assert_eq!(
            check_cart(cart(1).to_string().as_bytes(), true)
                .unwrap_err()
                .status,
            400
        );
        let mut v2 = cart(1);
        v2["returnUrls"]["returnWaitingUrl"] = json!("http://x/wait");
        assert!(check_cart(v2.to_string().as_bytes(), true).is_ok());
        assert_eq!(Mode::parse("waiting"), Some(Mode::Waiting));
    }

    #[test]
    fn modes() {
        assert_eq!(Mode::parse("twice"), Some(Mode::Twice));
        assert_eq!(Mode::parse("v1"), Some(Mode::V1));
        assert_eq!(Mode::parse("nope"), None);
        assert_eq!(Mode::from_notice("301000000000000191"), Mode::Twice);
        assert_eq!(Mode::from_notice("301000000000000144"), Mode::Normal);
        assert_eq!(
            Mode::from_notice("301482910385712391"),
            Mode::Normal,
            "a random number"
        );
    }
}
