//! The use cases' errors as HTTP errors: which status and which Italian
//! message each one gets. JSON answers (problem+json) and pages (the HTML
//! error page) both go through [`ApiError`], so they agree on the status.

use super::ApiError;
use crate::ports::StoreError;
use crate::service::avviso::AvvisoError;
use crate::service::imports::ImportError;
use crate::service::keys::{AuthError, KeyError};
use crate::service::ledger::ExportError;
use crate::service::login::Failure;
use crate::service::notices::LookupError;
use crate::service::operators::{AccessError, OperatorError};
use crate::service::payments::PaymentError;
use crate::service::positions::PositionError;
use crate::service::receipts::ReceiptError;
use crate::service::reconciliation::ReconError;
use crate::service::spontaneous::SpontaneousError;

/// What a citizen reads when a notice is not found (or not theirs).
pub const NOTICE_NOT_FOUND: &str =
    "nessun avviso corrisponde al codice avviso e al codice fiscale indicati";

/// What a citizen reads when a receipt is not found (or not theirs).
pub const RECEIPT_NOT_FOUND: &str =
    "nessuna ricevuta corrisponde al codice avviso e al codice fiscale indicati";

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_transient() {
            ApiError::unavailable(e)
        } else {
            ApiError::internal(e)
        }
    }
}

impl From<LookupError> for ApiError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::NotFound => ApiError::NotFound(NOTICE_NOT_FOUND.into()),
            LookupError::Store(s) => s.into(),
        }
    }
}

impl From<PositionError> for ApiError {
    fn from(e: PositionError) -> Self {
        match e {
            PositionError::UnknownEc => {
                ApiError::NotFound("ente creditore non gestito da questo portale".into())
            }
            PositionError::Invalid(errors) => ApiError::Validation(errors),
            PositionError::DuplicateIupd(iupd) => {
                ApiError::Conflict(format!("esiste già una posizione con iupd {iupd}"))
            }
            PositionError::NoticeInUse(n) => {
                ApiError::Conflict(format!("il codice avviso {n} è già utilizzato"))
            }
            PositionError::NotFound(iupd) => {
                ApiError::NotFound(format!("nessuna posizione con iupd {iupd}"))
            }
            PositionError::HasPayments => ApiError::Conflict(
                "la posizione ha pagamenti registrati e non può essere annullata".into(),
            ),
            PositionError::AlreadyCancelled => {
                ApiError::Conflict("la posizione è annullata".into())
            }
            PositionError::Paid => ApiError::Conflict(
                "la posizione ha opzioni pagate e non può essere modificata".into(),
            ),
            PositionError::BeingPaid => ApiError::Conflict(
                "un avviso della posizione è in corso di pagamento: riprovare tra 30 minuti".into(),
            ),
            e @ PositionError::Contention(_) => ApiError::unavailable(e),
            PositionError::Store(s) => s.into(),
        }
    }
}

impl From<crate::service::catalog::CatalogError> for ApiError {
    fn from(e: crate::service::catalog::CatalogError) -> Self {
        use crate::service::catalog::CatalogError;
        match e {
            CatalogError::UnknownEc => {
                ApiError::NotFound("ente creditore non gestito da questo portale".into())
            }
            CatalogError::Invalid(f) => ApiError::Validation(f),
            CatalogError::Store(s) => s.into(),
        }
    }
}

impl From<OperatorError> for ApiError {
    fn from(e: OperatorError) -> Self {
        use crate::domain::FieldErrors;
        match e {
            OperatorError::UnknownEc(ec) => ApiError::Validation(FieldErrors::single(
                "grants",
                format!("ente creditore {ec} non gestito da questo portale"),
            )),
            OperatorError::DuplicateEc(ec) => ApiError::Validation(FieldErrors::single(
                "grants",
                format!("ente creditore {ec} indicato più volte"),
            )),
            OperatorError::TooManyGrants => ApiError::Validation(FieldErrors::single(
                "grants",
                format!(
                    "al massimo {} enti per operatore",
                    crate::service::operators::MAX_GRANTS
                ),
            )),
            OperatorError::NotFound => ApiError::NotFound("operatore non trovato".into()),
            OperatorError::Store(s) => s.into(),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NoGrant => {
                ApiError::Forbidden("non sei abilitato a operare per questo ente creditore".into())
            }
            AccessError::Role { .. } => ApiError::Forbidden(
                "il tuo ruolo per questo ente non consente questa operazione".into(),
            ),
            AccessError::Store(s) => s.into(),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        use crate::domain::FieldErrors;
        match e {
            KeyError::UnknownEc => {
                ApiError::NotFound("ente creditore non gestito da questo portale".into())
            }
            KeyError::LimitReached => ApiError::Conflict(format!(
                "l'ente ha già {} chiavi attive: revocarne una prima di crearne un'altra",
                crate::service::keys::MAX_ACTIVE_KEYS
            )),
            KeyError::NotFound => ApiError::NotFound("chiave non trovata per questo ente".into()),
            KeyError::InvalidLabel => ApiError::Validation(FieldErrors::single(
                "label",
                "al massimo 100 caratteri, senza a capo",
            )),
            KeyError::Store(s) => s.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthenticated => ApiError::Unauthorized,
            AuthError::OtherEc => {
                ApiError::Forbidden("la chiave non è abilitata per questo ente".into())
            }
            AuthError::Store(s) => s.into(),
        }
    }
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::UnknownEc => {
                ApiError::NotFound("ente creditore non gestito da questo portale".into())
            }
            ExportError::Invalid(errors) => ApiError::InvalidParams(errors),
            ExportError::Store(s) => s.into(),
            e @ ExportError::Archive(_) => ApiError::internal(e),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        use crate::domain::FieldErrors;
        match e {
            ImportError::UnknownEc => {
                ApiError::NotFound("ente creditore non gestito da questo portale".into())
            }
            ImportError::NotFound => ApiError::NotFound("importazione non trovata".into()),
            ImportError::NotReadable(m) => ApiError::Validation(FieldErrors::single("file", m)),
            ImportError::TooLarge => {
                ApiError::PayloadTooLarge(crate::service::imports::MAX_DIRECT_BYTES)
            }
            ImportError::Store(s) => s.into(),
        }
    }
}

