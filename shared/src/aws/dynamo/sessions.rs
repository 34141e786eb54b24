//! The service catalogue and the sessions (with single-use records).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

use super::*;
use crate::domain::catalog::Service;
use crate::domain::text::ServiceCode;
use crate::domain::EcFiscalCode;
use crate::ports::{CatalogStore, Session, SessionStore};

#[async_trait]
impl CatalogStore for DynamoTable {
    async fn services(&self, ec: &EcFiscalCode) -> Result<Vec<Service>, StoreError> {
        let items = self
            .query_all(None, "pk = :pk", &[(":pk", s(format!("SERVICES#{ec}")))])
            .await?;
        items.iter().map(|i| read_doc(i, "service")).collect()
    }

    async fn service(
        &self,
        ec: &EcFiscalCode,
        code: &ServiceCode,
    ) -> Result<Option<Service>, StoreError> {
        let item = self
            .get_item(format!("SERVICES#{ec}"), format!("SERVICE#{code}"))
            .await?;
        item.as_ref().map(|i| read_doc(i, "service")).transpose()
    }

    async fn put_service(&self, service: &Service) -> Result<bool, StoreError> {
        let doc = serde_json::to_string(service).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("SERVICES#{}", service.ec_fiscal_code)))
            .item("sk", s(format!("SERVICE#{}", service.code)))
            .item("kind", s("service"))
            .item("doc", s(doc))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.is_none_or(|a| a.is_empty()))
    }

    async fn delete_service(
        &self,
        ec: &EcFiscalCode,
        code: &ServiceCode,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("SERVICES#{ec}")))
            .key("sk", s(format!("SERVICE#{code}")))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}

#[async_trait]
impl SessionStore for DynamoTable {
    async fn put_once(
        &self,
        key: &str,
        doc: &serde_json::Value,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.put_doc(
            format!("ONCE#{key}"),
            "ONCE".into(),
            "once",
            doc,
            expires_at,
        )
        .await
    }

    async fn take_once(
        &self,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        // A conditional delete returning the old item: of two concurrent takes,
        // only one sees it.
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("ONCE#{key}")))
            .key("sk", s("ONCE"))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        match out.attributes {
            Some(item) if !item.is_empty() && !expired(&item, now) => {
                Ok(Some(read_doc(&item, "single-use record")?))
            }
            _ => Ok(None),
        }
    }

    async fn put_session(&self, key: &str, session: &Session) -> Result<(), StoreError> {
        self.put_doc(
            format!("SESSION#{key}"),
            "SESSION".into(),
            "session",
            session,
            session.expires_at,
        )
        .await
    }

    async fn session(
        &self,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Session>, StoreError> {
        match self.get_item(format!("SESSION#{key}"), "SESSION").await? {
            // DynamoDB deletes expired items lazily: the expiry is checked here.
            Some(item) if !expired(&item, now) => Ok(Some(read_doc(&item, "session")?)),
            _ => Ok(None),
        }
    }

    async fn delete_session(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("SESSION#{key}")))
            .key("sk", s("SESSION"))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn put_doc(
        &self,
        key: &str,
        doc: &serde_json::Value,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.put_doc(format!("DOC#{key}"), "DOC".into(), "doc", doc, expires_at)
            .await
    }

    async fn doc(
        &self,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        match self.get_item(format!("DOC#{key}"), "DOC").await? {
            Some(item) if !expired(&item, now) => Ok(Some(read_doc(&item, "record")?)),
            _ => Ok(None),
        }
    }
}
