//! `make bench-load`: the local stack under load, on loopback.
//!
//! Starts the stack as `make run` does (the AWS emulator, the resources, the
//! real handlers behind the local HTTP server), creates the positions it needs,
//! then, at increasing concurrency, sends what the Nodo and citizens send:
//! paVerifyPaymentNotice, paGetPaymentV2 and paSendRTV2 (each notice activated,
//! then paid, once), the notice lookup and the avviso PDF. Next to them, a bare
//! emulator round trip (one DynamoDB GetItem through the SDK) at the same
//! concurrency: the ratio of the two is what the portal adds to the storage it
//! waits on. Every answer is checked (HTTP status, SOAP outcome OK).
//!
//! Bounded: at most `--requests` requests (default 200) and `--seconds` seconds
//! (default 10) per operation and concurrency level. Release build only
//! (`make bench-load`); a debug build measures the compiler, not the portal.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use devstack::{moto::Moto, router, server, Names};
use pagopa_simulator::nodo::{self, PspPayment, Station};
use serde_json::json;
use shared::app::Clock;
use shared::domain::text::Email;
use shared::domain::EcFiscalCode;
use shared::service::positions;

const EC: &str = "77777777777";
const DEBTOR: &str = "RSSMRA85T10A562S";

struct Options {
    levels: Vec<usize>,
    requests: usize,
    seconds: u64,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        levels: vec![1, 4, 16, 64],
        requests: 200,
        seconds: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--levels" => {
                o.levels = value()?
                    .split(',')
                    .map(|l| l.trim().parse().map_err(|_| format!("bad level {l}")))
                    .collect::<Result<_, _>>()?
            }
            "--requests" => o.requests = value()?.parse().map_err(|_| "bad --requests")?,
            "--seconds" => o.seconds = value()?.parse().map_err(|_| "bad --seconds")?,
            _ => {
                return Err(format!(
                    "unknown argument {a}; usage: loadbench [--levels 1,4,16,64] [--requests N] [--seconds S]"
                ))
            }
        }
    }
    if o.levels.is_empty() || o.levels.contains(&0) || o.requests == 0 {
        return Err("levels and requests must be positive".into());
    }
    Ok(o)
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// One measured run: latencies of the requests that succeeded, and failures.
struct Run {
    latencies: Vec<Duration>,
    failures: usize,
    first_failure: Option<String>,
    elapsed: Duration,
}

