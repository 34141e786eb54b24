//! End to end over real HTTP: the portal (devstack router) and the pagoPA
//! simulator on loopback. A position is created through the operator API,
//! put in a Checkout cart, paid by the simulator acting as the Nodo, and the
//! receipt makes it paid.

use std::time::Duration;

use integration::{position, API_KEY};
use serde_json::{json, Value};

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";

type Stack = integration::Live;

async fn start() -> Stack {
    integration::Live::start(|_, _| {}).await
}

/// What the tests do through the portal and the simulator.
trait Steps {
    async fn create(&self, iupd: &str, cents: u64) -> String;
    async fn cart(&self, notices: &[(&str, u64)]) -> reqwest::Response;
    async fn cart_id(&self, notices: &[(&str, u64)]) -> String;
    async fn pay(&self, cart: &str, opts: Value) -> Value;
    async fn status(&self, notice: &str) -> String;
    async fn nodo_verify(&self, notice: &str) -> Option<String>;
}

impl Steps for Stack {
    async fn create(&self, iupd: &str, cents: u64) -> String {
        let r = self
            .http
            .post(format!(
                "{}/api/v1/organizations/{EC}/debt-positions",
                self.portal
            ))
            .header("x-api-key", API_KEY)
            .json(&position(EC, iupd, MARIO, cents, "2099-12-31"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        body["paymentOptions"][0]["noticeNumber"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn cart(&self, notices: &[(&str, u64)]) -> reqwest::Response {
        let items: Vec<Value> = notices
            .iter()
            .map(|(n, c)| json!({"noticeNumber": n, "fiscalCode": EC, "amount": c, "companyName": "Comune di Prova", "description": "TARI 2026"}))
            .collect();
        self.http
            .post(format!("{}/checkout/ec/v1/carts", self.sim))
            .json(&json!({"paymentNotices": items, "idCart": "cart-e2e",
                "returnUrls": {"returnOkUrl": format!("{}/esito/ok", self.portal), "returnCancelUrl": format!("{}/esito/annullato", self.portal),
                               "returnErrorUrl": format!("{}/esito/errore", self.portal)},
                "emailNotice": "mario.rossi@example.org"}))
            .send()
            .await
            .unwrap()
    }

    async fn cart_id(&self, notices: &[(&str, u64)]) -> String {
        let r = self.cart(notices).await;
        assert_eq!(r.status(), 302);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with(&format!("{}/checkout/carts/", self.sim)),
            "{location}"
        );
        location.rsplit('/').next().unwrap().to_owned()
    }

    async fn pay(&self, cart: &str, opts: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/control/carts/{cart}/pay", self.sim))
            .json(&opts)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    async fn status(&self, notice: &str) -> String {
        let r = self
            .http
            .get(format!(
                "{}/api/v1/notices/{notice}?fiscalCode={MARIO}",
                self.portal
            ))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["status"].as_str().unwrap().to_owned()
    }

    async fn nodo_verify(&self, notice: &str) -> Option<String> {
        let client = pagopa_simulator::nodo::NodoClient::new(&self.portal);
        let station = pagopa_simulator::stations_from_entities(&self.env.app.entities)[EC].clone();
        let x = client
            .call(
                "paVerifyPaymentNotice",
                &pagopa_simulator::nodo::verify_request(&station, notice),
                None,
            )
            .await
            .unwrap();
        assert!(client.violations.lock().unwrap().is_empty());
        x.fault_code
    }
}

#[tokio::test]
async fn a_citizen_pays_a_notice_through_checkout() {
    let s = start().await;
    let notice = s.create("E2E-1", 15050).await;
    assert_eq!(s.status(&notice).await, "payable");
    let cart = s.cart_id(&[(&notice, 15050)]).await;

    // The Checkout page shows the cart.
    let page = s
        .http
        .get(format!("{}/checkout/carts/{cart}", s.sim))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&notice) && page.contains("150,50 €"));

    let result = s.pay(&cart, json!({})).await;
    assert_eq!(result["outcome"], "ok", "{result}");
    assert_eq!(result["redirect"], format!("{}/esito/ok", s.portal));
    let steps: Vec<&str> = result["notices"][0]["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        vec!["paVerifyPaymentNotice", "paGetPaymentV2", "paSendRTV2"]
    );

    assert_eq!(s.status(&notice).await, "paid");
    assert_eq!(
        s.nodo_verify(&notice).await.as_deref(),
        Some("PAA_PAGAMENTO_DUPLICATO")
    );

    // The receipt carries the cart id and what the activation returned.
    let receipts = s
        .env
        .app
        .receipts
        .receipts_for_notice(&notice)
        .await
        .unwrap();
    assert_eq!(receipts.len(), 1);
    let r = &receipts[0].receipt;
    assert_eq!(r.payment_note.as_deref(), Some("cart-e2e"));
    assert_eq!(r.payment_amount_cents, 15050);
    assert_eq!(
        r.payer.as_ref().unwrap().email.as_deref(),
        Some("mario.rossi@example.org")
    );
    assert!(
        s.simulator.violations().is_empty(),
        "{:?}",
        s.simulator.violations()
    );

    // A paid cart cannot be paid again.
    let again = s
        .http
        .post(format!("{}/control/carts/{cart}/pay", s.sim))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn fault_modes_still_leave_exactly_one_receipt() {
    let s = start().await;
    for (i, mode) in ["twice", "timeout", "v1"].into_iter().enumerate() {
        let notice = s.create(&format!("MODE-{i}"), 1000 + i as u64).await;
        let cart = s.cart_id(&[(&notice, 1000 + i as u64)]).await;
        let result = s.pay(&cart, json!({"mode": mode})).await;
        assert_eq!(result["outcome"], "ok", "{mode}: {result}");
        assert_eq!(
            result["notices"][0]["receipt"], "delivered",
            "{mode}: {result}"
        );
        assert_eq!(s.status(&notice).await, "paid", "{mode}");
        let receipts = s
            .env
            .app
            .receipts
            .receipts_for_notice(&notice)
            .await
            .unwrap();
        assert_eq!(receipts.len(), 1, "{mode}");
        if mode == "twice" {
            let last = result["notices"][0]["exchanges"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .clone();
            assert_eq!(last["faultCode"], "PAA_RECEIPT_DUPLICATA");
        }
        if mode == "v1" {
            assert_eq!(
                receipts[0].receipt.version,
                shared::domain::receipt::ReceiptVersion::V1
            );
        }
    }
    assert!(
        s.simulator.violations().is_empty(),
        "{:?}",
        s.simulator.violations()
    );
}

#[tokio::test]
async fn the_browser_may_return_before_the_receipt() {
    let s = start().await;
    let notice = s.create("LATE-1", 700).await;
    let cart = s.cart_id(&[(&notice, 700)]).await;
    let result = s.pay(&cart, json!({"mode": "late", "delayMs": 500})).await;
    assert_eq!(result["outcome"], "ok");
    assert_eq!(result["notices"][0]["receipt"], "pending");
    // The return URL is reached first: the notice is not paid yet.
    assert_eq!(s.status(&notice).await, "payable");
    let mut paid = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if s.status(&notice).await == "paid" {
            paid = true;
            break;
        }
    }
    assert!(paid, "the late receipt never arrived");
}

#[tokio::test]
async fn a_cart_of_several_notices_and_checkout_refusals() {
    let s = start().await;
    let a = s.create("CART-A", 100).await;
    let b = s.create("CART-B", 200).await;
    let cart = s.cart_id(&[(&a, 100), (&b, 200)]).await;
    assert_eq!(s.pay(&cart, json!({})).await["outcome"], "ok");
    assert_eq!(s.status(&a).await, "paid");
    assert_eq!(s.status(&b).await, "paid");

    // Checkout's own refusals.
    let six: Vec<(&str, u64)> = (0..6).map(|_| (a.as_str(), 100)).collect();
    assert_eq!(s.cart(&six).await.status(), 422);
    assert_eq!(s.cart(&[(&a, 100), (&a, 100)]).await.status(), 422);
    assert_eq!(s.cart(&[]).await.status(), 400);

    // Paying an already paid notice fails at verify: the browser goes to the error URL.
    let cart = s.cart_id(&[(&a, 100)]).await;
    let result = s.pay(&cart, json!({})).await;
    assert_eq!(result["outcome"], "error");
    assert_eq!(result["redirect"], format!("{}/esito/errore", s.portal));
    assert_eq!(
        result["notices"][0]["exchanges"][0]["faultCode"],
        "PAA_PAGAMENTO_DUPLICATO"
    );

    // Cancel from the page: the browser goes to the cancel URL.
    let c = s.create("CART-C", 300).await;
    let cart = s.cart_id(&[(&c, 300)]).await;
    let r = s
        .http
        .post(format!("{}/checkout/carts/{cart}/cancel", s.sim))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("{}/esito/annullato", s.portal).as_str()
    );
    assert_eq!(s.status(&c).await, "payable");

    // Paying from the page (a form post) redirects to the bare return URL.
    let cart = s.cart_id(&[(&c, 300)]).await;
    let r = s
        .http
        .post(format!("{}/checkout/carts/{cart}/pay", s.sim))
        .form(&[("email", "x@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("{}/esito/ok", s.portal).as_str()
    );
    assert_eq!(s.status(&c).await, "paid");
    assert!(
        s.simulator.violations().is_empty(),
        "{:?}",
        s.simulator.violations()
    );
}
