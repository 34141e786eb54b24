//! Embeds the static assets (`web/public`, made by `make assets`) in the binary,
//! so the function serves them with no packaging step and no file system.
//! Without `web/public` the table is empty and a warning says so.

use std::fs;
use std::path::{Path, PathBuf};

fn wanted(rel: &str) -> bool {
    let ext = rel.rsplit('.').next().unwrap_or("");
    matches!(ext, "css" | "woff2" | "svg" | "png" | "ico" | "js") && !rel.ends_with(".map")
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else if let Ok(rel) = p.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if wanted(&rel) {
                out.push((rel, p));
            }
        }
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/public");
    println!("cargo:rerun-if-changed={}", root.join(".built").display());
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
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
