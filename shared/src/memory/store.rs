//! Every storage port over maps behind one lock, with the DynamoDB adapter's
//! semantics: atomic inserts with IUV claims, versioned replaces, receipts once
//! per (receiptId, EC) written with the position they pay, a mail lease.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{timed_out, Faults};
use crate::domain::catalog::Service;
use crate::domain::receipt::Work;
use crate::domain::text::{Iupd, ServiceCode};
use crate::domain::{EcFiscalCode, FiscalCode, Iuv, NoticeNumber, Position};
use crate::ports::{
    Activation, CatalogStore, MailClaim, MailFailure, PaymentAttempt, PaymentLog, PositionStore,
    RateCounter, ReceiptRecord, ReceiptStore, Session, SessionStore, StoreError, Versioned,
};

type PositionKey = (EcFiscalCode, Iupd);

#[derive(Debug, Default)]
struct State {
    positions: BTreeMap<PositionKey, Versioned<Position>>,
    /// IUV → the positions of each EC that claim it.
    claims: HashMap<(Iuv, EcFiscalCode), PositionKey>,
    receipts: BTreeMap<(String, EcFiscalCode), Stored>,
    attempts: HashMap<String, PaymentAttempt>,
    activations: Vec<Activation>,
    counters: HashMap<(String, i64), u64>,
    services: BTreeMap<(EcFiscalCode, ServiceCode), Service>,
    once: HashMap<String, (serde_json::Value, DateTime<Utc>)>,
    docs: HashMap<String, (serde_json::Value, DateTime<Utc>)>,
    sessions: HashMap<String, Session>,
}

#[derive(Debug, Clone)]
struct Stored {
    /// The record, its `owed` and `mail` kept current.
    record: ReceiptRecord,
    mail_lease_until: Option<i64>,
    mail_message_id: Option<String>,
}

/// Positions, receipts, payments, counters, catalogue and sessions.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    pub faults: Faults,
}

impl MemoryStore {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("memory store")
    }

    /// Every receipt stored, in key order (for assertions).
    pub fn all_receipts(&self) -> Vec<ReceiptRecord> {
        self.state()
            .receipts
            .values()
            .map(|s| s.record.clone())
            .collect()
    }

    /// The provider's id of the mail sent for a receipt, once sent.
    pub fn mail_message_id(&self, ec: &EcFiscalCode, receipt_id: &str) -> Option<String> {
        self.state()
            .receipts
            .get(&(receipt_id.to_owned(), ec.clone()))
            .and_then(|s| s.mail_message_id.clone())
    }

    /// Every activation recorded, in order.
    pub fn activations(&self) -> Vec<Activation> {
        self.state().activations.clone()
    }
}

#[async_trait]
impl PositionStore for MemoryStore {
    async fn insert(&self, p: &Position) -> Result<(), StoreError> {
        // The conflict injected: a notice number taken meanwhile.
        let taken = StoreError::DuplicateNotice(p.payment_options[0].notice_number);
        faulty!(self, "insert", taken, {
            let mut s = self.state();
            let key = (p.ec_fiscal_code.clone(), p.iupd.clone());
            if s.positions.contains_key(&key) {
                Err(StoreError::DuplicateIupd)
            } else if let Some(o) = p
                .payment_options
                .iter()
                .find(|o| s.claims.contains_key(&(o.iuv(), p.ec_fiscal_code.clone())))
            {
                Err(StoreError::DuplicateNotice(o.notice_number))
            } else {
                for o in &p.payment_options {
                    s.claims
                        .insert((o.iuv(), p.ec_fiscal_code.clone()), key.clone());
                }
                s.positions.insert(
                    key,
                    Versioned {
                        value: p.clone(),
                        version: 1,
                    },
                );
                Ok(())
            }
        })
    }

    async fn insert_batch(
        &self,
        positions: &[Position],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        faulty!(self, "insert_batch", StoreError::VersionConflict, {
            let mut out = Vec::new();
            for p in positions {
                out.push(self.insert(p).await);
            }
            Ok(out)
        })
    }

