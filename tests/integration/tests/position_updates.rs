//! PUT of a debt position against moto: replaced while unpaid, keeping its
//! notice numbers, seen by the Nodo at once; 409 once paid or being paid.

use integration::soap::{get_payment, receipt, send_rt, verify};
use integration::{position, TestEnv};
use serde_json::json;

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";
const BASE: &str = "/api/v1/organizations/77777777777/debt-positions";

#[tokio::test]
async fn an_unpaid_position_is_replaced_and_the_nodo_sees_the_new_amount() {
    let env = TestEnv::new().await;
    let created = env
        .create(EC, &position(EC, "U-1", MARIO, 15050, "2099-12-31"))
        .await
        .json();
    let notice = created["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut next = position(EC, "U-1", MARIO, 9900, "2099-06-30");
    next["debtor"]["fullName"] = json!("Mario Rossi Bianchi");
    let r = env.operator("PUT", &format!("{BASE}/U-1"), &next).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["paymentOptions"][0]["noticeNumber"], notice.as_str());
    assert_eq!(body["paymentOptions"][0]["amountCents"], 9900);
    assert_eq!(body["paymentOptions"][0]["dueDate"], "2099-06-30");
    assert_eq!(body["createdAt"], created["createdAt"]);
    let got = env
        .operator("GET", &format!("{BASE}/U-1"), &json!(null))
        .await;
    assert_eq!(got.json()["debtor"]["fullName"], "Mario Rossi Bianchi");

    // The Nodo's very next verification answers the new amount.
    let r = env.soap(&verify(EC, &notice), None).await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    assert!(r.raw.contains("<amount>99.00</amount>"), "{}", r.raw);

    // Bad input: another iupd in the body, a number of another position, a
    // missing position, a body that is not a position.
    let mut wrong = next.clone();
    wrong["iupd"] = json!("U-2");
    let r = env.operator("PUT", &format!("{BASE}/U-1"), &wrong).await;
    assert_eq!(r.error_fields(), vec!["iupd"]);
    let mut foreign = next.clone();
    foreign["paymentOptions"][0]["noticeNumber"] = json!("347123456789012389");
    let r = env.operator("PUT", &format!("{BASE}/U-1"), &foreign).await;
    assert_eq!(r.error_fields(), vec!["paymentOptions[0].noticeNumber"]);
    let mut absent = next.clone();
    absent["iupd"] = json!("U-9");
    env.operator("PUT", &format!("{BASE}/U-9"), &absent)
        .await
        .problem(404);
    let r = env
        .operator("PUT", &format!("{BASE}/U-1"), &json!({"iupd": "U-1"}))
        .await;
    assert_eq!(r.status, 422);

    // Being paid: the Nodo activated it (paGetPaymentV2) moments ago.
    let r = env.soap(&get_payment(true, EC, &notice, ""), None).await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    let r = env.operator("PUT", &format!("{BASE}/U-1"), &next).await;
    assert!(r.problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("in corso di pagamento"));
    // Paid: never replaced.
    let r = env
        .soap(
            &send_rt(true, EC, &receipt(true, EC, &notice, "rcpt-u1", 9900)),
            None,
        )
        .await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    let r = env.operator("PUT", &format!("{BASE}/U-1"), &next).await;
    assert!(r.problem(409)["detail"]
        .as_str()
        .unwrap()
        .contains("pagate"));
}

#[tokio::test]
async fn a_replacement_with_more_options_claims_new_numbers_and_keeps_the_old() {
    let env = TestEnv::new().await;
    let created = env
        .create(EC, &position(EC, "U-3", MARIO, 10000, "2099-12-31"))
        .await
        .json();
    let first = created["paymentOptions"][0]["noticeNumber"].clone();
    let mut next = position(EC, "U-3", MARIO, 10000, "2099-12-31");
    let mut rata = next["paymentOptions"][0].clone();
    rata["installment"] = json!(true);
    rata["amountCents"] = json!(5000);
    rata["transfers"][0]["amountCents"] = json!(5000);
    next["paymentOptions"] = json!([next["paymentOptions"][0].clone(), rata.clone(), rata]);
    let r = env.operator("PUT", &format!("{BASE}/U-3"), &next).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let options = r.json()["paymentOptions"].as_array().unwrap().clone();
    assert_eq!(options.len(), 3);
    assert_eq!(options[0]["noticeNumber"], first);
    for o in &options[1..] {
        let n = o["noticeNumber"].as_str().unwrap();
        assert_ne!(o["noticeNumber"], first);
        let r = env.soap(&verify(EC, n), None).await;
        assert_eq!(r.outcome(), "OK", "{}", r.raw);
        // Claimed: no other position may take it.
        let mut other = position(EC, &format!("X-{n}"), MARIO, 100, "2099-12-31");
        other["paymentOptions"][0]["noticeNumber"] = json!(n);
        env.create(EC, &other).await.problem(409);
    }
}