impl Run {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[i - 1].as_secs_f64() * 1000.0
    }
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `call(i)` for i = 0, 1, … on `concurrency` workers, until `max`
/// requests or the time limit.
async fn drive<F, Fut>(concurrency: usize, max: usize, limit: Duration, call: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let out = Arc::new(Mutex::new((Vec::new(), 0usize, None::<String>)));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, next, out) = (call.clone(), next.clone(), out.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= max || start.elapsed() > limit {
                        break;
                    }
                    let t = Instant::now();
                    let r = call(i).await;
                    let d = t.elapsed();
                    let mut o = out.lock().expect("lock");
                    match r {
                        Ok(()) => o.0.push(d),
                        Err(e) => {
                            o.1 += 1;
                            o.2.get_or_insert(e);
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let elapsed = start.elapsed();
    let (mut latencies, failures, first_failure) = std::mem::take(&mut *out.lock().expect("lock"));
    latencies.sort();
    Run {
        latencies,
        failures,
        first_failure,
        elapsed,
    }
}

async fn soap(
    http: &reqwest::Client,
    url: &str,
    action: &str,
    body: String,
) -> Result<String, String> {
    let r = http
        .post(url)
        .header("content-type", "text/xml; charset=utf-8")
        .header("SOAPAction", format!("\"{action}\""))
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{action}: {e}"))?;
    let text = r.text().await.map_err(|e| format!("{action}: {e}"))?;
    let message = nodo::body_element(&text)?;
    match message.child("outcome").map(|o| o.text.as_str()) {
        Some("OK") => Ok(text),
        _ => Err(format!("{action}: {text}")),
    }
}

async fn get(http: &reqwest::Client, url: &str, content_type: &str) -> Result<(), String> {
    let r = http.get(url).send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = r.bytes().await.map_err(|e| e.to_string())?;
    if status != 200 || !ct.starts_with(content_type) {
        return Err(format!(
            "GET {url}: {status} {ct} {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let opts = options()?;
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; `make bench-load` builds the release one");
    }
    let limit = Duration::from_secs(opts.seconds);
    let (http_port, aws_port) = (free_port()?, free_port()?);
    println!(
        "• the local stack: AWS emulator on 127.0.0.1:{aws_port}, portal on 127.0.0.1:{http_port}"
    );
    let moto = Moto::start(aws_port).await?;
    let clients = devstack::emulator_clients(&moto.endpoint).await;
    let base = format!("http://127.0.0.1:{http_port}");
    let names = Names {
        table: "loadbench".into(),
        bucket: "loadbench-documents".into(),
        mail_from: Email::parse("noreply@comune-di-prova.example").expect("valid sender"),
        public_base_url: base.clone(),
        checkout_url: format!("{base}/no-checkout"),
        // The lookup's per-client limit would answer 429 to a load from one address.
        lookup_limit_per_minute: 100_000_000,
        oidc: None,
        cns_domain: None,
        nodo_client_subjects: vec![],
        admin_api_key: "loadbench-admin-key".into(),
        inline_export_bytes: 4_000_000,
        fdr_url: None,
    };
    let app = devstack::provisioned_app(
        &clients,
        &names,
        devstack::demo_entities(),
        "loadbench-operator-key",
        Clock::system(),
    )
    .await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", http_port)).await?;
    let routes = router::routes_from_file(&devstack::template_path())?;
    let stack = Arc::new(server::Stack::new(app.clone(), routes)?);
    stack.set_ready();
    tokio::spawn(server::serve(listener, stack, std::future::pending()));

    // Positions: one notice per paGetPaymentV2 and paSendRTV2 of every level,
    // and a block never paid for the verifications, lookups and avvisi.
    let paid_block = opts.levels.len() * opts.requests;
    let needed: usize = paid_block + opts.requests;
    let ec = EcFiscalCode::parse(EC).expect("demo EC");
    let t = Instant::now();
    let app2 = app.clone();
    // One at a time: moto answers 500 to concurrent transactions now and then.
    let created = drive(1, needed, Duration::from_secs(600), move |i| {
        let app = app2.clone();
        let ec = ec.clone();
        async move {
            let cents = 5_000 + i as u64;
            let doc = json!({"iupd": format!("LOAD-{i:06}"),
                "debtor": {"type": "F", "fiscalCode": DEBTOR, "fullName": "Mario Rossi"},
                "serviceCode": "TARI", "description": "TARI 2026",
                "paymentOptions": [{"amountCents": cents, "dueDate": "2099-12-31", "description": "Rata unica",
                    "transfers": [{"ecFiscalCode": EC, "iban": "IT60X0542811101000000123456",
                        "amountCents": cents, "remittanceInformation": "TARI 2026", "category": "9/0101100IM/"}]}]});
            let draft = positions::parse_draft(&doc).map_err(|e| format!("{e:?}"))?;
            positions::create(&app, &ec, draft)
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:?}"))
        }
    })
    .await;
    if created.failures > 0 {
        return Err(format!("creating positions: {:?}", created.first_failure).into());
    }
    println!(
        "• {needed} positions created in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Their notice numbers, in iupd order.
    let mut notices = Vec::with_capacity(needed);
    for i in 0..needed {
        let iupd = shared::domain::text::Iupd::parse(&format!("LOAD-{i:06}")).expect("iupd");
        let p = positions::get(&app, &EcFiscalCode::parse(EC).expect("EC"), &iupd)
            .await
            .map_err(|e| format!("{e:?}"))?;
        notices.push((
            p.value.payment_options[0].notice_number.to_string(),
            p.value.payment_options[0].amount_cents.cents(),
        ));
    }
    let notices = Arc::new(notices);
    let station = Arc::new(Station {
        id_pa: EC.into(),
        id_broker_pa: app
            .entities
            .iter()
            .next()
            .expect("EC")
            .broker_id
            .to_string(),
        id_station: app.entities.iter().next().expect("EC").station_ids[0].clone(),
    });
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?;
    let soap_url = Arc::new(format!("{base}/pagopa/paForNode"));
    let base = Arc::new(base);
    // paGetPaymentV2's `data` of each notice, for its paSendRTV2.
    let activated: Arc<Mutex<Vec<Option<String>>>> = Arc::new(Mutex::new(vec![None; needed]));

    println!(
        "\nEach operation at each concurrency: at most {} requests or {} s. Latency in ms.",
        opts.requests, opts.seconds
    );
    println!(
        "{:22} {:>5} {:>6} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "operation", "conc", "done", "fail", "req/s", "p50", "p98", "p99", "max", "p50/emul"
    );
    let mut offset = 0usize;
    for &conc in &opts.levels {
        let mut emulator_p50 = f64::NAN;
        let mut activations = 0usize;
        for op in [
            "emulator GetItem",
            "paVerifyPaymentNotice",
            "paGetPaymentV2",
            "paSendRTV2",
            "notice lookup",
            "avviso PDF",
        ] {
            let (http, notices, station, soap_url, base, activated) = (
                http.clone(),
                notices.clone(),
                station.clone(),
                soap_url.clone(),
                base.clone(),
                activated.clone(),
            );
            let dynamo = clients.dynamodb.clone();
            let table = names.table.clone();
            // Only the notices activated at this level are paid.
            let max = if op == "paSendRTV2" {
                activations
            } else {
                opts.requests
            };
            let run = drive(conc, max, limit, move |i| {
                let (http, notices, station, soap_url, base, activated) = (
                    http.clone(),
                    notices.clone(),
                    station.clone(),
                    soap_url.clone(),
                    base.clone(),
                    activated.clone(),
                );
                let (dynamo, table) = (dynamo.clone(), table.clone());
                async move {
                    // Each activation and payment has a notice of its own;
                    // the rest go to the notices never paid.
                    let index = match op {
                        "paGetPaymentV2" | "paSendRTV2" => offset + i,
                        _ => paid_block + i % (notices.len() - paid_block),
                    };
                    let (notice, cents) = notices[index].clone();
                    match op {
                        "emulator GetItem" => dynamo
                            .get_item()
                            .table_name(table)
                            .key("pk", AttributeValue::S(format!("bench#{i}")))
                            .key("sk", AttributeValue::S("none".into()))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| format!("{e:?}")),
                        "paVerifyPaymentNotice" => soap(
                            &http,
                            &soap_url,
                            "paVerifyPaymentNotice",
                            nodo::verify_request(&station, &notice),
                        )
                        .await
                        .map(|_| ()),
                        "paGetPaymentV2" => {
                            let answer = soap(
                                &http,
                                &soap_url,
                                "paGetPaymentV2",
                                nodo::get_payment_request(&station, &notice, true, cents, None),
                            )
                            .await?;
                            activated.lock().expect("lock")[index] = Some(answer);
                            Ok(())
                        }
                        "paSendRTV2" => {
                            let answer = activated.lock().expect("lock")[index]
                                .clone()
                                .ok_or("not activated")?;
                            let message = nodo::body_element(&answer)?;
                            let data = message.child("data").ok_or("no data")?;
                            let psp = PspPayment {
                                receipt_id: format!("load{notice}"),
                                payer_email: None,
                                payment_note: None,
                                fee_cents: 100,
                                payment_date_time: chrono::Utc::now().naive_utc(),
                            };
                            let receipt =
                                nodo::receipt_from_payment(data, &notice, EC, &psp, true)?;
                            soap(
                                &http,
                                &soap_url,
                                "paSendRTV2",
                                nodo::send_rt_request(&station, &receipt, true),
                            )
                            .await
                            .map(|_| ())
                        }
                        "notice lookup" => {
                            get(
                                &http,
                                &format!("{base}/api/v1/notices/{notice}?fiscalCode={DEBTOR}"),
                                "application/json",
                            )
                            .await
                        }
                        _ => {
                            get(
                                &http,
                                &format!(
                                    "{base}/api/v1/notices/{notice}/avviso.pdf?fiscalCode={DEBTOR}"
                                ),
                                "application/pdf",
                            )
                            .await
                        }
                    }
                }
            })
            .await;
            match op {
                "emulator GetItem" => emulator_p50 = run.percentile(0.5),
                "paGetPaymentV2" => activations = run.latencies.len() + run.failures,
                _ => {}
            }
            println!(
                "{:22} {:>5} {:>6} {:>5} {:>8.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9.1}",
                op,
                conc,
                run.latencies.len(),
                run.failures,
                run.rate(),
                run.percentile(0.5),
                run.percentile(0.98),
                run.percentile(0.99),
                run.percentile(1.0),
                run.percentile(0.5) / emulator_p50,
            );
            if let Some(e) = &run.first_failure {
                println!("    first failure: {}", &e[..e.len().min(300)]);
            }
        }
        offset += opts.requests;
    }
    moto.stop().await;
    Ok(())
}