impl From<ReconError> for ApiError {
    fn from(e: ReconError) -> Self {
        match e {
            ReconError::UnknownEc => {
                ApiError::NotFound("ente creditore non gestito da questo portale".into())
            }
            e @ (ReconError::NotConfigured | ReconError::Fdr(_)) => ApiError::unavailable(e),
            ReconError::Store(s) => s.into(),
        }
    }
}

impl From<AvvisoError> for ApiError {
    fn from(e: AvvisoError) -> Self {
        match e {
            AvvisoError::Lookup(l) => l.into(),
            AvvisoError::NotPayable => {
                ApiError::Conflict("l'avviso non è più pagabile e non può essere stampato".into())
            }
            e @ AvvisoError::Render(_) => ApiError::internal(e),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::NotPayable(errors) => ApiError::Validation(errors),
            PaymentError::Refused(cause) => {
                tracing::warn!(error = %cause, "Checkout refused the cart");
                ApiError::Conflict(
                    "pagoPA non accetta al momento il pagamento di questi avvisi".into(),
                )
            }
            e @ PaymentError::CheckoutUnavailable(_) => ApiError::unavailable(e),
            PaymentError::NotFound => ApiError::NotFound("pagamento non trovato".into()),
            PaymentError::Store(s) => s.into(),
        }
    }
}

impl From<ReceiptError> for ApiError {
    fn from(e: ReceiptError) -> Self {
        match e {
            ReceiptError::NotFound => ApiError::NotFound(RECEIPT_NOT_FOUND.into()),
            e @ ReceiptError::Render(_) => ApiError::internal(e),
            ReceiptError::Store(s) => s.into(),
        }
    }
}

impl From<SpontaneousError> for ApiError {
    fn from(e: SpontaneousError) -> Self {
        use crate::domain::FieldErrors;
        match e {
            SpontaneousError::ServiceNotFound => {
                ApiError::NotFound("servizio non disponibile per il pagamento spontaneo".into())
            }
            SpontaneousError::Invalid(errors) => ApiError::Validation(errors),
            SpontaneousError::InvalidKey => ApiError::Validation(FieldErrors::single(
                "Idempotency-Key",
                "intestazione obbligatoria: da 1 a 200 caratteri ASCII visibili",
            )),
            SpontaneousError::KeyReused => ApiError::Validation(FieldErrors::single(
                "Idempotency-Key",
                "chiave già usata per una richiesta diversa",
            )),
            SpontaneousError::Position(p) => p.into(),
        }
    }
}

impl From<Failure> for ApiError {
    fn from(e: Failure) -> Self {
        match e {
            Failure::NotConfigured => ApiError::NotFound("accesso non configurato".into()),
            Failure::Cancelled | Failure::State | Failure::Refused(_) | Failure::NoCertificate => {
                ApiError::Unauthorized
            }
            e @ Failure::ProviderUnavailable(_) => ApiError::unavailable(e),
            Failure::Store(s) => s.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_status_per_error() {
        let status = |e: ApiError| e.status().as_u16();
        assert_eq!(status(LookupError::NotFound.into()), 404);
        assert_eq!(
            status(LookupError::Store(StoreError::Unavailable("x".into())).into()),
            503
        );
        assert_eq!(status(StoreError::Throttled("x".into()).into()), 503);
        assert_eq!(status(StoreError::Corrupt("x".into()).into()), 500);
        assert_eq!(status(PositionError::HasPayments.into()), 409);
        assert_eq!(status(PositionError::Contention(5).into()), 503);
        assert_eq!(status(AvvisoError::NotPayable.into()), 409);
        assert_eq!(status(PaymentError::NotFound.into()), 404);
        assert_eq!(status(ReceiptError::NotFound.into()), 404);
        assert_eq!(status(SpontaneousError::KeyReused.into()), 422);
        assert_eq!(status(SpontaneousError::ServiceNotFound.into()), 404);
        assert_eq!(status(Failure::State.into()), 401);
        assert_eq!(status(Failure::NotConfigured.into()), 404);
    }
}
