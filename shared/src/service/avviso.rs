//! The printable pagoPA notice (avviso di pagamento) of a position.

use crate::domain::position::PaymentOption;
use crate::domain::{Entity, FiscalCode, NoticeNumber, Position};
use crate::pdf::{AvvisoData, AvvisoDebtor, AvvisoEc, AvvisoPayment, Lang, PdfError};
use crate::ports::StoreError;
use crate::service::notices::{self, LookupError};
use crate::App;

/// Why an avviso was not made.
#[derive(Debug, thiserror::Error)]
pub enum AvvisoError {
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// Expired, paid or cancelled: only a payable notice is printed.
    #[error("the notice can no longer be paid")]
    NotPayable,
    #[error("avviso not rendered")]
    Render(#[from] PdfError),
}

impl From<StoreError> for AvvisoError {
    fn from(e: StoreError) -> Self {
        AvvisoError::Lookup(LookupError::Store(e))
    }
}

/// The postal account number (12 digits) of an Italian postal IBAN.
fn postal_account(iban: &str) -> Option<String> {
    (iban.len() == 27).then(|| iban[15..27].to_owned())
}

fn address(p: &Position) -> Option<String> {
    let a = p.debtor.address.as_ref()?;
    let parts: Vec<String> = [
        &a.street_name,
        &a.civic_number,
        &a.postal_code,
        &a.city,
        &a.state_province_region,
    ]
    .iter()
    .filter_map(|v| v.as_ref().map(|t| t.to_string()))
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn payment(o: &PaymentOption) -> AvvisoPayment {
    AvvisoPayment {
        notice_number: o.notice_number,
        amount: o.amount_cents,
        due_date: Some(o.due_date),
    }
}

/// What the avviso of a position shows: its options that can still be paid
/// (the single payment and/or the installments).
pub fn data(app: &App, entity: &Entity, p: &Position, lang: Lang) -> AvvisoData {
    let today = app.clock.today();
    let open: Vec<&PaymentOption> = p
        .payment_options
        .iter()
        .filter(|o| p.not_payable(o, today).is_none())
        .collect();
    let postal = p
        .payment_options
        .iter()
        .flat_map(|o| o.transfers.first())
        .find_map(|t| t.postal_iban.as_ref())
        .or(entity.postal_iban.as_ref())
        .and_then(|i| postal_account(i.as_str()));
    AvvisoData {
        lang,
        subject: p.description.to_string(),
        ec: AvvisoEc {
            fiscal_code: entity.fiscal_code.to_string(),
            name: entity.name.clone(),
            office: entity.office.clone(),
            info: entity.contact.clone(),
            cbill: entity.cbill.clone(),
            online_channel: Some(match lang {
                Lang::It => format!("sul sito di {},", entity.name),
                Lang::En => format!("on the website of {},", entity.name),
            }),
            postal_account: postal,
            poste_auth: None,
            logo_png: None,
        },
        debtor: AvvisoDebtor {
            fiscal_code: p.debtor.fiscal_code.to_string(),
            full_name: p.debtor.full_name.to_string(),
            address: address(p),
        },
        single: open.iter().find(|o| !o.installment).map(|o| payment(o)),
        installments: open
            .iter()
            .filter(|o| o.installment)
            .map(|o| payment(o))
            .collect(),
        created: app.clock.now(),
    }
}

/// The avviso PDF of the position holding a notice, for its debtor. Only a
/// payable notice has one (an expired, paid or cancelled one answers 409).
pub async fn pdf(
    app: &App,
    notice: &NoticeNumber,
    debtor: &FiscalCode,
    lang: Lang,
) -> Result<Vec<u8>, AvvisoError> {
    let summary = notices::verify(app, notice, debtor).await?;
    if summary.status != crate::domain::NoticeStatus::Payable {
        return Err(AvvisoError::NotPayable);
    }
    let found = app
        .positions
        .find_by_iuv(&summary.ec_fiscal_code, &notice.iuv())
        .await?;
    let p = found.ok_or(LookupError::NotFound)?;
    let entity = app
        .entities
        .get(&summary.ec_fiscal_code)
        .ok_or(LookupError::NotFound)?;
    Ok(app.pdf.avviso(&data(app, entity, &p.value, lang))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::nodo;
    use crate::service::testkit::{entity, kit, payable, position, receipt, DEBTOR};

    #[tokio::test]
    async fn only_a_payable_notice_of_its_debtor_is_printed() {
        let (app, _) = kit().await;
        let debtor = FiscalCode::parse(DEBTOR).unwrap();
        let (_, n) = payable(&app, "AV-1").await;
        let bytes = pdf(&app, &n, &debtor, Lang::It).await.unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let stranger = FiscalCode::parse("CNTCHR83T41D969D").unwrap();
        assert!(matches!(
            pdf(&app, &n, &stranger, Lang::It).await,
            Err(AvvisoError::Lookup(LookupError::NotFound))
        ));
        nodo::receive(
            &app,
            entity(&app),
            receipt(&n, "av-1", 15_050),
            "<r/>".into(),
            vec![],
        )
        .await
        .unwrap();
        assert!(matches!(
            pdf(&app, &n, &debtor, Lang::It).await,
            Err(AvvisoError::NotPayable)
        ));
    }

    #[tokio::test]
    async fn the_avviso_shows_the_options_still_open() {
        let (app, _) = kit().await;
        let p = position(
            &app,
            "AV-2",
            &[
                (30_000, "2026-12-31", false),
                (10_000, "2026-03-31", true),
                (10_000, "2026-09-30", true),
                (10_000, "2026-12-31", true),
            ],
        )
        .await;
        let d = data(&app, entity(&app), &p, Lang::En);
        assert!(d.single.is_some());
        assert_eq!(d.installments.len(), 2, "the March installment has expired");
        assert_eq!(d.ec.postal_account.as_deref(), Some("000011050036"));
    }
}
