//! Tests of `domain::revision` that build positions through the use cases
//! (the domain itself imports nothing above it).

mod tests {
    use crate::domain::revision::*;
    use crate::domain::{NoticeNumber, Position, PositionDraft};
    use crate::service::positions::parse_draft;
    use crate::service::testkit::{ec, kit, payable, position};
    use serde_json::json;

    fn draft_of(p: &Position, options: serde_json::Value) -> PositionDraft {
        let mut doc = crate::service::positions::view(p, chrono::NaiveDate::MIN);
        let obj = doc.as_object_mut().unwrap();
        for k in ["ecFiscalCode", "createdAt", "status", "cancelledAt"] {
            obj.remove(k);
        }
        doc["paymentOptions"] = options;
        parse_draft(&doc).unwrap()
    }

    fn option(cents: u64, notice: Option<&NoticeNumber>) -> serde_json::Value {
        let mut o = json!({"amountCents": cents, "dueDate": "2026-12-31", "description": "Rata",
            "installment": true,
            "transfers": [{"ecFiscalCode": crate::service::testkit::EC, "iban": "IT60X0542811101000000123456",
                "amountCents": cents, "remittanceInformation": "TARI", "category": "9/0101100IM/"}]});
        if let Some(n) = notice {
            o["noticeNumber"] = json!(n.as_str());
        }
        o
    }

    #[tokio::test]
    async fn options_keep_the_positions_numbers_and_only_extra_ones_are_new() {
        let (app, _) = kit().await;
        let p = position(
            &app,
            "R-1",
            &[(100, "2026-12-31", true), (200, "2026-12-31", true)],
        )
        .await;
        let (a, b) = (
            p.payment_options[0].notice_number,
            p.payment_options[1].notice_number,
        );
        // Unnamed options take the numbers in order; a third needs a new one.
        let d = draft_of(
            &p,
            json!([option(1, None), option(2, None), option(3, None)]),
        );
        assert_eq!(
            assign_numbers(&p, &d).unwrap(),
            vec![Some(a), Some(b), None]
        );
        // A named number is kept where named; the others fill the gaps.
        let d = draft_of(&p, json!([option(1, None), option(2, Some(&a))]));
        assert_eq!(assign_numbers(&p, &d).unwrap(), vec![Some(b), Some(a)]);
        // Fewer options: the dropped number is not reused elsewhere.
        let d = draft_of(&p, json!([option(5, Some(&b))]));
        let numbers = assign_numbers(&p, &d).unwrap();
        let revised = revise(&p, d, numbers, [], p.created_at).unwrap();
        assert_eq!(revised.payment_options[0].notice_number, b);
        assert_eq!(revised.payment_options[0].amount_cents.cents(), 5);
        assert!(new_numbers(&p, &revised).is_empty());
        // A number of another position, a different iupd: named fields.
        let (_, foreign) = payable(&app, "R-2").await;
        let mut d = draft_of(&p, json!([option(1, Some(&foreign))]));
        d.iupd = crate::domain::text::Iupd::parse("R-9").unwrap();
        match assign_numbers(&p, &d) {
            Err(RevisionError::Invalid(f)) => {
                assert_eq!(f.fields(), vec!["iupd", "paymentOptions[0].noticeNumber"])
            }
            other => panic!("{other:?}"),
        }
        // A new number drawn for the third option is reported for claiming.
        let d = draft_of(
            &p,
            json!([option(1, None), option(2, None), option(3, None)]),
        );
        let numbers = assign_numbers(&p, &d).unwrap();
        let fresh = NoticeNumber::parse("347123456789012389").unwrap();
        let revised = revise(&p, d, numbers, [fresh], p.created_at).unwrap();
        assert_eq!(new_numbers(&p, &revised), vec![fresh]);
        assert_eq!(revised.created_at, p.created_at);
        assert_eq!(revised.ec_fiscal_code, ec());
    }

    #[tokio::test]
    async fn the_same_content_is_recognised_whatever_numbers_were_drawn() {
        let (app, _) = kit().await;
        let (p, n) = payable(&app, "S-1").await;
        let mut doc = crate::service::positions::view(&p, chrono::NaiveDate::MIN);
        for k in ["ecFiscalCode", "createdAt", "status"] {
            doc.as_object_mut().unwrap().remove(k);
        }
        for o in doc["paymentOptions"].as_array_mut().unwrap() {
            for k in ["noticeNumber", "iuv", "status"] {
                o.as_object_mut().unwrap().remove(k);
            }
        }
        assert!(same_content(&p, &parse_draft(&doc).unwrap()));
        doc["paymentOptions"][0]["noticeNumber"] = json!(n.as_str());
        assert!(same_content(&p, &parse_draft(&doc).unwrap()));
        let mut other = doc.clone();
        other["paymentOptions"][0]["noticeNumber"] = json!("347123456789012389");
        assert!(!same_content(&p, &parse_draft(&other).unwrap()));
        let mut other = doc.clone();
        other["paymentOptions"][0]["dueDate"] = json!("2026-12-30");
        assert!(!same_content(&p, &parse_draft(&other).unwrap()));
        let mut other = doc.clone();
        other["debtor"]["fullName"] = json!("Maria Rossi");
        assert!(!same_content(&p, &parse_draft(&other).unwrap()));
    }

    #[tokio::test]
    async fn paid_or_cancelled_positions_are_not_revised() {
        let (app, _) = kit().await;
        let (p, n) = payable(&app, "R-3").await;
        let d = draft_of(&p, json!([option(1, None)]));
        let cancelled = p.cancel(p.created_at).unwrap();
        assert_eq!(
            assign_numbers(&cancelled, &d),
            Err(RevisionError::Cancelled)
        );
        crate::service::testkit::send_receipt(&app, &n, "r-1")
            .await
            .unwrap();
        let paid = crate::service::positions::get(&app, &ec(), &p.iupd)
            .await
            .unwrap()
            .value;
        assert_eq!(assign_numbers(&paid, &d), Err(RevisionError::Paid));
    }
}
