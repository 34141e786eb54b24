//! The back office's stores in memory: operator keys (and, as the back office
//! grows, imports and reporting flows), with the DynamoDB adapter's semantics.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::Faults;
use crate::domain::import::Import;
use crate::domain::EcFiscalCode;
use crate::ports::{
    AnomalyRecord, FlowRecord, ImportStore, KeyStore, OperatorKey, Reported, ReportingStore,
    StoreError, Versioned,
};

#[derive(Debug, Default)]
struct State {
    flows: BTreeMap<(EcFiscalCode, String, String), FlowRecord>,
    reported: BTreeMap<(EcFiscalCode, String, u8), Reported>,
    anomalies: BTreeMap<(EcFiscalCode, String), Vec<AnomalyRecord>>,
    cursors: BTreeMap<EcFiscalCode, chrono::DateTime<chrono::Utc>>,
    keys: BTreeMap<String, OperatorKey>,
    operators: BTreeMap<crate::domain::FiscalCode, crate::domain::access::Operator>,
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

    async fn put_operator(
        &self,
        operator: &crate::domain::access::Operator,
    ) -> Result<(), StoreError> {
        faulty!(self, "put_operator", StoreError::VersionConflict, {
            self.state()
                .operators
                .insert(operator.fiscal_code.clone(), operator.clone());
            Ok(())
        })
    }

    async fn operator(
        &self,
        fiscal_code: &crate::domain::FiscalCode,
    ) -> Result<Option<crate::domain::access::Operator>, StoreError> {
        faulty!(self, "operator", StoreError::VersionConflict, {
            Ok(self.state().operators.get(fiscal_code).cloned())
        })
    }

    async fn operators(&self) -> Result<Vec<crate::domain::access::Operator>, StoreError> {
        faulty!(self, "operators", StoreError::VersionConflict, {
            Ok(self.state().operators.values().cloned().collect())
        })
    }