    async fn get(
        &self,
        ec: &EcFiscalCode,
        iupd: &Iupd,
    ) -> Result<Option<Versioned<Position>>, StoreError> {
        faulty!(self, "get", StoreError::VersionConflict, {
            Ok(self
                .state()
                .positions
                .get(&(ec.clone(), iupd.clone()))
                .cloned())
        })
    }

    async fn find_by_notice(
        &self,
        notice: &NoticeNumber,
    ) -> Result<Vec<Versioned<Position>>, StoreError> {
        faulty!(self, "find_by_notice", StoreError::VersionConflict, {
            let s = self.state();
            let iuv = notice.iuv();
            Ok(s.claims
                .iter()
                .filter(|((i, _), _)| *i == iuv)
                .filter_map(|(_, key)| s.positions.get(key))
                .filter(|p| p.value.option(notice).is_some())
                .cloned()
                .collect())
        })
    }

    async fn find_by_iuv(
        &self,
        ec: &EcFiscalCode,
        iuv: &Iuv,
    ) -> Result<Option<Versioned<Position>>, StoreError> {
        faulty!(self, "find_by_iuv", StoreError::VersionConflict, {
            let s = self.state();
            Ok(s.claims
                .get(&(iuv.clone(), ec.clone()))
                .and_then(|key| s.positions.get(key))
                .cloned())
        })
    }

    async fn find_by_debtor(&self, debtor: &FiscalCode) -> Result<Vec<Position>, StoreError> {
        faulty!(self, "find_by_debtor", StoreError::VersionConflict, {
            Ok(self
                .state()
                .positions
                .values()
                .filter(|p| &p.value.debtor.fiscal_code == debtor)
                .map(|p| p.value.clone())
                .collect())
        })
    }

