//! The citizen pages in-process: forms, CSRF, language, security headers, the
//! cart and the payment start at the simulator's Checkout.

use integration::{position, Browser, Reply, TestEnv};

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";

fn html(r: &Reply) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

async fn notice(env: &TestEnv, iupd: &str) -> String {
    let r = env
        .create(EC, &position(EC, iupd, MARIO, 15050, "2099-12-31"))
        .await;
    r.json()["paymentOptions"][0]["noticeNumber"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn home_has_both_boxes_security_headers_and_an_english_switch() {
    let env = TestEnv::new().await;
    let mut b = Browser::default();
    let r = b.get(&env, "/").await;
    assert_eq!(r.status, 200);
    let page = html(&r);
    assert!(page.contains("Servizi senza autenticazione") && page.contains("Area riservata"));
    assert!(page.contains("Integrato con pagoPA"));
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("script-src 'self'")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert!(!b.csrf().is_empty(), "a CSRF cookie is set");
    let en = b.get(&env, "/?lang=en").await;
    assert!(html(&en).contains("Services without login"));
    assert!(html(&en).starts_with("<!doctype html>\n<html lang=\"en\">"));
    // The choice sticks.
    assert!(html(&b.get(&env, "/pagamento-avviso").await).contains("Notice code"));
}

#[tokio::test]
async fn pay_with_notice_steps_and_inline_errors() {
    let env = TestEnv::new().await;
    let n = notice(&env, "WEB-1").await;
    let mut b = Browser::default();
    assert_eq!(b.get(&env, "/pagamento-avviso").await.status, 200);

    // Malformed input: inline errors in Italian, input kept.
    let r = b
        .post(
            &env,
            "/pagamento-avviso",
            &[
                ("step", "verify"),
                ("notice", "1234"),
                ("fiscalCode", "RSSMRA85T10A562X"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = html(&r);
    assert!(page.contains("Il codice avviso deve avere 18 cifre."));
    assert!(page.contains("carattere di controllo"));
    assert!(page.contains("value=\"1234\""));
    assert!(page.contains("aria-describedby=\"notice-help notice-error\""));

    // Spaces as printed on the avviso are accepted; then the debtor's details.
    let grouped: String = n
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            if i > 0 && i % 4 == 0 {
                vec![' ', c]
            } else {
                vec![c]
            }
        })
        .collect();
    let r = b
        .post(
            &env,
            "/pagamento-avviso",
            &[
                ("step", "verify"),
                ("notice", &grouped),
                ("fiscalCode", "rssmra85t10a562s"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        html(&r).contains("Dati anagrafici del debitore")
            && html(&r).contains("Mario Rossi")
            && html(&r).contains("Persona fisica")
    );

    // Without the privacy notice accepted: stays there.
    let r = b
        .post(
            &env,
            "/pagamento-avviso",
            &[("step", "summary"), ("notice", &n), ("fiscalCode", MARIO)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(html(&r).contains("Per procedere occorre prendere visione"));

    let r = b
        .post(
            &env,
            "/pagamento-avviso",
            &[
                ("step", "summary"),
                ("notice", &n),
                ("fiscalCode", MARIO),
                ("privacy", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let page = html(&r);
    for text in [
        "Riepilogo",
        &n[1..],
        "Comune di Prova",
        "Rata unica",
        "Mario Rossi",
        "150,50 €",
        "31/12/2099",
        "Da pagare",
        "Stampa avviso",
        ">Paga<",
    ] {
        assert!(page.contains(text), "{text} missing");
    }

    // Unknown notice or wrong fiscal code: the same message.
    let r = b
        .post(
            &env,
            "/pagamento-avviso",
            &[
                ("step", "verify"),
                ("notice", &n),
                ("fiscalCode", "CNTCHR83T41D969D"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(html(&r).contains("Nessun avviso corrisponde"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let env = TestEnv::new().await;
    let n = notice(&env, "CSRF-1").await;
    let mut b = Browser::default();
    b.get(&env, "/").await;
    let r = b
        .post(
            &env,
            "/pagamento-avviso",
            &[
                ("csrf", "0000"),
                ("step", "verify"),
                ("notice", &n),
                ("fiscalCode", MARIO),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(html(&r).contains("sessione è scaduta"));
    let r = b
        .post(
            &env,
            "/carrello",
            &[("csrf", ""), ("notice", &n), ("fiscalCode", MARIO)],
        )
        .await;
    assert_eq!(r.status, 403);
    // A fresh browser with no cookie at all.
    let mut other = Browser::default();
    assert_eq!(
        other
            .post(&env, "/ricevuta", &[("notice", &n), ("fiscalCode", MARIO)])
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn cart_holds_up_to_five_payable_notices() {
    let env = TestEnv::new().await;
    let mut b = Browser::default();
    b.get(&env, "/").await;
    let mut notices = vec![];
    for i in 0..6 {
        notices.push(notice(&env, &format!("CART-{i}")).await);
    }
    for n in &notices[..5] {
        let r = b
            .post(&env, "/carrello", &[("notice", n), ("fiscalCode", MARIO)])
            .await;
        assert_eq!(r.status, 303, "{}", html(&r));
        assert_eq!(r.headers["location"], "/carrello");
    }
    // Adding the same notice again changes nothing.
    b.post(
        &env,
        "/carrello",
        &[("notice", &notices[0]), ("fiscalCode", MARIO)],
    )
    .await;
    let page = html(&b.get(&env, "/carrello").await);
    assert_eq!(page.matches("/carrello/rimuovi").count(), 5);
    assert!(page.contains("752,50 €"));
    let r = b
        .post(
            &env,
            "/carrello",
            &[("notice", &notices[5]), ("fiscalCode", MARIO)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(html(&r).contains("massimo"));
    b.post(&env, "/carrello/rimuovi", &[("notice", &notices[0])])
        .await;
    assert_eq!(
        html(&b.get(&env, "/carrello").await)
            .matches("/carrello/rimuovi")
            .count(),
        4
    );
}

#[tokio::test]
async fn static_assets_are_embedded_and_paths_are_safe() {
    let env = TestEnv::new().await;
    let mut app = (*env.app).clone();
    app.settings.static_dir = None; // as deployed: the copy embedded at build time
    let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
    let stack = devstack::server::Stack::new(std::sync::Arc::new(app), routes).unwrap();
    let get = |uri: &str| {
        let (parts, ()) = lambda_http::http::Request::get(uri)
            .body(())
            .unwrap()
            .into_parts();
        stack.dispatch(parts, bytes::Bytes::new())
    };
    let css = get("/static/bootstrap-italia/css/bootstrap-italia.min.css").await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let font = get("/static/bootstrap-italia/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2").await;
    assert_eq!(font.status(), 200);
    assert_eq!(get("/static/app/fonts.css").await.status(), 200);
    for bad in [
        "/static/../Cargo.toml",
        "/static/app/%2e%2e/x",
        "/static/nope.css",
        "/static/app/portal.css%00",
    ] {
        assert_eq!(get(bad).await.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn a_forged_cart_cookie_shows_nothing_and_no_fiscal_code_travels_in_it() {
    let env = TestEnv::new().await;
    let n = notice(&env, "FORGED-1").await;
    let mut b = Browser::default();
    b.get(&env, "/").await;
    // The old cookie form, and a token-shaped value naming no cart.
    for forged in [format!("{n}.{MARIO}"), "a".repeat(64)] {
        b.cookies.retain(|(k, _)| k != "cart");
        b.cookies.push(("cart".into(), forged.clone()));
        let page = html(&b.get(&env, "/carrello").await);
        assert_eq!(page.matches("/carrello/rimuovi").count(), 0, "{forged}");
        assert!(!page.contains("150,50"), "{forged}");
    }
    b.cookies.retain(|(k, _)| k != "cart");
    let r = b
        .post(&env, "/carrello", &[("notice", &n), ("fiscalCode", MARIO)])
        .await;
    assert_eq!(r.status, 303);
    let token = b
        .cookies
        .iter()
        .find(|(k, _)| k == "cart")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(!token.contains(MARIO) && !token.contains(&n), "{token}");
    assert_eq!(
        html(&b.get(&env, "/carrello").await)
            .matches("/carrello/rimuovi")
            .count(),
        1
    );
}

#[tokio::test]
async fn every_pair_a_payment_checks_counts_as_a_lookup() {
    use lambda_http::http;
    let env = TestEnv::new().await;
    let mut notices = vec![];
    for i in 0..5 {
        notices.push(notice(&env, &format!("PAIRS-{i}")).await);
    }
    let mut app = (*env.app).clone();
    app.settings.lookup_limit_per_minute = 30;
    let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
    let stack = devstack::server::Stack::new(std::sync::Arc::new(app), routes).unwrap();
    let body = serde_json::json!({"notices": notices.iter().map(|n| serde_json::json!({"noticeNumber": n, "fiscalCode": MARIO})).collect::<Vec<_>>()}).to_string();
    let mut statuses = vec![];
    for _ in 0..7 {
        let (parts, ()) = http::Request::post("/api/v1/payments")
            .header("content-type", "application/json")
            .body(())
            .unwrap()
            .into_parts();
        let r = stack
            .dispatch_from(
                parts,
                bytes::Bytes::from(body.clone()),
                Some(std::net::IpAddr::from([10, 0, 0, 9])),
            )
            .await;
        statuses.push(r.status().as_u16());
    }
    // Thirty lookups a minute: six payments of five notices, not thirty payments
    // (Checkout is not reachable here: 503 once the notices were checked).
    assert!(statuses[..6].iter().all(|s| *s != 429), "{statuses:?}");
    assert_eq!(statuses[6], 429, "{statuses:?}");
}

#[tokio::test]
async fn logins_are_limited_per_client() {
    use lambda_http::http;
    let env = TestEnv::new().await;
    let mut app = (*env.app).clone();
    app.settings.lookup_limit_per_minute = 3;
    let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
    let stack = devstack::server::Stack::new(std::sync::Arc::new(app), routes).unwrap();
    let call = |ip: [u8; 4]| {
        let stack = &stack;
        async move {
            let (parts, ()) = http::Request::get("/accesso/avvia?metodo=spid")
                .body(())
                .unwrap()
                .into_parts();
            stack
                .dispatch_from(parts, bytes::Bytes::new(), Some(std::net::IpAddr::from(ip)))
                .await
                .status()
        }
    };
    for _ in 0..3 {
        assert_ne!(call([10, 0, 0, 7]).await, 429);
    }
    assert_eq!(call([10, 0, 0, 7]).await, 429);
    assert_ne!(
        call([10, 0, 0, 8]).await,
        429,
        "another client is not affected"
    );
}
