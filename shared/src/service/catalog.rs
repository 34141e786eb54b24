//! The EC's service catalogue: saved through the operator API and the
//! console alike, with the same checks as the catalogue file.

use serde_json::Value;

use crate::domain::catalog::Service;
use crate::domain::text::ServiceCode;
use crate::domain::{EcFiscalCode, FieldErrors};
use crate::ports::StoreError;
use crate::App;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("EC not served by this portal")]
    UnknownEc,
    #[error("invalid service")]
    Invalid(FieldErrors),
    #[error("catalogue not reachable")]
    Store(#[from] StoreError),
}

/// Creates or replaces the EC's service `code` from its JSON document (the
/// document's `ecFiscalCode` and `code`, when present, must be these). The
/// service, and whether it is new.
pub async fn save(
    app: &App,
    ec: &EcFiscalCode,
    code: &ServiceCode,
    mut doc: Value,
) -> Result<(Service, bool), CatalogError> {
    if app.entities.get(ec).is_none() {
        return Err(CatalogError::UnknownEc);
    }
    let Some(obj) = doc.as_object_mut() else {
        return Err(CatalogError::Invalid(FieldErrors::single(
            "",
            "deve essere un oggetto JSON",
        )));
    };
    let mut errors = FieldErrors::default();
    for (key, want) in [("ecFiscalCode", ec.as_str()), ("code", code.as_str())] {
        match obj.get(key).and_then(|v| v.as_str()) {
            None => {
                obj.insert(key.into(), want.into());
            }
            Some(v) if v == want => {}
            Some(_) => errors.push(key, "deve coincidere con l'indirizzo della richiesta"),
        }
    }
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    let service = Service::from_json(&doc.to_string())
        .map_err(|m| CatalogError::Invalid(FieldErrors::single("", m)))?;
    let created = app.catalog.put_service(&service).await?;
    tracing::info!(ec = %ec, service = %code, created, "service saved");
    Ok((service, created))
}
