//! Bulk imports: one item each (`IMPORT#<ec>#<id>`), listed per EC on `gsi1`
//! newest first, replaced under optimistic locking (`version`).

use async_trait::async_trait;

use super::*;
use crate::domain::import::Import;
use crate::ports::ImportStore;

fn import_pk(ec: &EcFiscalCode, id: &str) -> String {
    format!("IMPORT#{ec}#{id}")
}

fn import_item(i: &Import, version: u64) -> Result<Item, StoreError> {
    let doc = serde_json::to_string(i).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(HashMap::from([
        ("pk".into(), s(import_pk(&i.ec, &i.import_id))),
        ("sk".into(), s("IMPORT")),
        ("kind".into(), s("import")),
        ("doc".into(), s(doc)),
        ("version".into(), n(version)),
        ("gsi1pk".into(), s(format!("IMPORTS#{}", i.ec))),
        (
            "gsi1sk".into(),
            s(format!(
                "IMPORT#{}#{}",
                i.created_at.to_rfc3339(),
                i.import_id
            )),
        ),
    ]))
}

#[async_trait]
impl ImportStore for DynamoTable {
    async fn create_import(&self, i: &Import) -> Result<(), StoreError> {
        match self
            .put_if(import_item(i, 1)?, "attribute_not_exists(pk)", &[])
            .await?
        {
            true => Ok(()),
            false => Err(StoreError::VersionConflict),
        }
    }

    async fn get_import(
        &self,
        ec: &EcFiscalCode,
        import_id: &str,
    ) -> Result<Option<Versioned<Import>>, StoreError> {
        let Some(item) = self.get_item(import_pk(ec, import_id), "IMPORT").await? else {
            return Ok(None);
        };
        Ok(Some(Versioned {
            value: read_doc(&item, "import")?,
            version: get_n(&item, "version")?,
        }))
    }

    async fn save_import(&self, i: &Import, expected_version: u64) -> Result<(), StoreError> {
        let item = import_item(i, expected_version + 1)?;
        match self
            .put_if(item, "version = :v", &[(":v", n(expected_version))])
            .await?
        {
            true => Ok(()),
            false => Err(StoreError::VersionConflict),
        }
    }

    async fn imports(&self, ec: &EcFiscalCode, limit: usize) -> Result<Vec<Import>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_DEBTOR)
            .key_condition_expression("gsi1pk = :pk AND begins_with(gsi1sk, :i)")
            .expression_attribute_values(":pk", s(format!("IMPORTS#{ec}")))
            .expression_attribute_values(":i", s("IMPORT#"))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 100) as i32)
            .send()
            .await
            .map_err(unavailable)?;
        out.items().iter().map(|i| read_doc(i, "import")).collect()
    }
}
