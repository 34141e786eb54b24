//! One source of truth for routes: every HTTP route of the SAM template is served
//! locally by its function's handler, and every handler the devstack knows is
//! reachable through the template.

use std::collections::BTreeSet;

#[test]
fn template_routes_and_local_handlers_agree() {
    let routes = devstack::router::routes_from_file(&devstack::template_path()).unwrap();
    assert!(!routes.is_empty());
    let handlers = devstack::server::handlers();
    let routed: BTreeSet<&str> = routes.iter().map(|r| r.function.as_str()).collect();
    let known: BTreeSet<&str> = handlers.keys().copied().collect();
    assert_eq!(routed, known);
    for r in &routes {
        assert!(r.path.starts_with('/'), "{r:?}");
        assert!(
            ["GET", "POST", "PUT", "DELETE", "PATCH", "ANY"].contains(&r.method.as_str()),
            "{r:?}"
        );
    }
}

#[test]
fn every_function_crate_is_in_the_template() {
    let dir = devstack::moto::repo_root().join("functions");
    let template = std::fs::read_to_string(devstack::template_path()).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let declared = template.contains(&format!("Binary: {name}\n"));
        assert!(
            declared,
            "functions/{name} is not declared in infra/template.yaml"
        );
    }
}
