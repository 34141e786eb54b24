//! The back office's stores in memory: operator keys (and, as the back office
//! grows, imports and reporting flows), with the DynamoDB adapter's semantics.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::Faults;
use crate::domain::import::Import;
use crate::domain::EcFiscalCode;
use crate::ports::{ImportStore, KeyStore, OperatorKey, StoreError, Versioned};

#[derive(Debug, Default)]
struct State {
    keys: BTreeMap<String, OperatorKey>,
    imports: BTreeMap<(EcFiscalCode, String), Versioned<Import>>,
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

#[async_trait]
impl ImportStore for MemoryBackOffice {
    async fn create_import(&self, i: &Import) -> Result<(), StoreError> {
        faulty!(self, "create_import", StoreError::VersionConflict, {
            let mut s = self.state();
            match s.imports.entry((i.ec.clone(), i.import_id.clone())) {
                std::collections::btree_map::Entry::Occupied(_) => Err(StoreError::VersionConflict),
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(Versioned {
                        value: i.clone(),
                        version: 1,
                    });
                    Ok(())
                }
            }
        })
    }

    async fn get_import(
        &self,
        ec: &EcFiscalCode,
        import_id: &str,
    ) -> Result<Option<Versioned<Import>>, StoreError> {
        faulty!(self, "get_import", StoreError::VersionConflict, {
            Ok(self
                .state()
                .imports
                .get(&(ec.clone(), import_id.to_owned()))
                .cloned())
        })
    }

    async fn save_import(&self, i: &Import, expected_version: u64) -> Result<(), StoreError> {
        faulty!(self, "save_import", StoreError::VersionConflict, {
            let mut s = self.state();
            match s.imports.get_mut(&(i.ec.clone(), i.import_id.clone())) {
                Some(v) if v.version == expected_version => {
                    *v = Versioned {
                        value: i.clone(),
                        version: expected_version + 1,
                    };
                    Ok(())
                }
                _ => Err(StoreError::VersionConflict),
            }
        })
    }

    async fn imports(&self, ec: &EcFiscalCode, limit: usize) -> Result<Vec<Import>, StoreError> {
        faulty!(self, "imports", StoreError::VersionConflict, {
            let mut list: Vec<Import> = self
                .state()
                .imports
                .values()
                .filter(|v| &v.value.ec == ec)
                .map(|v| v.value.clone())
                .collect();
            list.sort_by_key(|i| std::cmp::Reverse(i.created_at));
            list.truncate(limit);
            Ok(list)
        })
    }
}
