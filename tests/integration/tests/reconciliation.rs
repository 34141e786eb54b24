//! Reconciliation end to end: the simulator's PSP collects payments through
//! Checkout and the Nodo, publishes reporting flows over pagoPA's FdR REST
//! API (with its fault modes), and the portal acquires and reconciles them.

use integration::{position, Live, API_KEY};
use serde_json::{json, Value};

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";

async fn start() -> Live {
    Live::start(|names, sim| names.fdr_url = Some(format!("{sim}/fdr-org/service/v1"))).await
}

async fn api(live: &Live, method: &str, path: &str) -> (u16, Value) {
    let r = live
        .http
        .request(method.parse().unwrap(), format!("{}{path}", live.portal))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A position of `cents`, paid through the simulated Checkout; its notice.
async fn paid(live: &Live, iupd: &str, cents: u64) -> String {
    let r = live
        .env
        .create(EC, &position(EC, iupd, MARIO, cents, "2099-12-31"))
        .await
        .json();
    let notice = r["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let cart = live
        .http
        .post(format!("{}/checkout/ec/v1/carts", live.sim))
        .json(&json!({"paymentNotices": [{"noticeNumber": notice, "fiscalCode": EC, "amount": cents,
                "companyName": "Comune di Prova", "description": "TARI"}], "idCart": format!("cart-{iupd}"),
            "returnUrls": {"returnOkUrl": format!("{}/esito/ok", live.portal),
                "returnCancelUrl": format!("{}/esito/annullato", live.portal),
                "returnErrorUrl": format!("{}/esito/errore", live.portal)}}))
        .send()
        .await
        .unwrap();
    let id = cart.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let r = live
        .http
        .post(format!("{}/control/carts/{id}/pay", live.sim))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    notice
}

async fn publish(live: &Live, mode: &str) -> Value {
    let r = live
        .http
        .post(format!("{}/control/fdr/publish", live.sim))
        .json(&json!({"organization": EC, "mode": mode}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{mode}");
    r.json().await.unwrap()
}

/// Asks for a run and delivers its trigger, as EventBridge would.
async fn reconcile(live: &Live) {
    let (status, body) = api(
        live,
        "POST",
        &format!("/api/v1/organizations/{EC}/reconciliation/runs"),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "queued");
    live.env.deliver_triggers().await;
}

#[tokio::test]
async fn flows_published_by_the_psp_are_acquired_and_reconciled() {
    let live = start().await;
    let a = paid(&live, "R-A", 15050).await;
    let b = paid(&live, "R-B", 2000).await;

    // A clean flow: both lines match; the options show as reported.
    let f1 = publish(&live, "normal").await;
    reconcile(&live).await;
    let (_, flows) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/reporting-flows"),
    )
    .await;
    let flow = &flows["items"][0];
    assert_eq!(flow["flowId"], f1["fdr"]);
    assert_eq!(flow["state"], "accepted", "{flows}");
    assert_eq!(
        (flow["lines"].as_u64(), flow["matched"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(flow["sumPayments"], "170.50");
    let (_, p) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/debt-positions/R-A"),
    )
    .await;
    let o = &p["paymentOptions"][0];
    assert_eq!(o["status"], "reported", "{p}");
    assert_eq!(o["reporting"]["flowId"], f1["fdr"]);
    assert_eq!(o["noticeNumber"], a.as_str());
    // The export says so too.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, page) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/payments?from={today}&to={today}"),
    )
    .await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["reconciliation"] == "reported"),
        "{page}"
    );

    // The same flow again: nothing new.
    reconcile(&live).await;
    let (_, again) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/reporting-flows"),
    )
    .await;
    assert_eq!(again["items"].as_array().unwrap().len(), 1);

    // Faults: a wrong amount and an unknown IUV.
    let c = paid(&live, "R-C", 3000).await;
    publish(&live, "wrong-amount").await;
    paid(&live, "R-D", 4000).await;
    publish(&live, "unknown-iuv").await;
    reconcile(&live).await;
    let (_, anomalies) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/reconciliation/anomalies"),
    )
    .await;
    let items = anomalies["items"].as_array().unwrap();
    let mismatch = items
        .iter()
        .find(|x| x["kind"] == "AMOUNT_MISMATCH")
        .expect("amount mismatch");
    assert_eq!(mismatch["code"], "007104");
    assert_eq!(mismatch["iuv"], &c[1..]);
    assert!(
        items
            .iter()
            .any(|x| x["kind"] == "OTHER_EC" && x["iuv"] == "99999999999999999"),
        "{anomalies}"
    );
    // A revision replaces the flow: published again, acquired again.
    publish(&live, "revision").await;
    reconcile(&live).await;
    let (_, flows) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/reporting-flows"),
    )
    .await;
    assert!(
        flows["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["revision"] == 2),
        "{flows}"
    );

    // A payment left out: not reported (an anomaly once days have passed).
    paid(&live, "R-E", 5000).await;
    paid(&live, "R-F", 6000).await;
    publish(&live, "omit").await;
    reconcile(&live).await;
    let (_, p) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/debt-positions/R-F"),
    )
    .await;
    assert_eq!(p["paymentOptions"][0]["status"], "paid", "{p}");
    let _ = b;
}

#[tokio::test]
async fn reconciliation_refusals() {
    let live = Live::start(|_, _| {}).await;
    // No FdR API configured: 503.
    let (status, _) = api(
        &live,
        "POST",
        &format!("/api/v1/organizations/{EC}/reconciliation/runs"),
    )
    .await;
    assert_eq!(status, 503);
    let (status, body) = api(
        &live,
        "GET",
        "/api/v1/organizations/01199250158/reporting-flows",
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/reconciliation/anomalies"),
    )
    .await;
    assert_eq!(
        (status, body["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let (status, _) = api(
        &live,
        "GET",
        &format!("/api/v1/organizations/{EC}/reconciliation/other"),
    )
    .await;
    assert_eq!(status, 404);
}
