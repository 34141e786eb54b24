//! The reserved area over real HTTP: login through the simulator's development
//! identity provider (OIDC code flow with PKCE), the citizen's lists, logout, and
//! everything that must be refused: bad tokens, replayed or foreign states, a
//! cookie after logout, an expired session, another citizen's data. CNS login
//! is tested in-process with the request context API Gateway gives after
//! mutual TLS.

use integration::position;
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use serde_json::{json, Value};

const EC: &str = "77777777777";
const MARIO: &str = "RSSMRA85T10A562S";
const CHIARA: &str = "CNTCHR83T41D969D";

type Stack = integration::Live;

async fn start(cns_domain: Option<&str>) -> Stack {
    let cns = cns_domain.map(str::to_owned);
    integration::Live::start(|names, sim| {
        names.oidc = Some(devstack::dev_oidc(sim));
        names.cns_domain = cns;
    })
    .await
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A GET with cookies, redirects not followed.
async fn fetch(s: &Stack, url: impl reqwest::IntoUrl, cookie: String) -> reqwest::Response {
    s.http
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// Where the identity provider sends the browser back, and the state cookie.
async fn idp_answer(s: &Stack, user: &str) -> (String, String) {
    idp_answer_from(s, user, "/accesso/avvia?metodo=spid").await
}

async fn idp_answer_from(s: &Stack, user: &str, start_path: &str) -> (String, String) {
    let start = s
        .http
        .get(format!("{}{start_path}", s.portal))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let state_cookie = set_cookie(&start, "login").expect("login cookie");
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&format!("{}/oidc/", s.sim)),
        "{authorize}"
    );
    for p in [
        "code_challenge=",
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "scope=openid",
    ] {
        assert!(authorize.contains(p), "{p} in {authorize}");
    }
    let page = s.http.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let query: Vec<(String, String)> = url_query(&authorize);
    let mut form = query.clone();
    form.push(("user".into(), user.into()));
    let chosen = s
        .http
        .post(format!("{}/oidc/authorize", s.sim))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), 302, "{}", chosen.text().await.unwrap());
    (location(&chosen), state_cookie)
}

