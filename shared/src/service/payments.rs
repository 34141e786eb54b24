//! Starting a payment at pagoPA Checkout (1–5 notices), and reading where it stands.

use serde_json::json;

use crate::checkout::{CartNotice, CartRequest, CheckoutError, ReturnUrls};
use crate::domain::text::fit;
use crate::domain::text::Email;
use crate::domain::{FieldErrors, FiscalCode, NoticeNumber, NoticeStatus};
use crate::ports::{AttemptNotice, PaymentAttempt, StoreError};
use crate::secret::random_token;
use crate::service::notices::{self, LookupError, NoticeSummary};
use crate::App;

/// Why a payment was not started, or cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Some notices cannot be paid (unknown, paid, expired, repeated), each named.
    #[error("notices not payable: {0}")]
    NotPayable(FieldErrors),
    /// Checkout refused the cart: the notices cannot be paid now.
    #[error("Checkout refused the cart")]
    Refused(#[source] CheckoutError),
    #[error("Checkout unavailable")]
    CheckoutUnavailable(#[source] CheckoutError),
    /// No payment with that id.
    #[error("no such payment")]
    NotFound,
    #[error("payments not readable or writable")]
    Store(#[from] StoreError),
}

/// Checkout takes at most five notices in one cart.
pub const MAX_NOTICES: usize = 5;

/// Checks the notices of a payment: each known (with that fiscal code), payable,
/// listed once. Every problem is named by `notices[i]`.
pub async fn check_notices(
    app: &App,
    items: &[(NoticeNumber, FiscalCode)],
) -> Result<Vec<NoticeSummary>, PaymentError> {
    let mut errors = FieldErrors::default();
    if items.is_empty() || items.len() > MAX_NOTICES {
        errors.push("notices", format!("servono da 1 a {MAX_NOTICES} avvisi"));
        return Err(PaymentError::NotPayable(errors));
    }
    let mut found = Vec::new();
    for (i, (n, cf)) in items.iter().enumerate() {
        if items[..i].iter().any(|(m, _)| m == n) {
            errors.push(format!("notices[{i}].noticeNumber"), "avviso ripetuto");
            continue;
        }
        match notices::verify(app, n, cf).await {
            Ok(s) if s.status == NoticeStatus::Payable => found.push(s),
            Ok(s) => errors.push(
                format!("notices[{i}].noticeNumber"),
                match s.status {
                    NoticeStatus::Paid => "avviso già pagato",
                    NoticeStatus::Expired => "avviso scaduto",
                    _ => "avviso annullato",
                },
            ),
            Err(LookupError::NotFound) => errors.push(
                format!("notices[{i}].noticeNumber"),
                "nessun avviso corrisponde al codice avviso e al codice fiscale indicati",
            ),
            Err(LookupError::Store(e)) => return Err(e.into()),
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(PaymentError::NotPayable(errors))
    }
}

/// Creates the Checkout cart and records the attempt; returns it with the
/// URL to send the citizen to.
pub async fn start(
    app: &App,
    items: &[(NoticeNumber, FiscalCode)],
    email: Option<Email>,
) -> Result<PaymentAttempt, PaymentError> {
    let summaries = check_notices(app, items).await?;
    let id = random_token();
    let base = &app.settings.public_base_url;
    let cart = CartRequest {
        payment_notices: summaries
            .iter()
            .map(|s| CartNotice {
                notice_number: s.notice_number.to_string(),
                fiscal_code: s.ec_fiscal_code.to_string(),
                amount: s.amount_cents.cents(),
                company_name: fit(&s.company_name, 140),
                description: fit(s.description.as_str(), 140),
            })
            .collect(),
        return_urls: ReturnUrls {
            return_ok_url: format!("{base}/pagamento/esito/ok?id={id}"),
            return_cancel_url: format!("{base}/pagamento/esito/annullato?id={id}"),
            return_error_url: format!("{base}/pagamento/esito/errore?id={id}"),
            return_waiting_url: format!("{base}/pagamento/esito/attesa?id={id}"),
        },
        email_notice: email.as_ref().map(|e| e.as_str().to_owned()),
        id_cart: id.clone(),
    };
    let mut attempt = PaymentAttempt {
        id: id.clone(),
        notices: summaries
            .iter()
            .zip(items)
            .map(|(s, (_, cf))| AttemptNotice {
                ec: s.ec_fiscal_code.clone(),
                notice_number: s.notice_number,
                fiscal_code: cf.clone(),
                amount_cents: s.amount_cents.cents(),
                description: s.description.to_string(),
                company_name: s.company_name.clone(),
            })
            .collect(),
        email,
        created_at: app.clock.now(),
        checkout_url: None,
    };
    // Recorded before Checkout is called, so a return can always be told apart.
    app.payments.put_attempt(&attempt).await?;
    let url = app.checkout.create_cart(&cart).await.map_err(|e| match e {
        CheckoutError::Refused { .. } => PaymentError::Refused(e),
        CheckoutError::Unavailable(_) => PaymentError::CheckoutUnavailable(e),
    })?;
    attempt.checkout_url = Some(url);
    app.payments.put_attempt(&attempt).await?;
    tracing::info!(attempt = %attempt.id, notices = attempt.notices.len(), "payment started");
    Ok(attempt)
}

/// Where a payment stands, notice by notice, from the positions (that is, from receipts).
pub async fn status(
    app: &App,
    id: &str,
) -> Result<(PaymentAttempt, Vec<NoticeStatus>), PaymentError> {
    let valid = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let attempt = match valid {
        true => app.payments.get_attempt(id).await?,
        false => None,
    }
    .ok_or(PaymentError::NotFound)?;
    let mut statuses = Vec::new();
    for n in &attempt.notices {
        let s = notices::verify(app, &n.notice_number, &n.fiscal_code)
            .await
            .map_err(|e| match e {
                // A position withdrawn since the payment started.
                LookupError::NotFound => PaymentError::NotFound,
                LookupError::Store(e) => PaymentError::Store(e),
            })?;
        statuses.push(s.status);
    }
    Ok((attempt, statuses))
}

/// The JSON form of a payment's state.
pub fn status_json(attempt: &PaymentAttempt, statuses: &[NoticeStatus]) -> serde_json::Value {
    let all_paid = statuses.iter().all(|s| *s == NoticeStatus::Paid);
    json!({
        "cartId": attempt.id,
        "status": if all_paid { "paid" } else { "pending" },
        "notices": attempt.notices.iter().zip(statuses).map(|(n, s)| json!({
            "noticeNumber": n.notice_number, "ecFiscalCode": n.ec, "amountCents": n.amount_cents, "status": s
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Fault;
    use crate::service::nodo;
    use crate::service::testkit::{entity, kit, payable, receipt, DEBTOR};

    fn debtor() -> FiscalCode {
        FiscalCode::parse(DEBTOR).unwrap()
    }

    #[tokio::test]
    async fn a_payment_records_the_attempt_and_creates_the_cart() {
        let (app, fakes) = kit().await;
        let (_, a) = payable(&app, "P-1").await;
        let (_, b) = payable(&app, "P-2").await;
        let attempt = start(&app, &[(a, debtor()), (b, debtor())], None)
            .await
            .unwrap();
        let carts = fakes.checkout.carts();
        assert_eq!(carts.len(), 1);
        assert_eq!(carts[0].id_cart, attempt.id);
        assert_eq!(carts[0].payment_notices.len(), 2);
        assert!(carts[0].return_urls.return_ok_url.ends_with(&attempt.id));
        let (stored, statuses) = status(&app, &attempt.id).await.unwrap();
        assert_eq!(stored.checkout_url, attempt.checkout_url);
        assert_eq!(statuses, vec![NoticeStatus::Payable; 2]);
        nodo::receive(
            &app,
            entity(&app),
            receipt(&a, "pa-1", 15_050),
            "<r/>".into(),
            vec![],
        )
        .await
        .unwrap();
        let (_, statuses) = status(&app, &attempt.id).await.unwrap();
        assert_eq!(statuses, vec![NoticeStatus::Paid, NoticeStatus::Payable]);
    }

    #[tokio::test]
    async fn every_notice_that_cannot_be_paid_is_named() {
        let (app, _) = kit().await;
        let (_, a) = payable(&app, "P-3").await;
        let (_, paid) = payable(&app, "P-4").await;
        nodo::receive(
            &app,
            entity(&app),
            receipt(&paid, "pa-4", 15_050),
            "<r/>".into(),
            vec![],
        )
        .await
        .unwrap();
        let stranger = FiscalCode::parse("CNTCHR83T41D969D").unwrap();
        let Err(PaymentError::NotPayable(errors)) = start(
            &app,
            &[
                (a, debtor()),
                (a, debtor()),
                (paid, debtor()),
                (a, stranger),
            ],
            None,
        )
        .await
        else {
            panic!("payable")
        };
        assert_eq!(
            errors.fields(),
            vec![
                "notices[1].noticeNumber",
                "notices[2].noticeNumber",
                "notices[3].noticeNumber"
            ]
        );
        assert!(matches!(
            start(&app, &[], None).await,
            Err(PaymentError::NotPayable(_))
        ));
    }

    #[tokio::test]
    async fn a_refused_or_unreachable_checkout_is_told_apart() {
        let (app, fakes) = kit().await;
        let (_, a) = payable(&app, "P-5").await;
        fakes
            .checkout
            .faults
            .inject("create_cart", Fault::Rejected, 1);
        assert!(matches!(
            start(&app, &[(a, debtor())], None).await,
            Err(PaymentError::Refused(_))
        ));
        fakes
            .checkout
            .faults
            .inject("create_cart", Fault::Unavailable, 1);
        assert!(matches!(
            start(&app, &[(a, debtor())], None).await,
            Err(PaymentError::CheckoutUnavailable(_))
        ));
        assert!(matches!(
            status(&app, "not-an-id").await,
            Err(PaymentError::NotFound)
        ));
    }
}
