//! In-memory adapters of every port, for use-case tests that run in-process in
//! milliseconds, with no emulator. Each can be told to fail: [`Faults`] injects,
//! per operation, an unavailable or throttled store, a lost conditional check,
//! or a call that did its work and then timed out (the caller cannot tell).
//!
//! Built for the crate's own tests and, with the `test-util` feature, for the
//! tests of other crates. Never part of a deployed function.

/// Runs `write` under the faults of `op`: before it (unavailable, throttled,
/// conflict) or after it (a timeout once it happened).
macro_rules! faulty {
    ($self:ident, $op:literal, $conflict:expr, $write:expr) => {{
        let after = $self.faults.store($op, $conflict)?;
        let result = $write;
        if after && result.is_ok() {
            return Err($crate::memory::timed_out($op));
        }
        result
    }};
}

mod backoffice;
mod others;
mod store;

use std::collections::HashMap;
use std::sync::Mutex;

pub use backoffice::{MemoryBackOffice, MemoryFdr};
pub use others::{MemoryCheckout, MemoryDocuments, MemoryIdentity, MemoryMailer, MemoryRenderer};
pub use store::MemoryStore;

use crate::ports::StoreError;

/// A fault an adapter can be told to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The call fails before doing anything, as a store that cannot be reached.
    Unavailable,
    /// The call fails before doing anything, as a throttled store.
    Throttled,
    /// The call's condition fails, as if someone else had written first.
    Conflict,
    /// The call does its work, then fails as a timeout would: the caller
    /// cannot tell whether it happened.
    TimeoutAfterWrite,
    /// Mail only: the provider refuses the message for good.
    Rejected,
}

/// Faults to inject, by operation name (the port method's name), each for a
/// number of calls; and how many times each operation was called.
#[derive(Debug, Default)]
pub struct Faults {
    pending: Mutex<HashMap<&'static str, Vec<Fault>>>,
    calls: Mutex<HashMap<&'static str, usize>>,
}

impl Faults {
    /// The next `times` calls of `op` fail with `fault`.
    pub fn inject(&self, op: &'static str, fault: Fault, times: usize) {
        let mut p = self.pending.lock().expect("faults");
        p.entry(op)
            .or_default()
            .extend(std::iter::repeat_n(fault, times));
    }

    /// Removes every pending fault.
    pub fn clear(&self) {
        self.pending.lock().expect("faults").clear();
    }

    /// How many injected faults of `op` have not happened yet.
    pub fn pending(&self, op: &str) -> usize {
        self.pending
            .lock()
            .expect("faults")
            .get(op)
            .map_or(0, Vec::len)
    }

    /// How many times `op` was called.
    pub fn calls(&self, op: &str) -> usize {
        self.calls
            .lock()
            .expect("faults")
            .get(op)
            .copied()
            .unwrap_or(0)
    }

    /// Counts a call of `op` and returns the fault it must produce, if any.
    pub(crate) fn next(&self, op: &'static str) -> Option<Fault> {
        *self.calls.lock().expect("faults").entry(op).or_default() += 1;
        let mut p = self.pending.lock().expect("faults");
        let queue = p.get_mut(op)?;
        (!queue.is_empty()).then(|| queue.remove(0))
    }

    /// For a store operation: the error to fail with before doing anything, or
    /// whether to fail after doing it (`Ok(true)`). `conflict` is the error the
    /// operation's failed condition produces.
    pub(crate) fn store(&self, op: &'static str, conflict: StoreError) -> Result<bool, StoreError> {
        match self.next(op) {
            None => Ok(false),
            Some(Fault::Unavailable) => Err(StoreError::Unavailable(format!("{op}: injected"))),
            Some(Fault::Throttled | Fault::Rejected) => {
                Err(StoreError::Throttled(format!("{op}: injected")))
            }
            Some(Fault::Conflict) => Err(conflict),
            Some(Fault::TimeoutAfterWrite) => Ok(true),
        }
    }
}

/// The error of a call that did its work and then timed out.
pub(crate) fn timed_out(op: &str) -> StoreError {
    StoreError::Unavailable(format!("{op}: timed out after the write (injected)"))
}

/// The in-memory adapters behind an [`App`](crate::App), kept for assertions
/// and fault injection.
#[derive(Clone)]
pub struct Fakes {
    pub store: std::sync::Arc<MemoryStore>,
    pub documents: std::sync::Arc<MemoryDocuments>,
    pub mailer: std::sync::Arc<MemoryMailer>,
    pub checkout: std::sync::Arc<MemoryCheckout>,
    pub identity: std::sync::Arc<MemoryIdentity>,
    pub pdf: std::sync::Arc<MemoryRenderer>,
    pub backoffice: std::sync::Arc<MemoryBackOffice>,
    pub fdr: std::sync::Arc<MemoryFdr>,
}

/// Settings for in-process tests.
pub fn settings() -> crate::app::Settings {
    crate::app::Settings {
        table_name: "memory".into(),
        bucket_name: "memory".into(),
        mail_from: crate::domain::text::Email::parse("noreply@portale.example").expect("valid"),
        operator_api_key: crate::app::ApiKey::new("test-operator-key"),
        admin_api_key: crate::app::ApiKey::new("test-admin-key"),
        inline_export_bytes: 4_000_000,
        public_base_url: "https://portale.example".into(),
        checkout_url: "https://checkout.example/ec/v2".into(),
        secure_cookies: true,
        portal_name: "Portale dei Pagamenti".into(),
        static_dir: None,
        lookup_limit_per_minute: 30,
        cns_domain: Some("cns.portale.example".into()),
        anonymous_position_days: 7,
        nodo_client_subjects: vec![],
        in_lambda: false,
        fdr_configured: true,
        dev_identity_provider: false,
        identity_origin: Some("https://idp.example".into()),
    }
}

/// An [`App`](crate::App) on in-memory adapters, with a login provider, at a
/// fixed time.
pub fn app(entities: crate::domain::Entities, clock: crate::app::Clock) -> (crate::App, Fakes) {
    use std::sync::Arc;
    let fakes = Fakes {
        store: Arc::new(MemoryStore::default()),
        documents: Arc::new(MemoryDocuments::default()),
        mailer: Arc::new(MemoryMailer::default()),
        checkout: Arc::new(MemoryCheckout::default()),
        identity: Arc::new(MemoryIdentity::default()),
        pdf: Arc::new(MemoryRenderer::default()),
        backoffice: Arc::new(MemoryBackOffice::default()),
        fdr: Arc::new(MemoryFdr::default()),
    };
    let app = crate::App {
        positions: fakes.store.clone(),
        receipts: fakes.store.clone(),
        payments: fakes.store.clone(),
        counters: fakes.store.clone(),
        catalog: fakes.store.clone(),
        sessions: fakes.store.clone(),
        keys: fakes.backoffice.clone(),
        ledger: fakes.store.clone(),
        imports: fakes.backoffice.clone(),
        reporting: fakes.backoffice.clone(),
        fdr: Some(fakes.fdr.clone()),
        documents: fakes.documents.clone(),
        pdf: fakes.pdf.clone(),
        mailer: fakes.mailer.clone(),
        checkout: fakes.checkout.clone(),
        identity: Some(fakes.identity.clone()),
        entities: Arc::new(entities),
        settings: settings(),
        clock,
    };
    (app, fakes)
}
