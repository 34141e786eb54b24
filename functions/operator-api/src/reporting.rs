//! Reconciliation with pagoPA's reporting flows.
//!
//! - `GET  /api/v1/organizations/{ecFiscalCode}/reporting-flows`: the flows acquired
//! - `POST /api/v1/organizations/{ecFiscalCode}/reconciliation/runs`: a run now (202)
//! - `GET  /api/v1/organizations/{ecFiscalCode}/reconciliation/anomalies`

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::domain::EcFiscalCode;
use shared::http::{json_response, ApiError};
use shared::ports::{AnomalyRecord, FlowRecord};
use shared::service::reconciliation;
use shared::App;

fn euro(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn flow_view(r: &FlowRecord) -> Value {
    let f = &r.flow;
    json!({
        "flowId": f.flow_id, "pspId": f.psp_id, "pspName": f.psp_name, "revision": f.revision,
        "published": f.published, "regulation": f.regulation, "regulationDate": f.regulation_date,
        "totPayments": f.tot_payments, "sumPayments": euro(f.sum_cents), "sumCents": f.sum_cents,
        "lines": r.lines, "matched": r.matched, "anomalies": r.anomalies,
        "state": r.state, "acquiredAt": r.acquired_at,
    })
}

fn anomaly_view(r: &AnomalyRecord) -> Value {
    let a = &r.anomaly;
    let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
    v["code"] = json!(a.kind.code());
    v["detectedAt"] = json!(r.detected_at);
    v
}

pub async fn route(
    app: &App,
    req: &Request,
    ec: &EcFiscalCode,
    segments: &[&str],
) -> Result<Response<Body>, ApiError> {
    match (req.method(), segments) {
        (&Method::GET, ["reporting-flows"]) => {
            let list = reconciliation::flows(app, ec, 200).await?;
            Ok(json_response(
                StatusCode::OK,
                &json!({"items": list.iter().map(flow_view).collect::<Vec<_>>()}),
            ))
        }
        (&Method::POST, ["reconciliation", "runs"]) => {
            let id = reconciliation::request_run(app, ec).await?;
            Ok(json_response(
                StatusCode::ACCEPTED,
                &json!({"runId": id, "status": "queued"}),
            ))
        }
        (&Method::GET, ["reconciliation", "anomalies"]) => {
            let list = reconciliation::anomalies(app, ec).await?;
            Ok(json_response(
                StatusCode::OK,
                &json!({"items": list.iter().map(anomaly_view).collect::<Vec<_>>()}),
            ))
        }
        _ => Err(ApiError::NotFound("risorsa non trovata".into())),
    }
}