    async fn remove_operator(
        &self,
        fiscal_code: &crate::domain::FiscalCode,
    ) -> Result<bool, StoreError> {
        faulty!(self, "remove_operator", StoreError::VersionConflict, {
            Ok(self.state().operators.remove(fiscal_code).is_some())
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

#[async_trait]
impl ReportingStore for MemoryBackOffice {
    async fn flow_revision(
        &self,
        ec: &EcFiscalCode,
        psp_id: &str,
        flow_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        faulty!(self, "flow_revision", StoreError::VersionConflict, {
            Ok(self
                .state()
                .flows
                .get(&(ec.clone(), psp_id.to_owned(), flow_id.to_owned()))
                .map(|f| f.flow.revision))
        })
    }

    async fn put_flow(&self, r: &FlowRecord) -> Result<bool, StoreError> {
        faulty!(self, "put_flow", StoreError::VersionConflict, {
            let mut s = self.state();
            let key = (
                r.flow.ec.clone(),
                r.flow.psp_id.clone(),
                r.flow.flow_id.clone(),
            );
            match s.flows.get(&key) {
                Some(old) if old.flow.revision >= r.flow.revision => Ok(false),
                _ => {
                    s.flows.insert(key, r.clone());
                    Ok(true)
                }
            }
        })
    }

    async fn flows(&self, ec: &EcFiscalCode, limit: usize) -> Result<Vec<FlowRecord>, StoreError> {
        faulty!(self, "flows", StoreError::VersionConflict, {
            let mut list: Vec<FlowRecord> = self
                .state()
                .flows
                .values()
                .filter(|f| &f.flow.ec == ec)
                .cloned()
                .collect();
            list.sort_by_key(|f| std::cmp::Reverse(f.flow.published));
            list.truncate(limit);
            Ok(list)
        })
    }

    async fn mark_reported(
        &self,
        ec: &EcFiscalCode,
        lines: &[(String, u8, Reported)],
    ) -> Result<(), StoreError> {
        faulty!(self, "mark_reported", StoreError::VersionConflict, {
            let mut s = self.state();
            for (iuv, t, r) in lines {
                s.reported.insert((ec.clone(), iuv.clone(), *t), r.clone());
            }
            Ok(())
        })
    }

    async fn reported(
        &self,
        ec: &EcFiscalCode,
        keys: &[(String, u8)],
    ) -> Result<Vec<Option<Reported>>, StoreError> {
        faulty!(self, "reported", StoreError::VersionConflict, {
            let s = self.state();
            Ok(keys
                .iter()
                .map(|(iuv, t)| s.reported.get(&(ec.clone(), iuv.clone(), *t)).cloned())
                .collect())
        })
    }

    async fn replace_anomalies(
        &self,
        ec: &EcFiscalCode,
        scope: &str,
        anomalies: &[AnomalyRecord],
    ) -> Result<(), StoreError> {
        faulty!(self, "replace_anomalies", StoreError::VersionConflict, {
            let mut s = self.state();
            let key = (ec.clone(), scope.to_owned());
            let old = s.anomalies.remove(&key).unwrap_or_default();
            let new: Vec<AnomalyRecord> = anomalies
                .iter()
                .map(|a| {
                    old.iter()
                        .find(|o| o.anomaly.key() == a.anomaly.key())
                        .cloned()
                        .unwrap_or_else(|| a.clone())
                })
                .collect();
            if !new.is_empty() {
                s.anomalies.insert(key, new);
            }
            Ok(())
        })
    }

    async fn anomalies(&self, ec: &EcFiscalCode) -> Result<Vec<AnomalyRecord>, StoreError> {
        faulty!(self, "anomalies", StoreError::VersionConflict, {
            Ok(self
                .state()
                .anomalies
                .iter()
                .filter(|((e, _), _)| e == ec)
                .flat_map(|(_, v)| v.clone())
                .collect())
        })
    }

    async fn cursor(
        &self,
        ec: &EcFiscalCode,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        faulty!(self, "cursor", StoreError::VersionConflict, {
            Ok(self.state().cursors.get(ec).copied())
        })
    }

    async fn set_cursor(
        &self,
        ec: &EcFiscalCode,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        faulty!(self, "set_cursor", StoreError::VersionConflict, {
            self.state().cursors.insert(ec.clone(), at);
            Ok(())
        })
    }
}

/// pagoPA's reporting flows API in memory: flows published by tests, listed
/// and read as the API does (latest revision of each, after a time).
#[derive(Debug, Default)]
pub struct MemoryFdr {
    flows: Mutex<Vec<crate::domain::reporting::Flow>>,
    pub faults: Faults,
}

impl MemoryFdr {
    pub fn publish(&self, flow: crate::domain::reporting::Flow) {
        self.flows.lock().expect("fdr").push(flow);
    }
}

#[async_trait]
impl crate::fdr::FdrApi for MemoryFdr {
    async fn list(
        &self,
        ec: &EcFiscalCode,
        published_gt: chrono::DateTime<chrono::Utc>,
        page: u64,
    ) -> Result<(Vec<crate::fdr::FlowRef>, u64), crate::fdr::FdrError> {
        if self.faults.next("list").is_some() {
            return Err(crate::fdr::FdrError::Unavailable("injected".into()));
        }
        let flows = self.flows.lock().expect("fdr");
        let mut latest: Vec<&crate::domain::reporting::Flow> = Vec::new();
        for f in flows.iter().filter(|f| &f.ec == ec) {
            latest.retain(|l| l.flow_id != f.flow_id || l.revision > f.revision);
            if !latest.iter().any(|l| l.flow_id == f.flow_id) {
                latest.push(f);
            }
        }
        let refs = latest
            .into_iter()
            .filter(|f| f.published > published_gt)
            .map(|f| crate::fdr::FlowRef {
                flow_id: f.flow_id.clone(),
                psp_id: f.psp_id.clone(),
                revision: f.revision,
                published: f.published,
            })
            .collect();
        Ok((if page == 1 { refs } else { vec![] }, 1))
    }

    async fn flow(
        &self,
        _ec: &EcFiscalCode,
        r: &crate::fdr::FlowRef,
    ) -> Result<(crate::domain::reporting::Flow, serde_json::Value), crate::fdr::FdrError> {
        if self.faults.next("flow").is_some() {
            return Err(crate::fdr::FdrError::Unavailable("injected".into()));
        }
        self.flows
            .lock()
            .expect("fdr")
            .iter()
            .find(|f| f.flow_id == r.flow_id && f.revision == r.revision)
            .map(|f| (f.clone(), serde_json::json!({"fdr": f.flow_id})))
            .ok_or(crate::fdr::FdrError::Refused {
                status: 404,
                detail: "FDR-3001".into(),
            })
    }
}
