//! HTTP routes read from the SAM template (`infra/template.yaml`): every
//! `HttpApi` event of every function, mapped to that function's handler.

use std::collections::HashMap;
use std::path::Path;

use serde_yaml::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Upper-case method, or `ANY`.
    pub method: String,
    /// API Gateway path template: `/api/v1/notices/{noticeNumber}`, `{proxy+}` for a greedy tail.
    pub path: String,
    /// The cargo binary (`Metadata.BuildProperties.Binary`) of the function.
    pub function: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the template: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot parse the template: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("template: {0}")]
    Shape(String),
}

fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => &t.value,
        other => other,
    }
}

/// Every HTTP API route of the template.
pub fn routes_from_template(yaml: &str) -> Result<Vec<Route>, TemplateError> {
    let doc: Value = serde_yaml::from_str(yaml)?;
    let resources = doc
        .get("Resources")
        .and_then(Value::as_mapping)
        .ok_or_else(|| TemplateError::Shape("no Resources".into()))?;
    let mut routes = Vec::new();
    for (name, res) in resources {
        if res.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let name = name.as_str().unwrap_or("?");
        let events = res
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Value::as_mapping);
        let Some(events) = events else { continue };
        let http: Vec<_> = events
            .values()
            .filter(|e| e.get("Type").and_then(Value::as_str) == Some("HttpApi"))
            .collect();
        if http.is_empty() {
            continue;
        }
        let binary = res
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                TemplateError::Shape(format!("{name}: no Metadata.BuildProperties.Binary"))
            })?;
        for e in http {
            let props = e.get("Properties").ok_or_else(|| {
                TemplateError::Shape(format!("{name}: HttpApi event without Properties"))
            })?;
            let path = props.get("Path").map(untag).and_then(Value::as_str);
            let method = props.get("Method").map(untag).and_then(Value::as_str);
            let (Some(path), Some(method)) = (path, method) else {
                return Err(TemplateError::Shape(format!(
                    "{name}: HttpApi event without Path or Method"
                )));
            };
            routes.push(Route {
                method: method.to_ascii_uppercase(),
                path: path.to_owned(),
                function: binary.to_owned(),
            });
        }
    }
    Ok(routes)
}

pub fn routes_from_file(path: &Path) -> Result<Vec<Route>, TemplateError> {
    routes_from_template(&std::fs::read_to_string(path)?)
}

/// What the router decided for one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Match<'r> {
    Found(&'r Route, HashMap<String, String>),
    /// The path exists, with other methods.
    MethodNotAllowed,
    NotFound,
}

fn match_path(template: &str, path: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    for (i, seg) in t.iter().enumerate() {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            let rest = p.get(i..)?.join("/");
            if rest.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), decode(&rest));
            return Some(params);
        }
        let actual = p.get(i)?;
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if actual.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), decode(actual));
        } else if seg != actual {
            return None;
        }
    }
    (t.len() == p.len()).then_some(params)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Finds the route for a request, preferring literal segments over parameters
/// as API Gateway does.
pub fn find<'r>(routes: &'r [Route], method: &str, path: &str) -> Match<'r> {
    let mut candidates: Vec<(&Route, HashMap<String, String>)> = routes
        .iter()
        .filter_map(|r| match_path(&r.path, path).map(|p| (r, p)))
        .collect();
    if candidates.is_empty() {
        return Match::NotFound;
    }
    // Literal paths before parameters, a greedy `{proxy+}` last, ANY after a method.
    candidates.sort_by_key(|(r, p)| (r.path.contains("+}"), p.len(), r.method == "ANY"));
    candidates
        .into_iter()
        .find(|(r, _)| r.method == method || r.method == "ANY")
        .map(|(r, p)| Match::Found(r, p))
        .unwrap_or(Match::MethodNotAllowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str) -> Route {
        Route {
            method: method.into(),
            path: path.into(),
            function: "f".into(),
        }
    }

    #[test]
    fn matches_params_literals_and_methods() {
        let routes = vec![
            r("GET", "/api/v1/notices/{noticeNumber}"),
            r("GET", "/api/v1/notices/special"),
            r("ANY", "/static/{proxy+}"),
        ];
        match find(&routes, "GET", "/api/v1/notices/3010%200000") {
            Match::Found(route, p) => {
                assert_eq!(route.path, "/api/v1/notices/{noticeNumber}");
                assert_eq!(p["noticeNumber"], "3010 0000");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(find(&routes, "GET", "/api/v1/notices/special"), Match::Found(r, p) if r.path.ends_with("special") && p.is_empty())
        );
        assert_eq!(
            find(&routes, "POST", "/api/v1/notices/1"),
            Match::MethodNotAllowed
        );
        assert_eq!(find(&routes, "GET", "/api/v1/notices"), Match::NotFound);
        assert_eq!(find(&routes, "GET", "/api/v1/notices/1/x"), Match::NotFound);
        assert!(
            matches!(find(&routes, "GET", "/static/css/a.css"), Match::Found(_, p) if p["proxy"] == "css/a.css")
        );
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%C3%A8"), "è");
        assert_eq!(decode("è%"), "è%");
    }
}
