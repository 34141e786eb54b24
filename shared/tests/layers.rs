//! The layers of the crate, checked on its source (docs/architecture.md):
//! the domain imports nothing above it, no top-level module imports one that
//! imports it back (directly or through others), and no source file carries
//! more than 800 lines of code besides its test module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level module a file belongs to (`lib` for lib.rs).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).expect("under src");
    let first = rel.components().next().expect("a component");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_owned()
}

/// The code of a file without its `#[cfg(test)]` module (at the end, by the
/// crate's convention) and without comments.
fn code(text: &str) -> Vec<&str> {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect()
}

/// Top-level modules each module uses through `crate::`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let from = module_of(&f);
        let text = std::fs::read_to_string(&f).expect("readable source");
        let deps = graph.entry(from.clone()).or_default();
        for line in code(&text) {
            for (i, _) in line.match_indices("crate::") {
                if line[..i].ends_with('$') {
                    continue;
                }
                let rest = &line[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let is_module = src().join(format!("{name}.rs")).exists()
                    || src().join(&name).join("mod.rs").exists();
                if is_module && name != from {
                    deps.insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn the_domain_imports_nothing_above_it() {
    let mut files = Vec::new();
    sources(&src().join("domain"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in code(&text) {
            let upward = line.contains("crate::") && !line.contains("crate::domain");
            let sdk = [
                "lambda_http",
                "aws_sdk",
                "aws_config",
                "hyper",
                "askama",
                "krilla",
            ]
            .iter()
            .any(|s| line.contains(s));
            assert!(!upward && !sdk, "{}: {line}", f.display());
        }
    }
}

#[test]
fn use_cases_do_not_speak_http_or_soap() {
    let graph = imports();
    let service = &graph["service"];
    for edge in ["http", "web", "soap", "aws", "lambda"] {
        assert!(
            !service.contains(edge),
            "service imports {edge}: {service:?}"
        );
    }
    let mut files = Vec::new();
    sources(&src().join("service"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in code(&text) {
            assert!(
                !line.contains("lambda_http") && !line.contains("ApiError"),
                "{}: {line}",
                f.display()
            );
        }
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    // Depth-first search for a cycle, reporting its path.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == node) {
            panic!("import cycle: {} -> {node}", path[at..].join(" -> "));
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
        done.insert(node.to_owned());
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut Vec::new(), &mut done);
    }
    // The picture of docs/architecture.md holds: the domain is a leaf.
    assert!(graph["domain"].is_empty(), "{:?}", graph["domain"]);
    assert!(
        graph["ports"].iter().all(|m| m == "domain"),
        "{:?}",
        graph["ports"]
    );
}

#[test]
fn no_file_has_more_than_800_lines_of_code() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let n = code(&text).len();
        assert!(n <= 800, "{}: {n} lines of code", f.display());
    }
}
