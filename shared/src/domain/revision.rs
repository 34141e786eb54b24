//! Replacing an unpaid position (the operator API's PUT): what may change and
//! which notice numbers the new options carry.
//!
//! The position keeps its notice numbers: an option may name one of them
//! (`noticeNumber`); the options that name none take the position's numbers
//! not named elsewhere, in their order; only options beyond those get new
//! numbers. A number the revision drops stays claimed by the position (a
//! printed notice carrying it must never pay another debt), and answers as
//! unknown from then on.

use chrono::{DateTime, Utc};

use super::errors::FieldErrors;
use super::notice::NoticeNumber;
use super::position::{Position, PositionDraft};

/// Why a position cannot be replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    #[error("the position is cancelled")]
    Cancelled,
    /// An option is paid: the position is history, not a debt to correct.
    #[error("an option is paid")]
    Paid,
    #[error("invalid revision: {0}")]
    Invalid(FieldErrors),
}

/// The numbers the revised options take; `None` where a new one is needed.
pub fn assign_numbers(
    current: &Position,
    draft: &PositionDraft,
) -> Result<Vec<Option<NoticeNumber>>, RevisionError> {
    if current.is_cancelled() {
        return Err(RevisionError::Cancelled);
    }
    if current.payment_options.iter().any(|o| o.is_paid()) {
        return Err(RevisionError::Paid);
    }
    let mut errors = FieldErrors::default();
    if draft.iupd != current.iupd {
        errors.push(
            "iupd",
            "deve coincidere con l'iupd dell'indirizzo della richiesta",
        );
    }
    let owned: Vec<NoticeNumber> = current
        .payment_options
        .iter()
        .map(|o| o.notice_number)
        .collect();
    for (i, o) in draft.payment_options.iter().enumerate() {
        if let Some(n) = o.notice_number {
            if !owned.contains(&n) {
                errors.push(
                    format!("paymentOptions[{i}].noticeNumber"),
                    "non è un codice avviso di questa posizione: ometterlo per generarne uno nuovo",
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(RevisionError::Invalid(errors));
    }
    let named: Vec<NoticeNumber> = draft
        .payment_options
        .iter()
        .filter_map(|o| o.notice_number)
        .collect();
    let mut free = owned.into_iter().filter(|n| !named.contains(n));
    Ok(draft
        .payment_options
        .iter()
        .map(|o| o.notice_number.or_else(|| free.next()))
        .collect())
}

/// The revised position: the draft with its numbers (`generated` fills the
/// gaps left by [`assign_numbers`]), created when the original was.
pub fn revise(
    current: &Position,
    mut draft: PositionDraft,
    numbers: Vec<Option<NoticeNumber>>,
    generated: impl IntoIterator<Item = NoticeNumber>,
    created_at: DateTime<Utc>,
) -> Result<Position, RevisionError> {
    for (o, n) in draft.payment_options.iter_mut().zip(numbers) {
        o.notice_number = n;
    }
    let p = draft
        .build(current.ec_fiscal_code.clone(), generated, created_at)
        .map_err(RevisionError::Invalid)?;
    Ok(Position {
        anonymous: current.anonymous,
        ..p
    })
}

/// The numbers of `revised` that `current` did not hold (to be claimed).
pub fn new_numbers(current: &Position, revised: &Position) -> Vec<NoticeNumber> {
    revised
        .payment_options
        .iter()
        .map(|o| o.notice_number)
        .filter(|n| current.option(n).is_none())
        .collect()
}

/// Whether `draft` says what `existing` holds (an import's row read again):
/// every field the same, and each option's notice number where the draft
/// names one (otherwise the one drawn for it stands).
pub fn same_content(existing: &Position, draft: &PositionDraft) -> bool {
    existing.iupd == draft.iupd
        && existing.debtor == draft.debtor
        && existing.service_code == draft.service_code
        && existing.description == draft.description
        && existing.switch_to_expired == draft.switch_to_expired
        && existing.service_data == draft.service_data
        && existing.anonymous == draft.anonymous
        && existing.payment_options.len() == draft.payment_options.len()
        && existing
            .payment_options
            .iter()
            .zip(&draft.payment_options)
            .all(|(e, d)| {
                d.notice_number.is_none_or(|n| n == e.notice_number)
                    && e.amount_cents == d.amount_cents
                    && e.due_date == d.due_date
                    && e.description == d.description
                    && e.installment == d.installment
                    && e.transfers == d.transfers
            })
}
