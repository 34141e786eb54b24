//! Creating the table, bucket and mail identity on the emulator, as the SAM
//! template declares them. The table's keys and indexes are read from the
//! template itself, so the two cannot drift apart.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use serde_yaml::Value;
use shared::aws::Clients;
use shared::domain::text::Email;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn key_schema(v: &Value) -> Result<Vec<KeySchemaElement>, BoxError> {
    v.as_sequence()
        .ok_or("KeySchema is not a list")?
        .iter()
        .map(|k| {
            let name = k
                .get("AttributeName")
                .and_then(Value::as_str)
                .ok_or("AttributeName")?;
            let kind = match k.get("KeyType").and_then(Value::as_str) {
                Some("HASH") => KeyType::Hash,
                Some("RANGE") => KeyType::Range,
                _ => return Err("KeyType".into()),
            };
            Ok(KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()?)
        })
        .collect()
}

/// Creates the table described by `Resources.Table` of the template (no-op if it exists).
pub async fn create_table(clients: &Clients, template: &str, name: &str) -> Result<(), BoxError> {
    let doc: Value = serde_yaml::from_str(template)?;
    let props = doc
        .get("Resources")
        .and_then(|r| r.get("Table"))
        .and_then(|t| t.get("Properties"))
        .ok_or("template has no Resources.Table.Properties")?;
    let mut req = clients
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(
            props.get("KeySchema").ok_or("KeySchema")?,
        )?));
    for a in props
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .ok_or("AttributeDefinitions")?
    {
        let kind = match a.get("AttributeType").and_then(Value::as_str) {
            Some("S") => ScalarAttributeType::S,
            Some("N") => ScalarAttributeType::N,
            Some("B") => ScalarAttributeType::B,
            _ => return Err("AttributeType".into()),
        };
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(
                    a.get("AttributeName")
                        .and_then(Value::as_str)
                        .ok_or("AttributeName")?,
                )
                .attribute_type(kind)
                .build()?,
        );
    }
    if let Some(gsis) = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
    {
        for g in gsis {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(
                        g.get("IndexName")
                            .and_then(Value::as_str)
                            .ok_or("IndexName")?,
                    )
                    .set_key_schema(Some(key_schema(g.get("KeySchema").ok_or("KeySchema")?)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()?,
            );
        }
    }
    match req.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            return Ok(())
        }
        Err(e) => {
            return Err(aws_sdk_dynamodb::error::DisplayErrorContext(e)
                .to_string()
                .into())
        }
    }
    if let Some(ttl) = props
        .get("TimeToLiveSpecification")
        .and_then(|t| t.get("AttributeName"))
        .and_then(Value::as_str)
    {
        clients
            .dynamodb
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string())?;
    }
    Ok(())
}

/// Creates the documents bucket (no-op if it exists).
pub async fn create_bucket(clients: &Clients, name: &str, region: &str) -> Result<(), BoxError> {
    let r = clients
        .s3
        .create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        )
        .send()
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists()
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(aws_sdk_s3::error::DisplayErrorContext(e).to_string().into()),
    }
}

/// Verifies the sender's domain as an SES identity.
pub async fn create_mail_identity(clients: &Clients, from: &Email) -> Result<(), BoxError> {
    let domain = from
        .as_str()
        .split_once('@')
        .map(|(_, d)| d)
        .ok_or("sender")?;
    match clients
        .sesv2
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(aws_sdk_sesv2::error::DisplayErrorContext(e)
            .to_string()
            .into()),
    }
}