    async fn positions_of_ec(
        &self,
        ec: &EcFiscalCode,
        due_from: Option<chrono::NaiveDate>,
        due_to: Option<chrono::NaiveDate>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Position>, StoreError> {
        faulty!(self, "positions_of_ec", StoreError::VersionConflict, {
            let lo = due_from.map(|d| d.to_string()).unwrap_or_default();
            let hi = due_to
                .map(|d| format!("{d}#~"))
                .unwrap_or_else(|| "~".into());
            let mut found: Vec<(String, Position)> = self
                .state()
                .positions
                .values()
                .filter(|p| &p.value.ec_fiscal_code == ec)
                .map(|p| (crate::ports::listing_key(&p.value), p.value.clone()))
                .filter(|(k, _)| *k >= lo && *k <= hi && after.is_none_or(|a| k.as_str() > a))
                .collect();
            found.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(found.into_iter().take(limit).map(|(_, p)| p).collect())
        })
    }

    async fn replace(&self, p: &Position, expected_version: u64) -> Result<(), StoreError> {
        faulty!(self, "replace", StoreError::VersionConflict, {
            let mut s = self.state();
            replace_at(&mut s, p, expected_version)
        })
    }

    async fn revise(
        &self,
        p: &Position,
        expected_version: u64,
        claims: &[NoticeNumber],
    ) -> Result<(), StoreError> {
        let taken = StoreError::DuplicateNotice(p.payment_options[0].notice_number);
        faulty!(self, "revise", taken, {
            let mut s = self.state();
            let ec = p.ec_fiscal_code.clone();
            if let Some(n) = claims
                .iter()
                .find(|n| s.claims.contains_key(&(n.iuv(), ec.clone())))
            {
                Err(StoreError::DuplicateNotice(*n))
            } else {
                replace_at(&mut s, p, expected_version)?;
                for n in claims {
                    s.claims
                        .insert((n.iuv(), ec.clone()), (ec.clone(), p.iupd.clone()));
                }
                Ok(())
            }
        })
    }
}

fn replace_at(s: &mut State, p: &Position, expected_version: u64) -> Result<(), StoreError> {
    let key = (p.ec_fiscal_code.clone(), p.iupd.clone());
    match s.positions.get_mut(&key) {
        Some(current) if current.version == expected_version => {
            *current = Versioned {
                value: p.clone(),
                version: expected_version + 1,
            };
            Ok(())
        }
        _ => Err(StoreError::VersionConflict),
    }
}

fn receipt_key(ec: &EcFiscalCode, receipt_id: &str) -> (String, EcFiscalCode) {
    (receipt_id.to_owned(), ec.clone())
}

impl MemoryStore {
    fn update_receipt(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        f: impl FnOnce(&mut Stored) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        match s.receipts.get_mut(&receipt_key(ec, receipt_id)) {
            Some(stored) => f(stored),
            None => Err(StoreError::VersionConflict),
        }
    }
}

#[async_trait]
impl crate::ports::Ledger for MemoryStore {
    async fn paid_between(
        &self,
        ec: &EcFiscalCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<crate::ports::LedgerPage, StoreError> {
        faulty!(self, "paid_between", StoreError::VersionConflict, {
            let mut found: Vec<ReceiptRecord> = self
                .state()
                .receipts
                .values()
                .map(|s| s.record.clone())
                .filter(|r| {
                    &r.ec == ec
                        && r.receipt.outcome == crate::domain::receipt::Outcome::Ok
                        && r.paid_at() >= from
                        && r.paid_at() < to
                        && after.is_none_or(|a| r.ledger_key().as_str() > a)
                })
                .collect();
            found.sort_by_key(|r| r.ledger_key());
            let more = found.len() > limit;
            found.truncate(limit);
            let next = more.then(|| found.last().map(|r| r.ledger_key())).flatten();
            Ok(crate::ports::LedgerPage {
                records: found,
                next,
            })
        })
    }
}

#[async_trait]
impl ReceiptStore for MemoryStore {
    async fn store_receipt(
        &self,
        record: &ReceiptRecord,
        pays: Option<(&Position, u64)>,
    ) -> Result<(), StoreError> {
        faulty!(self, "store_receipt", StoreError::VersionConflict, {
            let mut s = self.state();
            let key = receipt_key(&record.ec, &record.receipt.receipt_id);
            if s.receipts.contains_key(&key) {
                Err(StoreError::DuplicateReceipt)
            } else {
                let paid = match pays {
                    Some((p, v)) => replace_at(&mut s, p, v),
                    None => Ok(()),
                };
                paid.map(|()| {
                    s.receipts.insert(
                        key,
                        Stored {
                            record: record.clone(),
                            mail_lease_until: None,
                            mail_message_id: None,
                        },
                    );
                })
            }
        })
    }

    async fn get_receipt(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
    ) -> Result<Option<ReceiptRecord>, StoreError> {
        faulty!(self, "get_receipt", StoreError::VersionConflict, {
            Ok(self
                .state()
                .receipts
                .get(&receipt_key(ec, receipt_id))
                .map(|s| s.record.clone()))
        })
    }

    async fn receipts_for_notice(
        &self,
        notice_number: &str,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        faulty!(self, "receipts_for_notice", StoreError::VersionConflict, {
            Ok(self
                .state()
                .receipts
                .values()
                .filter(|s| s.record.receipt.notice_number == notice_number)
                .map(|s| s.record.clone())
                .collect())
        })
    }

    async fn receipts_for_payer(
        &self,
        payer: &FiscalCode,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        faulty!(self, "receipts_for_payer", StoreError::VersionConflict, {
            let me = payer.as_str();
            Ok(self
                .state()
                .receipts
                .values()
                .map(|s| &s.record)
                .filter(|r| {
                    r.receipt.payer.as_ref().is_some_and(|p| {
                        p.id.trim().eq_ignore_ascii_case(me)
                            && !p.id.trim().eq_ignore_ascii_case(r.receipt.debtor.id.trim())
                    })
                })
                .cloned()
                .collect())
        })
    }

