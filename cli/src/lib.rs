//! `portale`: the EC operators' command-line tool, over the operator and
//! admin APIs. Configured by the environment: `PORTALE_URL` (the portal, e.g.
//! `https://pagamenti.comune.example.it`), `PORTALE_API_KEY` (the EC's
//! operator key), and for key management `PORTALE_ADMIN_URL` (the admin API,
//! default `PORTALE_URL`) and `PORTALE_ADMIN_KEY`.
//!
//! The commands live here as a library, so tests run them in-process against
//! a local stack; `main` only parses the command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(
    name = "portale",
    version,
    about = "Portale dei Pagamenti: strumenti per gli operatori dell'ente"
)]
pub struct Cli {
    /// The portal's address.
    #[arg(long, env = "PORTALE_URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// The EC's operator key.
    #[arg(
        long,
        env = "PORTALE_API_KEY",
        hide_env_values = true,
        default_value = ""
    )]
    pub api_key: String,
    /// The admin API's address (operator keys); the portal's when unset.
    #[arg(long, env = "PORTALE_ADMIN_URL")]
    pub admin_url: Option<String>,
    /// The admin key (operator keys only).
    #[arg(
        long,
        env = "PORTALE_ADMIN_KEY",
        hide_env_values = true,
        default_value = ""
    )]
    pub admin_key: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Imports a file of debt positions (NDJSON or CSV) and follows its progress.
    Import {
        /// The EC's fiscal code.
        ec: String,
        /// The file (`.ndjson`/`.jsonl` or `.csv`).
        file: PathBuf,
        /// The file's format, when its extension does not say.
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
        /// Only start the import; do not wait for it.
        #[arg(long)]
        no_wait: bool,
        /// Upload through a presigned URL even when the file is small (files
        /// over 5 MB always are).
        #[arg(long)]
        upload: bool,
        /// Where to save the per-row report (CSV) once done.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Shows an import's progress and its first errors.
    ImportStatus { ec: String, import_id: String },
    /// Exports what was paid in a period (dates YYYY-MM-DD, both included).
    Payments {
        ec: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// csv (one row per transfer), json, or zip (the receipts' XML).
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// The file to write (standard output when absent; required for zip).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Lists the EC's reporting flows (FdR) acquired from pagoPA.
    Flows { ec: String },
    /// Fetches the EC's reporting flows from pagoPA now, and reconciles them.
    Reconcile { ec: String },
    /// Lists reconciliation anomalies.
    Anomalies { ec: String },
    /// Manages operator keys (admin key needed).
    Keys {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Manages who may use the web console for which EC (admin key needed).
    Operators {
        #[command(subcommand)]
        action: OperatorAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum OperatorAction {
    /// Lets an operator (by fiscal code) act for an EC with a role (replaces
    /// the role they had for that EC, keeps their other ECs).
    Grant {
        fiscal_code: String,
        ec: String,
        #[arg(long, value_enum, default_value = "operator")]
        role: RoleArg,
    },
    /// Takes an EC away from an operator (the operator goes with their last EC).
    Revoke { fiscal_code: String, ec: String },
    /// Lists the operators and their ECs.
    List,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    ReadOnly,
    Operator,
    Admin,
}

impl RoleArg {
    fn code(self) -> &'static str {
        match self {
            RoleArg::ReadOnly => "read-only",
            RoleArg::Operator => "operator",
            RoleArg::Admin => "admin",
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum KeyAction {
    /// Issues a key for an EC (shown once).
    Create {
        ec: String,
        #[arg(long)]
        label: Option<String>,
    },
    /// Lists an EC's keys (without secrets).
    List { ec: String },
    /// Revokes a key at once.
    Revoke { ec: String, key_id: String },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Ndjson,
    Csv,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
    Zip,
}

/// What went wrong, in words for the operator.
#[derive(Debug)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

fn fail(m: impl Into<String>) -> Failure {
    Failure(m.into())
}

/// The largest file sent as a request's body; larger ones are uploaded.
const DIRECT_LIMIT: u64 = 5 << 20;

/// An answer: status and body (redirects already followed).
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// The operator or admin API, over rustls on the AWS SDK's crypto provider
/// (one TLS stack in the workspace), trusting the system's CA store: on an
/// operator's machine a company proxy's own root must be trusted.
struct Api {
    http: shared::net::HttpsClient,
    base: String,
    key: String,
}

/// A problem+json answer as one line: status, detail, each field.
fn problem(status: u16, body: &[u8]) -> Failure {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return fail(format!(
            "errore {status}: {}",
            String::from_utf8_lossy(body).trim()
        ));
    };
    let mut m = format!("errore {status}: {}", v["detail"].as_str().unwrap_or(""));
    for e in v["errors"].as_array().into_iter().flatten() {
        m.push_str(&format!(
            "\n  {}: {}",
            e["field"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        ));
    }
    fail(m)
}

/// `path?k=v&…`, the values encoded.
fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{path}?{q}")
}

impl Api {
    fn new(base: &str, key: &str) -> Result<Self, Failure> {
        if key.trim().is_empty() {
            return Err(fail(
                "chiave mancante: impostare PORTALE_API_KEY (o PORTALE_ADMIN_KEY per le chiavi)",
            ));
        }
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| fail(format!("certificati di sistema: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            http: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https),
            base: base.trim_end_matches('/').to_owned(),
            key: key.trim().to_owned(),
        })
    }

    /// One request to `url` (absolute, or a path of the API), following up
    /// to three redirects; the key goes to the API only, never elsewhere.
    async fn call(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Answer, Failure> {
        use http_body_util::BodyExt;
        let client = &self.http;
        let mut url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        };
        let mut method = method.to_owned();
        let mut body = body;
        for _ in 0..4 {
            let mut req = hyper::Request::builder().method(method.as_str()).uri(&url);
            if url.starts_with(&self.base) {
                req = req.header("x-api-key", &self.key);
            }
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let req = req
                .body(http_body_util::Full::new(hyper::body::Bytes::from(
                    body.clone(),
                )))
                .map_err(|e| fail(format!("richiesta non valida: {e}")))?;
            let resp = client
                .request(req)
                .await
                .map_err(|e| fail(format!("portale non raggiungibile ({url}): {e}")))?;
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| fail(format!("risposta interrotta: {e}")))?
                .to_bytes()
                .to_vec();
            match (status, location) {
                (301 | 302 | 303 | 307 | 308, Some(next)) => {
                    if status == 303 {
                        method = "GET".into();
                        body = Vec::new();
                    }
                    url = next;
                }
                (200..=299, _) => {
                    return Ok(Answer {
                        status,
                        body: bytes,
                    })
                }
                _ => return Err(problem(status, &bytes)),
            }
        }
        Err(fail("troppi rinvii"))
    }

    async fn get(&self, url: &str, accept: &str) -> Result<Vec<u8>, Failure> {
        Ok(self
            .call("GET", url, &[("accept", accept)], vec![])
            .await?
            .body)
    }

    async fn json(&self, method: &str, url: &str, body: Option<&Value>) -> Result<Value, Failure> {
        let (headers, bytes): (&[(&str, &str)], Vec<u8>) = match body {
            Some(b) => (
                &[
                    ("content-type", "application/json"),
                    ("accept", "application/json"),
                ],
                b.to_string().into_bytes(),
            ),
            None => (&[("accept", "application/json")], vec![]),
        };
        let a = self.call(method, url, headers, bytes).await?;
        if a.status == 204 || a.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&a.body).map_err(|e| fail(format!("risposta non valida: {e}")))
    }
}

fn format_of(path: &Path, given: Option<FileFormat>) -> Result<FileFormat, Failure> {
    if let Some(f) = given {
        return Ok(f);
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("ndjson" | "jsonl") => Ok(FileFormat::Ndjson),
        Some("csv") => Ok(FileFormat::Csv),
        _ => Err(fail(
            "formato del file non riconosciuto dall'estensione: indicare --format ndjson|csv",
        )),
    }
}

/// Runs one command, writing its output to `out`.
pub async fn run(cli: Cli, out: &mut (dyn Write + Send)) -> Result<(), Failure> {
    let w = |out: &mut (dyn Write + Send), s: String| {
        writeln!(out, "{s}").map_err(|e| fail(format!("scrittura: {e}")))
    };
    let operator = || Api::new(&cli.url, &cli.api_key);
    let admin = || Api::new(cli.admin_url.as_deref().unwrap_or(&cli.url), &cli.admin_key);
    match &cli.command {
        Command::Import {
            ec,
            file,
            format,
            no_wait,
            upload,
            report,
        } => {
            let api = operator()?;
            let format = format_of(file, *format)?;
            let id = start_import(&api, ec, file, format, *upload).await?;
            w(out, format!("importazione {id} avviata"))?;
            if *no_wait {
                return Ok(());
            }
            let status = follow(&api, ec, &id).await?;
            w(out, summary(&status))?;
            if let (Some(path), Some(url)) = (report, status["reportUrl"].as_str()) {
                let bytes = api.get(url, "text/csv").await?;
                std::fs::write(path, &bytes)
                    .map_err(|e| fail(format!("{}: {e}", path.display())))?;
                w(
                    out,
                    format!("resoconto riga per riga in {}", path.display()),
                )?;
            }
            if status["status"] == "failed" {
                return Err(fail("importazione non riuscita"));
            }
            Ok(())
        }
        Command::ImportStatus { ec, import_id } => {
            let api = operator()?;
            let status = api
                .json(
                    "GET",
                    &format!("/api/v1/organizations/{ec}/imports/{import_id}"),
                    None,
                )
                .await?;
            w(out, summary(&status))
        }
        Command::Payments {
            ec,
            from,
            to,
            format,
            output,
        } => {
            let api = operator()?;
            let path = format!("/api/v1/organizations/{ec}/payments");
            let accept = match format {
                ExportFormat::Csv => "text/csv",
                ExportFormat::Zip => "application/zip",
                ExportFormat::Json => "application/json",
            };
            if *format == ExportFormat::Json {
                // Every page, as one JSON list.
                let mut items = Vec::new();
                let mut cursor: Option<String> = None;
                loop {
                    let mut q = vec![
                        ("from", from.as_str()),
                        ("to", to.as_str()),
                        ("limit", "1000"),
                    ];
                    if let Some(c) = &cursor {
                        q.push(("cursor", c.as_str()));
                    }
                    let page = api.json("GET", &with_query(&path, &q), None).await?;
                    items.extend(page["items"].as_array().cloned().unwrap_or_default());
                    match page["next"].as_str() {
                        Some(n) => cursor = Some(n.to_owned()),
                        None => break,
                    }
                }
                let text = serde_json::to_string_pretty(&Value::Array(items)).unwrap_or_default();
                return emit(out, output.as_deref(), text.as_bytes());
            }
            if *format == ExportFormat::Zip && output.is_none() {
                return Err(fail("per lo zip indicare il file con --output"));
            }
            let url = with_query(&path, &[("from", from), ("to", to)]);
            let bytes = api.get(&url, accept).await?;
            emit(out, output.as_deref(), &bytes)
        }
        Command::Flows { ec } => {
            let api = operator()?;
            let flows = api
                .json(
                    "GET",
                    &format!("/api/v1/organizations/{ec}/reporting-flows"),
                    None,
                )
                .await?;
            for f in flows["items"].as_array().into_iter().flatten() {
                w(
                    out,
                    format!(
                        "{}  rev {}  PSP {}  regolamento {}  {} pagamenti  {} €  {}",
                        f["flowId"].as_str().unwrap_or(""),
                        f["revision"],
                        f["pspId"].as_str().unwrap_or(""),
                        f["regulationDate"].as_str().unwrap_or(""),
                        f["totPayments"],
                        f["sumPayments"].as_str().unwrap_or(""),
                        f["state"].as_str().unwrap_or("")
                    ),
                )?;
            }
            Ok(())
        }
        Command::Reconcile { ec } => {
            let api = operator()?;
            let run = api
                .json(
                    "POST",
                    &format!("/api/v1/organizations/{ec}/reconciliation/runs"),
                    Some(&json!({})),
                )
                .await?;
            w(out, format!("riconciliazione avviata: {}", run))
        }
        Command::Anomalies { ec } => {
            let api = operator()?;
            let list = api
                .json(
                    "GET",
                    &format!("/api/v1/organizations/{ec}/reconciliation/anomalies"),
                    None,
                )
                .await?;
            for a in list["items"].as_array().into_iter().flatten() {
                w(
                    out,
                    format!(
                        "{}  {}  IUV {}  flusso {}  {}",
                        a["code"].as_str().unwrap_or(""),
                        a["kind"].as_str().unwrap_or(""),
                        a["iuv"].as_str().unwrap_or("-"),
                        a["flowId"].as_str().unwrap_or("-"),
                        a["message"].as_str().unwrap_or("")
                    ),
                )?;
            }
            Ok(())
        }
        Command::Keys { action } => {
            let api = admin()?;
            match action {
                KeyAction::Create { ec, label } => {
                    let body = json!({"label": label});
                    let k = api
                        .json(
                            "POST",
                            &format!("/api/v1/admin/organizations/{ec}/keys"),
                            Some(&body),
                        )
                        .await?;
                    w(
                        out,
                        format!(
                            "chiave {} per l'ente {ec}",
                            k["keyId"].as_str().unwrap_or("")
                        ),
                    )?;
                    w(
                        out,
                        format!("PORTALE_API_KEY={}", k["key"].as_str().unwrap_or("")),
                    )?;
                    w(out, "(conservarla ora: non sarà più mostrata)".into())
                }
                KeyAction::List { ec } => {
                    let list = api
                        .json(
                            "GET",
                            &format!("/api/v1/admin/organizations/{ec}/keys"),
                            None,
                        )
                        .await?;
                    for k in list.as_array().into_iter().flatten() {
                        w(
                            out,
                            format!(
                                "{}  creata {}  {}",
                                k["keyId"].as_str().unwrap_or(""),
                                k["createdAt"].as_str().unwrap_or(""),
                                k["label"].as_str().unwrap_or("")
                            ),
                        )?;
                    }
                    Ok(())
                }
                KeyAction::Revoke { ec, key_id } => {
                    let path = format!("/api/v1/admin/organizations/{ec}/keys/{key_id}");
                    api.json("DELETE", &path, None).await?;
                    w(out, format!("chiave {key_id} revocata"))
                }
            }
        }
        Command::Operators { action } => {
            let api = admin()?;
            let grants_of =
                |v: &Value| -> Vec<Value> { v["grants"].as_array().cloned().unwrap_or_default() };
            match action {
                OperatorAction::List => {
                    let list = api.json("GET", "/api/v1/admin/operators", None).await?;
                    for o in list.as_array().into_iter().flatten() {
                        let grants: Vec<String> = grants_of(o)
                            .iter()
                            .map(|g| {
                                format!(
                                    "{} ({})",
                                    g["ecFiscalCode"].as_str().unwrap_or(""),
                                    g["role"].as_str().unwrap_or("")
                                )
                            })
                            .collect();
                        w(
                            out,
                            format!(
                                "{}  {}",
                                o["fiscalCode"].as_str().unwrap_or(""),
                                grants.join(", ")
                            ),
                        )?;
                    }
                    Ok(())
                }
                OperatorAction::Grant {
                    fiscal_code,
                    ec,
                    role,
                } => {
                    let path = operator_path(fiscal_code);
                    let mut grants = current_grants(&api, &path).await?;
                    grants.retain(|g| g["ecFiscalCode"] != ec.as_str());
                    grants.push(json!({"ecFiscalCode": ec, "role": role.code()}));
                    api.json("PUT", &path, Some(&json!({ "grants": grants })))
                        .await?;
                    w(
                        out,
                        format!(
                            "operatore {fiscal_code}: ente {ec} con ruolo {}",
                            role.code()
                        ),
                    )
                }
                OperatorAction::Revoke { fiscal_code, ec } => {
                    let path = operator_path(fiscal_code);
                    let mut grants = current_grants(&api, &path).await?;
                    let before = grants.len();
                    grants.retain(|g| g["ecFiscalCode"] != ec.as_str());
                    if grants.len() == before {
                        return Err(fail(format!(
                            "l'operatore {fiscal_code} non è abilitato per l'ente {ec}"
                        )));
                    }
                    api.json("PUT", &path, Some(&json!({ "grants": grants })))
                        .await?;
                    w(out, format!("operatore {fiscal_code}: ente {ec} revocato"))
                }
            }
        }
    }
}

fn operator_path(fiscal_code: &str) -> String {
    let cf: String = form_urlencoded::byte_serialize(fiscal_code.trim().as_bytes()).collect();
    format!("/api/v1/admin/operators/{cf}")
}

/// An operator's grants; none when the admin API does not know them.
async fn current_grants(api: &Api, path: &str) -> Result<Vec<Value>, Failure> {
    match api.json("GET", path, None).await {
        Ok(v) => Ok(v["grants"].as_array().cloned().unwrap_or_default()),
        Err(Failure(m)) if m.starts_with("errore 404") => Ok(vec![]),
        Err(e) => Err(e),
    }
}

fn emit(out: &mut (dyn Write + Send), path: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match path {
        Some(p) => std::fs::write(p, bytes).map_err(|e| fail(format!("{}: {e}", p.display()))),
        None => out
            .write_all(bytes)
            .map_err(|e| fail(format!("scrittura: {e}"))),
    }
}

/// Starts an import: the file as the body when small, else through the
/// presigned upload the portal gives. Its id.
async fn start_import(
    api: &Api,
    ec: &str,
    file: &Path,
    format: FileFormat,
    presigned: bool,
) -> Result<String, Failure> {
    let size = std::fs::metadata(file)
        .map_err(|e| fail(format!("{}: {e}", file.display())))?
        .len();
    let ct = match format {
        FileFormat::Ndjson => "application/x-ndjson",
        FileFormat::Csv => "text/csv",
    };
    let path = format!("/api/v1/organizations/{ec}/imports");
    if size <= DIRECT_LIMIT && !presigned {
        let body = std::fs::read(file).map_err(|e| fail(format!("{}: {e}", file.display())))?;
        let a = api
            .call(
                "POST",
                &path,
                &[("content-type", ct), ("accept", "application/json")],
                body,
            )
            .await?;
        let v: Value = serde_json::from_slice(&a.body).unwrap_or_default();
        return Ok(v["importId"].as_str().unwrap_or("").to_owned());
    }
    let fmt = if format == FileFormat::Csv {
        "csv"
    } else {
        "ndjson"
    };
    let v = api
        .json("POST", &path, Some(&json!({"format": fmt})))
        .await?;
    let url = v["uploadUrl"]
        .as_str()
        .ok_or_else(|| fail("il portale non ha dato un indirizzo di caricamento"))?;
    upload(url, ct, file, size).await?;
    Ok(v["importId"].as_str().unwrap_or("").to_owned())
}

/// Sends a file to a presigned URL a megabyte at a time (never whole in
/// memory: files go up to 1 GB), with a progress bar over the bytes sent.
async fn upload(url: &str, content_type: &str, file: &Path, size: u64) -> Result<(), Failure> {
    use http_body_util::{BodyExt, StreamBody};
    use hyper::body::{Bytes, Frame};
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| fail(format!("certificati di sistema: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;
    let client: hyper_util::client::legacy::Client<_, Body> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https);
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("caricamento {bar:40} {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let f = std::fs::File::open(file).map_err(|e| fail(format!("{}: {e}", file.display())))?;
    let sent = bar.clone();
    let pieces = futures::stream::unfold(Some(f), move |f| {
        let sent = sent.clone();
        async move {
            let mut f = f?;
            let mut buf = vec![0u8; 1 << 20];
            match std::io::Read::read(&mut f, &mut buf) {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    sent.inc(n as u64);
                    Some((Ok(Frame::data(Bytes::from(buf))), Some(f)))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    let req = hyper::Request::put(url)
        .header("content-type", content_type)
        .header("content-length", size)
        .body(BodyExt::boxed(StreamBody::new(pieces)))
        .map_err(|e| fail(format!("richiesta non valida: {e}")))?;
    let resp = client
        .request(req)
        .await
        .map_err(|e| fail(format!("caricamento: {e}")))?;
    bar.finish_and_clear();
    let status = resp.status();
    if !status.is_success() {
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        return Err(fail(format!(
            "caricamento rifiutato ({status}): {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(300)
                .collect::<String>()
        )));
    }
    Ok(())
}

/// Polls an import until it ends, with a progress bar over the file's bytes.
async fn follow(api: &Api, ec: &str, id: &str) -> Result<Value, Failure> {
    let bar = ProgressBar::new(1).with_style(
        ProgressStyle::with_template("{spinner} {bar:40} {percent}%  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let path = format!("/api/v1/organizations/{ec}/imports/{id}");
    loop {
        let s = api.json("GET", &path, None).await?;
        if let Some(total) = s["bytesTotal"].as_u64() {
            bar.set_length(total.max(1));
        }
        bar.set_position(s["bytesDone"].as_u64().unwrap_or(0));
        bar.set_message(format!(
            "{} righe: {} create, {} invariate, {} con errori",
            s["rowsDone"], s["rowsCreated"], s["rowsUnchanged"], s["rowsFailed"]
        ));
        if s["status"] == "done" || s["status"] == "failed" {
            bar.finish_and_clear();
            return Ok(s);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// An import's state in a few lines, with its first errors.
pub fn summary(s: &Value) -> String {
    let mut m = format!(
        "stato {}: {} righe, {} create, {} invariate, {} con errori",
        s["status"].as_str().unwrap_or("?"),
        s["rowsDone"],
        s["rowsCreated"],
        s["rowsUnchanged"],
        s["rowsFailed"]
    );
    if let Some(f) = s["failure"].as_str() {
        m.push_str(&format!("\nmotivo: {f}"));
    }
    for e in s["errors"].as_array().into_iter().flatten().take(20) {
        m.push_str(&format!(
            "\n  riga {}: {} {}",
            e["row"],
            e["field"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        ));
    }
    m
}
