//! In-memory documents, mailer, Checkout and identity provider.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{timed_out, Fault, Faults};
use crate::auth::oidc::{AuthRequest, Identity, IdentityProvider, LoginError, LoginMethod};
use crate::checkout::{CartRequest, Checkout, CheckoutError};
use crate::ports::{Document, DocumentStore, Mail, MailError, Mailer, StoreError};

/// Documents by key.
#[derive(Debug, Default)]
pub struct MemoryDocuments {
    docs: Mutex<HashMap<String, Document>>,
    pub faults: Faults,
}

impl MemoryDocuments {
    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = self.docs.lock().expect("docs").keys().cloned().collect();
        k.sort();
        k
    }
}

#[async_trait]
impl DocumentStore for MemoryDocuments {
    async fn put(&self, key: &str, doc: &Document) -> Result<(), StoreError> {
        let after = self.faults.store("put", StoreError::VersionConflict)?;
        self.docs
            .lock()
            .expect("docs")
            .insert(key.to_owned(), doc.clone());
        if after {
            return Err(timed_out("put"));
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Document>, StoreError> {
        self.faults.store("get", StoreError::VersionConflict)?;
        Ok(self.docs.lock().expect("docs").get(key).cloned())
    }

    async fn presign_get(&self, key: &str, expires_secs: u64) -> Result<String, StoreError> {
        self.faults
            .store("presign_get", StoreError::VersionConflict)?;
        Ok(format!("memory://documents/{key}?expires={expires_secs}"))
    }

    async fn presign_put(
        &self,
        key: &str,
        _content_type: &str,
        expires_secs: u64,
    ) -> Result<String, StoreError> {
        self.faults
            .store("presign_put", StoreError::VersionConflict)?;
        Ok(format!(
            "memory://documents/{key}?upload&expires={expires_secs}"
        ))
    }

    async fn read_range(
        &self,
        key: &str,
        offset: u64,
        len: u64,
    ) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
        self.faults
            .store("read_range", StoreError::VersionConflict)?;
        Ok(self.docs.lock().expect("docs").get(key).map(|d| {
            let total = d.bytes.len() as u64;
            let start = offset.min(total) as usize;
            let end = offset.saturating_add(len).min(total) as usize;
            (d.bytes[start..end].to_vec(), total)
        }))
    }

    async fn concat(
        &self,
        parts: &[String],
        into: &str,
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.faults.store("concat", StoreError::VersionConflict)?;
        let mut docs = self.docs.lock().expect("docs");
        let mut bytes = Vec::new();
        for p in parts {
            let d = docs
                .get(p)
                .ok_or_else(|| StoreError::Corrupt(format!("part {p} missing")))?;
            bytes.extend_from_slice(&d.bytes);
        }
        docs.insert(
            into.to_owned(),
            Document {
                content_type: content_type.to_owned(),
                bytes,
            },
        );
        Ok(())
    }
}

/// The native renderer, with faults: `receipt` and `avviso` fail as told.
#[derive(Debug, Default)]
pub struct MemoryRenderer {
    pub faults: Faults,
}

fn render_fault(f: Option<Fault>) -> Result<(), crate::pdf::PdfError> {
    match f {
        None => Ok(()),
        Some(_) => Err(crate::pdf::PdfError::Pdf("injected".into())),
    }
}

impl crate::pdf::Renderer for MemoryRenderer {
    fn receipt(&self, doc: &crate::pdf::ReceiptDocument) -> Result<Vec<u8>, crate::pdf::PdfError> {
        render_fault(self.faults.next("receipt"))?;
        crate::pdf::Native.receipt(doc)
    }
    fn avviso(&self, data: &crate::pdf::AvvisoData) -> Result<Vec<u8>, crate::pdf::PdfError> {
        render_fault(self.faults.next("avviso"))?;
        crate::pdf::Native.avviso(data)
    }
}

/// Records every mail it accepts.
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Mail>>,
    pub faults: Faults,
}

