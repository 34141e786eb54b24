//! Embeds the static assets (`web/public`, made by `make assets`) in the binary,
//! so the function serves them with no packaging step and no file system.
//! Without `web/public` the table is empty and a warning says so.
//!
//! Of Bootstrap Italia's fonts only the faces `app/fonts.css` declares are
//! embedded (as woff2): the other weights, italics and the legacy formats
//! are never requested, and were a third of the function's zip.

use std::fs;
use std::path::{Path, PathBuf};

fn wanted(rel: &str, declared_fonts: &[String]) -> bool {
    let ext = rel.rsplit('.').next().unwrap_or("");
    if rel.contains("/fonts/") {
        return declared_fonts.iter().any(|f| rel.ends_with(f.as_str()));
    }
    matches!(ext, "css" | "woff2" | "svg" | "png" | "ico" | "js") && !rel.ends_with(".map")
}

/// The font files `app/fonts.css` declares (`url("…/x.woff2")`).
fn declared_fonts(root: &Path) -> Vec<String> {
    let css = fs::read_to_string(root.join("app/fonts.css")).unwrap_or_default();
    css.split("url(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter_map(|url| url.rsplit('/').next())
        .map(|name| format!("/{name}"))
        .collect()
}

fn walk(root: &Path, dir: &Path, fonts: &[String], out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, fonts, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if wanted(&rel, fonts) {
                out.push((rel, p));
            }
        }
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/public");
    println!("cargo:rerun-if-changed={}", root.join(".built").display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("app/fonts.css").display()
    );
    let fonts = declared_fonts(&root);
    let mut files = Vec::new();
    walk(&root, &root, &fonts, &mut files);
    files.sort();
    if files.is_empty() {
        println!(
            "cargo:warning=web/public is missing: run `make assets` to embed the static assets"
        );
    }
    let mut code = String::from("/// Static assets embedded at build time: (path under /static/, bytes).\npub static ASSETS: &[(&str, &[u8])] = &[\n");
    for (rel, path) in &files {
        code.push_str(&format!(
            "    ({rel:?}, include_bytes!({:?})),\n",
            path.canonicalize().unwrap_or(path.clone())
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("assets.rs");
    fs::write(out, code).expect("write assets.rs");
}