fn url_query(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// Logs in as `user`; returns the session cookie.
async fn login(s: &Stack, user: &str) -> String {
    let (back, state) = idp_answer(s, user).await;
    let done = fetch(s, &back, format!("login={state}")).await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    assert_eq!(location(&done), "/area-riservata");
    set_cookie(&done, "session").expect("session cookie")
}

async fn me(s: &Stack, session: &str) -> reqwest::Response {
    fetch(
        s,
        format!("{}/api/v1/me/positions", s.portal),
        format!("session={session}"),
    )
    .await
}

async fn seed(s: &Stack) -> (String, String, String) {
    let mk = |iupd: &str, cf: &str, due: &str| {
        let mut p = position(EC, iupd, cf, 15050, due);
        p["switchToExpired"] = json!(true);
        p
    };
    let notice = |r: integration::Reply| {
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json()["paymentOptions"][0]["noticeNumber"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let payable = notice(s.env.create(EC, &mk("M-PAY", MARIO, "2099-12-31")).await);
    let expired = notice(s.env.create(EC, &mk("M-OLD", MARIO, "2020-01-31")).await);
    let chiara = notice(s.env.create(EC, &mk("C-PAY", CHIARA, "2099-12-31")).await);
    (payable, expired, chiara)
}

#[tokio::test]
async fn login_lists_and_logout() {
    let s = start(None).await;
    let (payable, expired, chiara) = seed(&s).await;

    // Without a session: 401 problem+json, and the page sends to the login page.
    let anon = s
        .http
        .get(format!("{}/api/v1/me/positions", s.portal))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    assert_eq!(anon.headers()["content-type"], "application/problem+json");
    let page = s
        .http
        .get(format!("{}/area-riservata", s.portal))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(location(&page), "/accesso");
    let login_page = s
        .http
        .get(format!("{}/accesso", s.portal))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login_page.contains("id=\"login-spid\"") && login_page.contains("id=\"login-cie\""));

    let session = login(&s, MARIO).await;
    let mine: Value = me(&s, &session).await.json().await.unwrap();
    let notices = |k: &str| -> Vec<String> {
        mine[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["noticeNumber"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(notices("toPay"), vec![payable.clone()]);
    assert_eq!(notices("expired"), vec![expired.clone()]);
    assert!(notices("paid").is_empty());
    let all = mine.to_string();
    assert!(
        !all.contains(&chiara),
        "another citizen's notice is never listed"
    );

    let page = fetch(
        &s,
        format!("{}/area-riservata", s.portal),
        format!("session={session}"),
    )
    .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Mario Rossi") && html.contains(&format!("/area-riservata/avvisi/{payable}"))
    );
    let own = fetch(
        &s,
        format!("{}/area-riservata/avvisi/{payable}", s.portal),
        format!("session={session}"),
    )
    .await;
    assert_eq!(own.status(), 200);
    assert!(own.text().await.unwrap().contains("id=\"pay\""));
    // Another citizen's notice is not found, as if it did not exist.
    let foreign = fetch(
        &s,
        format!("{}/area-riservata/avvisi/{chiara}", s.portal),
        format!("session={session}"),
    )
    .await;
    assert_eq!(foreign.status(), 404);

    // Logout ends the session server-side: the old cookie is refused afterwards.
    let csrf = "a".repeat(32);
    let out = s
        .http
        .post(format!("{}/esci", s.portal))
        .header("cookie", format!("session={session}; csrf={csrf}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    // The provider's session ends too (RP-initiated logout), then the browser is back.
    let provider = location(&out);
    assert!(
        provider.starts_with(&format!("{}/oidc/logout?", s.sim))
            && provider.contains("id_token_hint="),
        "{provider}"
    );
    assert_eq!(
        me(&s, &session).await.status(),
        401,
        "ended before the provider's"
    );
    let back = s.http.get(&provider).send().await.unwrap();
    assert_eq!(back.status(), 302);
    assert_eq!(
        location(&back),
        format!("{}/accesso?esito=uscito", s.portal)
    );
    // Logout without the CSRF token is refused (and the session survives it).
    let again = login(&s, MARIO).await;
    let forged = s
        .http
        .post(format!("{}/esci", s.portal))
        .header("cookie", format!("session={again}"))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(me(&s, &again).await.status(), 200);

    // A second citizen sees only their own.
    let hers: Value = me(&s, &login(&s, CHIARA).await).await.json().await.unwrap();
    assert_eq!(hers["toPay"][0]["noticeNumber"], chiara.as_str());
    assert!(!hers.to_string().contains(&payable));

    // Chiara pays Mario's notice: it moves to his "paid", and she sees the receipt
    // among what she paid for others (with his name, never his fiscal code).
    use integration::soap;
    let receipt = soap::receipt(true, EC, &payable, "rid-chiara-1", 15050);
    let r = s.env.soap(&soap::send_rt(true, EC, &receipt), None).await;
    assert_eq!(r.outcome(), "OK", "{}", r.raw);
    let his: Value = me(&s, &again).await.json().await.unwrap();
    assert!(his["toPay"].as_array().unwrap().is_empty());
    assert_eq!(his["paid"][0]["noticeNumber"], payable.as_str());
    assert_eq!(his["paid"][0]["receipts"][0]["receiptId"], "rid-chiara-1");
    assert!(his["paidForOthers"].as_array().unwrap().is_empty());
    let hers: Value = me(&s, &login(&s, CHIARA).await).await.json().await.unwrap();
    assert_eq!(hers["paidForOthers"][0]["noticeNumber"], payable.as_str());
    assert_eq!(hers["paidForOthers"][0]["debtorName"], "Mario Rossi");
    assert!(!hers.to_string().contains(MARIO));
    assert!(hers["paid"].as_array().unwrap().is_empty());
    // Luca (no positions, paid nothing) sees nothing at all.
    let lucas: Value = me(&s, &login(&s, "BNCLCU90E12H501G").await)
        .await
        .json()
        .await
        .unwrap();
    for k in ["toPay", "expired", "paid", "paidForOthers"] {
        assert!(lucas[k].as_array().unwrap().is_empty(), "{k}: {lucas}");
    }
}

#[tokio::test]
async fn bad_tokens_and_states_are_refused() {
    let s = start(None).await;
    for mode in [
        "expired",
        "wrong-audience",
        "alg-none",
        "forged",
        "wrong-nonce",
    ] {
        let r = s
            .http
            .post(format!("{}/control/oidc/mode", s.sim))
            .json(&json!({"mode": mode}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{mode}");
        let (back, state) = idp_answer(&s, MARIO).await;
        let done = fetch(&s, &back, format!("login={state}")).await;
        assert_eq!(done.status(), 401, "{mode}");
        assert!(set_cookie(&done, "session").is_none(), "{mode}: no session");
    }
    s.http
        .post(format!("{}/control/oidc/mode", s.sim))
        .json(&json!({"mode": "normal"}))
        .send()
        .await
        .unwrap();

    // The state must be the one this browser started with.
    let (back, _) = idp_answer(&s, MARIO).await;
    let (_, other_state) = idp_answer(&s, MARIO).await;
    let r = fetch(&s, &back, format!("login={other_state}")).await;
    assert_eq!(r.status(), 401);
    let r = s.http.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // A state is used once: replaying the identity provider's answer fails.
    let (back, state) = idp_answer(&s, MARIO).await;
    let ok = fetch(&s, &back, format!("login={state}")).await;
    assert_eq!(ok.status(), 303);
    let replay = fetch(&s, &back, format!("login={state}")).await;
    assert_eq!(replay.status(), 401);
    // Cancelling at the provider comes back as "annullato".
    let (back, state) = idp_answer(&s, MARIO).await;
    let cancelled = back.replace("code=", "error=access_denied&x=");
    let r = fetch(&s, &cancelled, format!("login={state}")).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/accesso?esito=annullato");
}

#[tokio::test]
async fn forged_and_expired_sessions_are_refused() {
    let s = start(None).await;
    assert_eq!(me(&s, &"0".repeat(64)).await.status(), 401);
    assert_eq!(me(&s, "not-a-session").await.status(), 401);
    // An expired session, still in the table (DynamoDB deletes expired items lazily).
    let secret = shared::secret::secret();
    let now = chrono::Utc::now();
    let old = shared::ports::Session {
        fiscal_code: shared::domain::FiscalCode::parse(MARIO).unwrap(),
        given_name: None,
        family_name: None,
        method: "spid".into(),
        created_at: now - chrono::Duration::hours(2),
        expires_at: now - chrono::Duration::hours(1),
        last_seen_at: None,
        id_token: None,
    };
    s.env
        .app
        .sessions
        .put_session(&shared::secret::key(&secret), &old)
        .await
        .unwrap();
    assert_eq!(me(&s, &secret).await.status(), 401);
    // The table holds the hash, not the cookie's value: the hash is no cookie.
    let valid = login(&s, MARIO).await;
    assert_eq!(me(&s, &valid).await.status(), 200);
    assert_eq!(me(&s, &shared::secret::key(&valid)).await.status(), 401);
}

fn cns_request(domain: &str, subject: Option<&str>, state: &str) -> lambda_http::Request {
    let mut ctx: lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext =
        Default::default();
    ctx.domain_name = Some(domain.into());
    if let Some(dn) = subject {
        let mut auth: lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContextAuthentication = Default::default();
        let mut cert: lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContextAuthenticationClientCert = Default::default();
        cert.subject_dn = Some(dn.into());
        auth.client_cert = Some(cert);
        ctx.authentication = Some(auth);
    }
    let query: std::collections::HashMap<String, String> =
        [("stato".to_owned(), state.to_owned())].into();
    lambda_http::http::Request::builder()
        .method("GET")
        .uri(format!("https://{domain}/accesso/cns?stato={state}"))
        .body(lambda_http::Body::Empty)
        .unwrap()
        .with_query_string_parameters(query)
        .with_request_context(RequestContext::ApiGatewayV2(ctx))
}

/// Starts a CNS login on the portal's host: the state the CNS host gets, and
/// the binding cookie of this browser.
async fn cns_start(s: &Stack) -> (String, String) {
    let r = s
        .http
        .get(format!("{}/accesso/cns/avvia", s.portal))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = location(&r);
    let state = to
        .split_once("/accesso/cns?stato=")
        .map(|(_, s)| s.to_owned())
        .unwrap_or_else(|| panic!("{to}"));
    assert!(to.starts_with("https://cns.pagamenti.example/"), "{to}");
    (state, set_cookie(&r, "login").expect("binding cookie"))
}

#[tokio::test]
async fn cns_login_hands_over_to_the_browser_that_started_it() {
    let s = start(Some("cns.pagamenti.example")).await;
    let app = &s.env.app;
    let subject =
        "CN=RSSMRA85T10A562S/7420091000049623.FbPkopq2QwfWENtsDzDLxvGpb0U=,O=Regione,C=IT";
    let (state, bound) = cns_start(&s).await;
    let r = login::handle(
        app,
        cns_request("cns.pagamenti.example", Some(subject), &state),
    )
    .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to.starts_with(&format!("{}/accesso/cns/completa?codice=", s.portal)),
        "{to}"
    );
    let done = fetch(&s, &to, format!("login={bound}")).await;
    assert_eq!(done.status(), 303);
    let session = set_cookie(&done, "session").unwrap();
    assert_eq!(me(&s, &session).await.status(), 200);
    // The hand-off code is single use.
    assert_eq!(fetch(&s, &to, format!("login={bound}")).await.status(), 401);
    // Login CSRF: an attacker's hand-off code opened in another browser.
    let (attacker, _) = cns_start(&s).await;
    let r = login::handle(
        app,
        cns_request("cns.pagamenti.example", Some(subject), &attacker),
    )
    .await;
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, victim) = cns_start(&s).await;
    assert_eq!(
        fetch(&s, &to, format!("login={victim}")).await.status(),
        401
    );
    // No certificate, another host, or no fiscal code in the subject: refused.
    let (state, _) = cns_start(&s).await;
    for req in [
        cns_request("cns.pagamenti.example", None, &state),
        cns_request("portale.example", Some(subject), &state),
        cns_request(
            "cns.pagamenti.example",
            Some("CN=www.example.org,O=Example"),
            &state,
        ),
    ] {
        let r = login::handle(app, req).await;
        assert_eq!(r.status(), 401);
        assert!(r.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn login_lands_on_the_page_asked_for() {
    let s = start(None).await;
    let (payable, _, _) = seed(&s).await;
    let page = format!("/area-riservata/avvisi/{payable}");
    let r = s
        .http
        .get(format!("{}{page}", s.portal))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/accesso?torna={page}"));
    let login_page = s
        .http
        .get(format!("{}{}", s.portal, location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        login_page.contains("torna="),
        "the login links carry the page"
    );
    for (asked, landed) in [
        (page.as_str(), page.as_str()),
        ("https://evil.example/area-riservata", "/area-riservata"),
        ("/carrello", "/area-riservata"),
    ] {
        let start = format!(
            "/accesso/avvia?metodo=cie&torna={}",
            form_urlencoded::byte_serialize(asked.as_bytes()).collect::<String>()
        );
        let (back, state) = idp_answer_from(&s, MARIO, &start).await;
        let done = fetch(&s, &back, format!("login={state}")).await;
        assert_eq!(done.status(), 303);
        assert_eq!(location(&done), landed, "asked {asked}");
    }
}

#[tokio::test]
async fn positions_created_without_login_are_listed_apart_and_expire_soon() {
    let s = start(None).await;
    let session = login(&s, MARIO).await;
    let body = json!({"debtor": {"type": "F", "fiscalCode": MARIO, "fullName": "Mario Rossi"},
        "fields": {"tipoCertificato": "residenza", "richiedente": "Mario Rossi"}});
    let create = |key: &'static str, cookie: Option<String>| {
        let mut r = s
            .http
            .post(format!("{}/api/v1/services/{EC}/CERT/positions", s.portal))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body.to_string());
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        async move {
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()
        }
    };
    // Someone who is not Mario asks for a certificate in his name.
    let by_stranger = create("anon-1", None).await;
    assert_eq!(by_stranger["anonymous"], true);
    // Mario himself, signed in.
    let own = create("own-1", Some(format!("session={session}"))).await;
    assert!(own.get("anonymous").is_none(), "{own}");
    let due = |v: &Value| {
        chrono::NaiveDate::parse_from_str(
            v["paymentOptions"][0]["dueDate"].as_str().unwrap(),
            "%Y-%m-%d",
        )
        .unwrap()
    };
    assert_eq!((due(&own) - due(&by_stranger)).num_days(), 30 - 7);

    let lists: Value = me(&s, &session).await.json().await.unwrap();
    let notices = |list: &str| -> Vec<String> {
        lists[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["noticeNumber"].as_str().unwrap().to_owned())
            .collect()
    };
    let n = |v: &Value| {
        v["paymentOptions"][0]["noticeNumber"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(notices("createdWithoutLogin"), vec![n(&by_stranger)]);
    assert!(notices("toPay").contains(&n(&own)));
    assert!(!notices("toPay").contains(&n(&by_stranger)));
    let page = fetch(
        &s,
        format!("{}/area-riservata", s.portal),
        format!("session={session}"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains("Creati senza accesso"), "{page}");
    // Its own section, with the warning, holding the stranger's notice only.
    let section = page
        .split(r#"<section id="creati-senza-accesso""#)
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the section");
    assert!(
        section.contains("Se non li riconosci non pagarli"),
        "{section}"
    );
    assert!(
        section.contains(&format!(r#"data-notice="{}""#, n(&by_stranger))),
        "{section}"
    );
    assert!(
        !section.contains(&format!(r#"data-notice="{}""#, n(&own))),
        "{section}"
    );
}

#[tokio::test]
async fn login_with_the_fiscal_code_only_from_userinfo() {
    let s = start(None).await;
    let (payable, _, _) = seed(&s).await;
    let deliver = |delivery: &'static str| {
        let s = &s;
        async move {
            let r = s
                .http
                .post(format!("{}/control/oidc/claims", s.sim))
                .json(&json!({ "delivery": delivery }))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{delivery}");
        }
    };
    // As SPID/CIE OpenID Connect providers do: the ID token without the
    // fiscal code and the names, UserInfo with them (plain JSON or signed JWT).
    for delivery in ["userinfo-json", "userinfo-jwt"] {
        deliver(delivery).await;
        let session = login(&s, MARIO).await;
        let r = me(&s, &session).await;
        assert_eq!(r.status(), 200, "{delivery}");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["toPay"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["noticeNumber"] == payable.as_str()),
            "{delivery}: {body}"
        );
        let page = fetch(
            &s,
            format!("{}/area-riservata", s.portal),
            format!("session={session}"),
        )
        .await;
        assert_eq!(page.status(), 200);
        assert!(
            page.text().await.unwrap().contains("Mario Rossi"),
            "{delivery}"
        );
    }
    // UserInfo about someone else than the ID token's subject: refused.
    deliver("userinfo-wrong-subject").await;
    let (back, state) = idp_answer(&s, MARIO).await;
    let done = fetch(&s, &back, format!("login={state}")).await;
    assert_eq!(done.status(), 401);
    assert!(set_cookie(&done, "session").is_none());
    deliver("id-token").await;
    login(&s, MARIO).await;
}