    async fn complete_owed(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        work: Work,
    ) -> Result<(), StoreError> {
        faulty!(self, "complete_owed", StoreError::VersionConflict, {
            self.update_receipt(ec, receipt_id, |s| {
                s.record.owed.retain(|w| *w != work);
                Ok(())
            })
        })
    }

    async fn claim_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        now: DateTime<Utc>,
        lease_secs: i64,
    ) -> Result<MailClaim, StoreError> {
        let after = match self.faults.store("claim_mail", StoreError::VersionConflict) {
            Err(StoreError::VersionConflict) => return Ok(MailClaim::Leased),
            other => other?,
        };
        let mut st = self.state();
        let Some(s) = st.receipts.get_mut(&receipt_key(ec, receipt_id)) else {
            return Ok(MailClaim::NotOwed);
        };
        if !s.record.owes(Work::Mail) {
            return Ok(MailClaim::NotOwed);
        }
        if s.mail_lease_until.is_some_and(|t| t >= now.timestamp()) {
            return Ok(MailClaim::Leased);
        }
        s.mail_lease_until = Some(now.timestamp() + lease_secs);
        s.record.mail.attempts += 1;
        let attempt = s.record.mail.attempts;
        if after {
            return Err(timed_out("claim_mail"));
        }
        Ok(MailClaim::Claimed { attempt })
    }

    async fn complete_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        faulty!(self, "complete_mail", StoreError::VersionConflict, {
            self.update_receipt(ec, receipt_id, |s| {
                s.record.owed.retain(|w| *w != Work::Mail);
                s.record.mail.sent_at = Some(at);
                s.mail_lease_until = None;
                s.mail_message_id = Some(if message_id.is_empty() {
                    "-".into()
                } else {
                    message_id.to_owned()
                });
                Ok(())
            })
        })
    }

    async fn release_mail(&self, ec: &EcFiscalCode, receipt_id: &str) -> Result<(), StoreError> {
        faulty!(self, "release_mail", StoreError::VersionConflict, {
            self.update_receipt(ec, receipt_id, |s| {
                s.mail_lease_until = None;
                Ok(())
            })
        })
    }

    async fn fail_mail(
        &self,
        ec: &EcFiscalCode,
        receipt_id: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        faulty!(self, "fail_mail", StoreError::VersionConflict, {
            self.update_receipt(ec, receipt_id, |s| {
                s.record.owed.retain(|w| *w != Work::Mail);
                s.record.mail.failed = Some(MailFailure {
                    at,
                    reason: reason.to_owned(),
                });
                s.mail_lease_until = None;
                Ok(())
            })
        })
    }

    async fn receipts_owing_work(
        &self,
        received_before: DateTime<Utc>,
    ) -> Result<Vec<ReceiptRecord>, StoreError> {
        faulty!(self, "receipts_owing_work", StoreError::VersionConflict, {
            Ok(self
                .state()
                .receipts
                .values()
                .filter(|s| !s.record.owed.is_empty() && s.record.received_at < received_before)
                .map(|s| s.record.clone())
                .collect())
        })
    }
}

#[async_trait]
impl PaymentLog for MemoryStore {
    async fn put_attempt(&self, attempt: &PaymentAttempt) -> Result<(), StoreError> {
        faulty!(self, "put_attempt", StoreError::VersionConflict, {
            self.state()
                .attempts
                .insert(attempt.id.clone(), attempt.clone());
            Ok(())
        })
    }

    async fn get_attempt(&self, id: &str) -> Result<Option<PaymentAttempt>, StoreError> {
        faulty!(self, "get_attempt", StoreError::VersionConflict, {
            Ok(self.state().attempts.get(id).cloned())
        })
    }

    async fn record_activation(&self, activation: &Activation) -> Result<(), StoreError> {
        faulty!(self, "record_activation", StoreError::VersionConflict, {
            self.state().activations.push(activation.clone());
            Ok(())
        })
    }