impl MemoryMailer {
    /// Every mail accepted, in order.
    pub fn sent(&self) -> Vec<Mail> {
        self.sent.lock().expect("mails").clone()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let fault = self.faults.next("send");
        match fault {
            Some(Fault::Unavailable | Fault::Throttled | Fault::Conflict) => {
                return Err(MailError::Unavailable("send: injected".into()))
            }
            Some(Fault::Rejected) => return Err(MailError::Rejected("send: injected".into())),
            _ => {}
        }
        let mut sent = self.sent.lock().expect("mails");
        sent.push(mail.clone());
        if fault == Some(Fault::TimeoutAfterWrite) {
            return Err(MailError::Unavailable(
                "send: timed out after sending (injected)".into(),
            ));
        }
        Ok(format!("memory-{}", sent.len()))
    }
}

/// A Checkout that accepts every cart (or refuses it, with [`Fault::Rejected`]).
#[derive(Debug, Default)]
pub struct MemoryCheckout {
    carts: Mutex<Vec<CartRequest>>,
    pub faults: Faults,
}

impl MemoryCheckout {
    pub fn carts(&self) -> Vec<CartRequest> {
        self.carts.lock().expect("carts").clone()
    }
}

#[async_trait]
impl Checkout for MemoryCheckout {
    async fn create_cart(&self, cart: &CartRequest) -> Result<String, CheckoutError> {
        match self.faults.next("create_cart") {
            Some(Fault::Rejected | Fault::Conflict) => {
                return Err(CheckoutError::Refused {
                    status: 422,
                    detail: "injected".into(),
                })
            }
            Some(Fault::Unavailable | Fault::Throttled | Fault::TimeoutAfterWrite) => {
                return Err(CheckoutError::Unavailable("injected".into()))
            }
            None => {}
        }
        self.carts.lock().expect("carts").push(cart.clone());
        Ok(format!("https://checkout.example/c/{}", cart.id_cart))
    }
}

/// An identity provider that signs in whoever it is told to, for the code it
/// was told (any other code is refused).
#[derive(Debug, Default)]
pub struct MemoryIdentity {
    logins: Mutex<HashMap<String, Identity>>,
    pub faults: Faults,
}

impl MemoryIdentity {
    /// The next callback with `code` signs `who` in.
    pub fn will_sign_in(&self, code: &str, who: Identity) {
        self.logins
            .lock()
            .expect("logins")
            .insert(code.to_owned(), who);
    }
}

fn login_fault(f: Option<Fault>) -> Result<(), LoginError> {
    match f {
        None => Ok(()),
        Some(Fault::Rejected | Fault::Conflict) => Err(LoginError::Refused("injected".into())),
        Some(_) => Err(LoginError::Unavailable("injected".into())),
    }
}

#[async_trait]
impl IdentityProvider for MemoryIdentity {
    async fn end_session_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect_uri: &str,
    ) -> Result<Option<String>, LoginError> {
        login_fault(self.faults.next("end_session_url"))?;
        Ok(Some(format!(
            "https://idp.example/logout?hint={}&back={post_logout_redirect_uri}",
            id_token_hint.unwrap_or("-")
        )))
    }

    async fn authorize_url(
        &self,
        req: &AuthRequest,
        method: LoginMethod,
        redirect_uri: &str,
    ) -> Result<String, LoginError> {
        login_fault(self.faults.next("authorize_url"))?;
        Ok(format!(
            "https://idp.example/authorize?state={}&idp_hint={}&redirect_uri={redirect_uri}",
            req.state,
            method.code()
        ))
    }

    async fn redeem(
        &self,
        code: &str,
        _req: &AuthRequest,
        _method: LoginMethod,
        _redirect_uri: &str,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Identity, LoginError> {
        login_fault(self.faults.next("redeem"))?;
        self.logins
            .lock()
            .expect("logins")
            .remove(code)
            .ok_or_else(|| LoginError::Refused("unknown code".into()))
    }
}
