//! Secrets read at cold start, never held in Lambda environment variables: the
//! environment only names them (`ADMIN_API_KEY_PARAMETER`, an SSM
//! SecureString; `OIDC_CLIENT_SECRET_ARN`, a Secrets Manager secret), and the
//! AWS Parameters and Secrets Lambda Extension (a layer listening on
//! `localhost:2773`) reads them with the function's own role.
//!
//! Hand-written: two GETs on loopback and one JSON field each. The SSM and
//! Secrets Manager SDK crates would add minutes of build and most of a megabyte
//! to every function for that.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::Value;

use crate::net::LazyClient;

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
#[error("secret {name} not readable: {why}")]
pub struct SecretError {
    pub name: String,
    pub why: String,
}

/// The extension's address: `SECRETS_EXTENSION_URL` (tests), else the port it
/// listens on (`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, default 2773).
fn base() -> String {
    std::env::var("SECRETS_EXTENSION_URL").unwrap_or_else(|_| {
        let port = std::env::var("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
            .unwrap_or_else(|_| "2773".into());
        format!("http://localhost:{port}")
    })
}

async fn get(path_and_query: &str, name: &str) -> Result<Value, SecretError> {
    let fail = |why: String| SecretError {
        name: name.to_owned(),
        why,
    };
    let client = LazyClient::default();
    let client = client.get().map_err(fail)?;
    let token = std::env::var("AWS_SESSION_TOKEN").unwrap_or_default();
    let req = hyper::Request::get(format!("{}{path_and_query}", base()))
        .header("X-Aws-Parameters-Secrets-Token", token)
        .body(Full::new(Bytes::new()))
        .map_err(|e| fail(e.to_string()))?;
    let resp = client.request(req).await.map_err(|e| fail(e.to_string()))?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| fail(e.to_string()))?
        .to_bytes();
    if !status.is_success() {
        return Err(fail(format!("the extension answered {status}")));
    }
    serde_json::from_slice(&body).map_err(|e| fail(e.to_string()))
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// An SSM parameter's value, decrypted.
pub async fn parameter(name: &str) -> Result<String, SecretError> {
    let v = get(
        &format!(
            "/systemsmanager/parameters/get?name={}&withDecryption=true",
            encode(name)
        ),
        name,
    )
    .await?;
    v["Parameter"]["Value"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| SecretError {
            name: name.to_owned(),
            why: "no Parameter.Value".into(),
        })
}

/// A Secrets Manager secret's `SecretString`.
pub async fn secret_string(id: &str) -> Result<String, SecretError> {
    let v = get(&format!("/secretsmanager/get?secretId={}", encode(id)), id).await?;
    v["SecretString"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| SecretError {
            name: id.to_owned(),
            why: "no SecretString".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    /// A stand-in of the extension: answers with the session token it was given.
    async fn fake_extension() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                        let token = req
                            .headers()
                            .get("x-aws-parameters-secrets-token")
                            .map(|v| v.to_str().unwrap().to_owned());
                        let q = req.uri().query().unwrap_or("").to_owned();
                        let body = match (req.uri().path(), token.as_deref()) {
                            (_, None) => (403, "{}".to_owned()),
                            ("/systemsmanager/parameters/get", Some(t))
                                if q.contains("withDecryption=true") =>
                            {
                                (200, format!(r#"{{"Parameter":{{"Value":"key-{t}-{q}"}}}}"#))
                            }
                            ("/secretsmanager/get", Some(_)) => {
                                (200, r#"{"SecretString":"the-secret"}"#.to_owned())
                            }
                            _ => (404, "{}".to_owned()),
                        };
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .status(body.0)
                                .body(Full::new(Bytes::from(body.1)))
                                .unwrap(),
                        )
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn reads_parameters_and_secrets_through_the_extension() {
        let url = fake_extension().await;
        // The test process's environment, set once (no other test reads these).
        std::env::set_var("SECRETS_EXTENSION_URL", &url);
        std::env::set_var("AWS_SESSION_TOKEN", "tok");
        let v = parameter("/portale/dev/operator key").await.unwrap();
        assert_eq!(
            v,
            "key-tok-name=%2Fportale%2Fdev%2Foperator+key&withDecryption=true"
        );
        assert_eq!(
            secret_string("arn:aws:secretsmanager:eu-south-1:1:secret:x")
                .await
                .unwrap(),
            "the-secret"
        );
        std::env::set_var("SECRETS_EXTENSION_URL", format!("{url}/nowhere"));
        assert!(parameter("p").await.is_err());
    }
}
