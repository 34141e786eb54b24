//! The back office's stores in memory: operator keys (and, as the back office
//! grows, imports and reporting flows), with the DynamoDB adapter's semantics.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::Faults;
use crate::domain::EcFiscalCode;
use crate::ports::{KeyStore, OperatorKey, StoreError};

#[derive(Debug, Default)]
struct State {
    keys: BTreeMap<String, OperatorKey>,
}

#[derive(Debug, Default)]
pub struct MemoryBackOffice {
    state: Mutex<State>,
    pub faults: Faults,
}

impl MemoryBackOffice {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("memory back office")
    }
}

#[async_trait]
impl KeyStore for MemoryBackOffice {
    async fn add_key(&self, key: &OperatorKey, max_active: u64) -> Result<(), StoreError> {
        faulty!(self, "add_key", StoreError::LimitReached, {
            let mut s = self.state();
            let active = s.keys.values().filter(|k| k.ec == key.ec).count() as u64;
            if active >= max_active {
                Err(StoreError::LimitReached)
            } else {
                s.keys.insert(key.key_id.clone(), key.clone());
                Ok(())
            }
        })
    }

    async fn key(&self, key_id: &str) -> Result<Option<OperatorKey>, StoreError> {
        faulty!(self, "key", StoreError::VersionConflict, {
            Ok(self.state().keys.get(key_id).cloned())
        })
    }

    async fn keys(&self, ec: &EcFiscalCode) -> Result<Vec<OperatorKey>, StoreError> {
        faulty!(self, "keys", StoreError::VersionConflict, {
            let mut keys: Vec<_> = self
                .state()
                .keys
                .values()
                .filter(|k| &k.ec == ec)
                .cloned()
                .collect();
            keys.sort_by_key(|k| k.created_at);
            Ok(keys)
        })
    }

    async fn revoke_key(&self, ec: &EcFiscalCode, key_id: &str) -> Result<bool, StoreError> {
        faulty!(self, "revoke_key", StoreError::VersionConflict, {
            let mut s = self.state();
            match s.keys.get(key_id) {
                Some(k) if &k.ec == ec => Ok(s.keys.remove(key_id).is_some()),
                _ => Ok(false),
            }
        })
    }
}
