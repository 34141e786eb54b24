//! The local stack over real HTTP: routing from the template, /health, problem
//! answers for unknown routes, and the demo dataset.

use std::sync::Arc;

use integration::TestEnv;

async fn serve(env: TestEnv) -> (String, Arc<devstack::server::Stack>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stack = Arc::new(env.stack);
    tokio::spawn(devstack::server::serve(
        listener,
        stack.clone(),
        std::future::pending(),
    ));
    (format!("http://{addr}"), stack)
}

#[tokio::test]
async fn serves_health_routes_and_problems_over_http() {
    let env = TestEnv::new().await;
    let app = env.app.clone();
    let (base, stack) = serve(env).await;
    let client = reqwest::Client::new();

    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(
        health.status(),
        503,
        "not ready before the demo data is loaded"
    );
    let notices = devstack::demo::seed(&app).await.unwrap();
    stack.set_ready();
    assert_eq!(
        client
            .get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Seeding twice changes nothing.
    assert_eq!(
        devstack::demo::seed(&app).await.unwrap().len(),
        notices.len()
    );

    let first = &notices[0];
    let r = client
        .get(format!("{base}/api/v1/notices/{}", first.notice))
        .query(&[("fiscalCode", first.debtor.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "payable");

    // Unknown addresses: a page for people, problem+json under /api/.
    let r = client.get(format!("{base}/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert!(r.text().await.unwrap().contains("Pagina non trovata"));
    let r = client
        .get(format!("{base}/api/v1/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    // Bodies above API Gateway's limit are refused before reaching a handler.
    let r = client
        .post(format!(
            "{base}/api/v1/organizations/77777777777/debt-positions"
        ))
        .header("content-type", "application/json")
        .body(vec![b' '; devstack::server::MAX_BODY + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn demo_dataset_has_every_state() {
    let env = TestEnv::new().await;
    let notices = devstack::demo::seed(&env.app).await.unwrap();
    let ecs: std::collections::BTreeSet<_> = notices.iter().map(|n| n.ec).collect();
    assert!(ecs.len() >= 2);
    let mut statuses = std::collections::BTreeMap::new();
    for n in &notices {
        let r = env
            .get(&format!(
                "/api/v1/notices/{}?fiscalCode={}",
                n.notice, n.debtor
            ))
            .await;
        assert_eq!(r.status, 200, "{} {}", n.notice, n.label);
        *statuses
            .entry(r.json()["status"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    for s in ["payable", "expired", "paid", "cancelled"] {
        assert!(statuses.contains_key(s), "{s} missing: {statuses:?}");
    }
}