    async fn last_activation(
        &self,
        ec: &EcFiscalCode,
        notice: &NoticeNumber,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        faulty!(self, "last_activation", StoreError::VersionConflict, {
            Ok(self
                .state()
                .activations
                .iter()
                .filter(|a| &a.ec == ec && &a.notice_number == notice)
                .map(|a| a.at)
                .max())
        })
    }
}

#[async_trait]
impl RateCounter for MemoryStore {
    async fn count_hit(
        &self,
        key: &str,
        hits: u64,
        window_start: i64,
        _window_secs: i64,
    ) -> Result<u64, StoreError> {
        faulty!(self, "count_hit", StoreError::VersionConflict, {
            let mut s = self.state();
            let n = s
                .counters
                .entry((key.to_owned(), window_start))
                .or_default();
            *n += hits;
            Ok(*n)
        })
    }
}

#[async_trait]
impl CatalogStore for MemoryStore {
    async fn services(&self, ec: &EcFiscalCode) -> Result<Vec<Service>, StoreError> {
        faulty!(self, "services", StoreError::VersionConflict, {
            Ok(self
                .state()
                .services
                .iter()
                .filter(|((e, _), _)| e == ec)
                .map(|(_, s)| s.clone())
                .collect())
        })
    }

    async fn service(
        &self,
        ec: &EcFiscalCode,
        code: &ServiceCode,
    ) -> Result<Option<Service>, StoreError> {
        faulty!(self, "service", StoreError::VersionConflict, {
            Ok(self
                .state()
                .services
                .get(&(ec.clone(), code.clone()))
                .cloned())
        })
    }

    async fn put_service(&self, service: &Service) -> Result<bool, StoreError> {
        faulty!(self, "put_service", StoreError::VersionConflict, {
            Ok(self
                .state()
                .services
                .insert(
                    (service.ec_fiscal_code.clone(), service.code.clone()),
                    service.clone(),
                )
                .is_none())
        })
    }

    async fn delete_service(
        &self,
        ec: &EcFiscalCode,
        code: &ServiceCode,
    ) -> Result<bool, StoreError> {
        faulty!(self, "delete_service", StoreError::VersionConflict, {
            Ok(self
                .state()
                .services
                .remove(&(ec.clone(), code.clone()))
                .is_some())
        })
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn put_once(
        &self,
        key: &str,
        doc: &serde_json::Value,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        faulty!(self, "put_once", StoreError::VersionConflict, {
            self.state()
                .once
                .insert(key.to_owned(), (doc.clone(), expires_at));
            Ok(())
        })
    }

    async fn take_once(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        faulty!(self, "take_once", StoreError::VersionConflict, {
            Ok(self
                .state()
                .once
                .remove(key)
                .filter(|(_, exp)| *exp > now)
                .map(|(doc, _)| doc))
        })
    }

    async fn put_session(&self, key: &str, session: &Session) -> Result<(), StoreError> {
        faulty!(self, "put_session", StoreError::VersionConflict, {
            self.state()
                .sessions
                .insert(key.to_owned(), session.clone());
            Ok(())
        })
    }

    async fn session(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Session>, StoreError> {
        faulty!(self, "session", StoreError::VersionConflict, {
            Ok(self
                .state()
                .sessions
                .get(key)
                .filter(|s| s.expires_at > now)
                .cloned())
        })
    }

    async fn delete_session(&self, key: &str) -> Result<(), StoreError> {
        faulty!(self, "delete_session", StoreError::VersionConflict, {
            self.state().sessions.remove(key);
            Ok(())
        })
    }

    async fn put_doc(
        &self,
        key: &str,
        doc: &serde_json::Value,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        faulty!(self, "put_doc", StoreError::VersionConflict, {
            self.state()
                .docs
                .insert(key.to_owned(), (doc.clone(), expires_at));
            Ok(())
        })
    }

    async fn doc(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        faulty!(self, "doc", StoreError::VersionConflict, {
            Ok(self
                .state()
                .docs
                .get(key)
                .filter(|(_, exp)| *exp > now)
                .map(|(doc, _)| doc.clone()))
        })
    }
}
