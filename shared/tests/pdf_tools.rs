//! Poppler and zbar, used to check the PDFs the way a reader and a payment app see
//! them. Shared by `pdf_avviso.rs` and `pdf_receipt.rs` (`#[path]` module); built
//! alone, it checks that the tools are installed.
//!
//! A missing tool fails the test and names the Debian package to install.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A4 in points, and the 10 mm margin every line of text must stay within.
pub const PAGE_W: f64 = 595.28;
pub const PAGE_H: f64 = 841.89;
pub const MARGIN: f64 = 28.35;

fn package_of(tool: &str) -> &'static str {
    match tool {
        "zbarimg" => "zbar-tools",
        "dmtxread" => "dmtx-utils",
        _ => "poppler-utils",
    }
}

/// Runs a tool and returns its output; panics (failing the test) if it is missing
/// or fails.
pub fn run(tool: &str, args: &[&str]) -> Output {
    let output = match Command::new(tool).args(args).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{tool}` is not installed: install the Debian package `{}` \
             (apt-get install -y {0}, or `make deps`)",
            package_of(tool)
        ),
        Err(e) => panic!("cannot run `{tool}`: {e}"),
    };
    assert!(
        output.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A fresh directory for one test's files, under the target directory (kept for
/// inspection after the run).
pub fn out_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("pdf")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the output directory");
    dir
}

pub fn write(dir: &Path, name: &str, pdf: &[u8]) -> PathBuf {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let path = dir.join(name);
    std::fs::write(&path, pdf).expect("write the PDF");
    path
}

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The text of the PDF as `pdftotext -layout` extracts it; pages are separated by
/// form feeds.
pub fn text(pdf: &Path) -> String {
    let out = run("pdftotext", &["-layout", s(pdf), "-"]);
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// Asserts that each of `needles` appears in `haystack`.
pub fn assert_contains_all(haystack: &str, needles: &[&str]) {
    let missing: Vec<&&str> = needles.iter().filter(|n| !haystack.contains(**n)).collect();
    assert!(
        missing.is_empty(),
        "missing from the PDF text: {missing:?}\n--- text ---\n{haystack}"
    );
}

/// Number of pages (`pdfinfo`).
pub fn pages(pdf: &Path) -> usize {
    let out = run("pdfinfo", &[s(pdf)]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo reports the page count")
}

/// The pages rendered at 300 dpi (PNG); rendered once per PDF file name in its
/// directory (each test writes its PDFs once, in a directory of its own).
fn pages_300dpi(pdf: &Path) -> Vec<PathBuf> {
    let dir = pdf.parent().expect("parent directory");
    let stem = pdf.file_stem().and_then(|s| s.to_str()).expect("file stem");
    let list = || -> Vec<PathBuf> {
        let mut images: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("read the output directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(&format!("{stem}-300dpi")) && n.ends_with(".png")
                })
            })
            .collect();
        images.sort();
        images
    };
    let images = list();
    if !images.is_empty() {
        return images;
    }
    let prefix = dir.join(format!("{stem}-300dpi"));
    run("pdftoppm", &["-r", "300", "-png", s(pdf), s(&prefix)]);
    let images = list();
    assert!(!images.is_empty(), "pdftoppm produced no image");
    images
}

/// Every QR code on every page, as zbarimg decodes them from a 300 dpi rendering,
/// sorted.
pub fn qr_codes(pdf: &Path) -> Vec<String> {
    let mut codes = Vec::new();
    for image in &pages_300dpi(pdf) {
        let args = ["--raw", "-q", "-Sdisable", "-Sqrcode.enable", s(image)];
        // Exit status 4: no symbol on this page.
        codes.extend(decoded("zbarimg", "zbar-tools", &args, 4, image));
    }
    codes.sort();
    codes
}

/// The Data Matrix codes of the PDF, as dmtxread decodes them from a 300 dpi
/// rendering, sorted. dmtxread searches a page until its time limit unless told
/// how many symbols to find: the search stops once `expected` symbols are found,
/// and goes from the last page (the bollettini are at the end).
pub fn datamatrix_codes(pdf: &Path, expected: usize) -> Vec<String> {
    let mut codes = Vec::new();
    for image in pages_300dpi(pdf).iter().rev() {
        if codes.len() >= expected {
            break;
        }
        let wanted = (expected - codes.len()).to_string();
        // -n: a newline after each symbol's data; -S 2: search a half-size image;
        // -m: give up on a page after 4 s. Exit status 1: no symbol on this page.
        let args = ["-n", "-S", "2", "-m", "4000", "-N", &wanted, s(image)];
        codes.extend(decoded("dmtxread", "dmtx-utils", &args, 1, image));
    }
    codes.sort();
    codes
}

/// The lines a barcode reader (`tool`, from the Debian package `package`)
/// prints for one page image; `none` is its exit status for "no symbol".
fn decoded(tool: &str, package: &str, args: &[&str], none: i32, image: &Path) -> Vec<String> {
    let out = match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` is not installed: install the Debian package `{package}` (apt-get install -y {package}, or `make deps`)")
        }
        Err(e) => panic!("cannot run `{tool}`: {e}"),
    };
    assert!(
        out.status.success() || out.status.code() == Some(none),
        "{tool} failed on {}: {}",
        image.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `pdfinfo` of the PDF; with `-meta`, its XMP metadata.
pub fn info(pdf: &Path, meta: bool) -> String {
    let args: &[&str] = if meta { &["-meta", s(pdf)] } else { &[s(pdf)] };
    String::from_utf8_lossy(&run("pdfinfo", args).stdout).into_owned()
}

/// The logical structure with the text of each element, as poppler reads it
/// (`pdfinfo -struct-text`).
pub fn structure(pdf: &Path) -> String {
    String::from_utf8_lossy(&run("pdfinfo", &["-struct-text", s(pdf)]).stdout).into_owned()
}

/// Asserts that the PDF is tagged and declares PDF/A-2a: `pdfinfo` sees a tagged
/// PDF 1.7, its XMP metadata has `pdfaid:part` 2 and `pdfaid:conformance` A, and
/// the catalog has a PDF/A output intent and the document language.
pub fn assert_tagged_pdf_a2a(pdf: &Path, lang: &str) {
    let info = info(pdf, false);
    assert_contains_all(&info, &["Tagged:          yes", "PDF version:     1.7"]);
    let meta = info_meta(pdf);
    assert_contains_all(
        &meta,
        &[
            "<pdfaid:part>2</pdfaid:part>",
            "<pdfaid:conformance>A</pdfaid:conformance>",
            &format!("<rdf:li>{lang}</rdf:li>"),
        ],
    );
    let bytes = std::fs::read(pdf).expect("read the PDF");
    for needle in [
        "/OutputIntents".to_owned(),
        "/S/GTS_PDFA1".to_owned(),
        "/MarkInfo<</Marked true".to_owned(),
        "/StructTreeRoot".to_owned(),
        format!("/Lang({lang})"),
    ] {
        assert!(
            find(&bytes, needle.as_bytes()).is_some(),
            "{needle} not in {}",
            pdf.display()
        );
    }
    assert_titillium_embedded(pdf);
}

fn info_meta(pdf: &Path) -> String {
    info(pdf, true)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The alternative text of every `Figure` structure element, in file order (the
/// structure elements are written uncompressed; texts here are ASCII literals).
pub fn figure_alts(pdf: &Path) -> Vec<String> {
    let bytes = std::fs::read(pdf).expect("read the PDF");
    let text = String::from_utf8_lossy(&bytes);
    text.split("<</Type/StructElem/S/Figure")
        .skip(1)
        .map(|elem| {
            let dict = elem.split(">>").next().unwrap_or("");
            assert!(dict.contains("/K"), "a figure without content: {dict}");
            let alt = dict
                .split("/Alt(")
                .nth(1)
                .unwrap_or_else(|| panic!("a figure without /Alt: {dict}"));
            let mut out = String::new();
            let mut chars = alt.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    ')' => break,
                    c => out.push(c),
                }
            }
            out
        })
        .collect()
}

/// Validates the PDF with veraPDF (`verapdf` on the PATH) against PDF/A-2a. veraPDF
/// is not in the package registries this project installs from: without it the
/// check is skipped, saying so.
pub fn verapdf_2a(pdf: &Path) {
    let out = match Command::new("verapdf")
        .args(["--flavour", "2a", "--format", "text", s(pdf)])
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "SKIPPED: veraPDF validation of {}: `verapdf` is not installed \
                 (it is not packaged for Debian, PyPI or npm)",
                pdf.display()
            );
            return;
        }
        Err(e) => panic!("cannot run `verapdf`: {e}"),
    };
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.lines().any(|l| l.starts_with("PASS")),
        "veraPDF: {} is not PDF/A-2a:\n{report}\n{}",
        pdf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fonts of the PDF (`pdffonts`): (name, embedded).
pub fn fonts(pdf: &Path) -> Vec<(String, bool)> {
    let out = run("pdffonts", &[s(pdf)]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // name … emb sub uni object-number generation
            (cols.len() >= 6).then(|| (cols[0].to_owned(), cols[cols.len() - 5] == "yes"))
        })
        .collect()
}

/// Asserts that the PDF uses Titillium Web and embeds every font it uses.
pub fn assert_titillium_embedded(pdf: &Path) {
    let fonts = fonts(pdf);
    assert!(
        fonts.iter().any(|(name, _)| name.contains("TitilliumWeb")),
        "Titillium Web not used: {fonts:?}"
    );
    assert!(
        fonts.iter().all(|(_, embedded)| *embedded),
        "a font is not embedded: {fonts:?}"
    );
}

/// Word boxes (xMin, yMin, xMax, yMax) per page, from `pdftotext -bbox`.
pub fn word_boxes(pdf: &Path) -> Vec<Vec<(String, [f64; 4])>> {
    let out = run("pdftotext", &["-bbox", s(pdf), "-"]);
    let html = String::from_utf8_lossy(&out.stdout).into_owned();
    let attr = |tag: &str, name: &str| -> f64 {
        let key = format!("{name}=\"");
        tag.split(&key)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    html.split("<page ")
        .skip(1)
        .map(|page| {
            page.split("<word ")
                .skip(1)
                .map(|word| {
                    let (tag, rest) = word.split_once('>').unwrap_or((word, ""));
                    let text = rest.split("</word>").next().unwrap_or("").to_owned();
                    (
                        text,
                        [
                            attr(tag, "xMin"),
                            attr(tag, "yMin"),
                            attr(tag, "xMax"),
                            attr(tag, "yMax"),
                        ],
                    )
                })
                .collect()
        })
        .collect()
}

/// Asserts that no word lies outside the page margins.
pub fn assert_text_within_margins(pdf: &Path) {
    for (n, page) in word_boxes(pdf).iter().enumerate() {
        assert!(!page.is_empty(), "page {} has no text", n + 1);
        for (word, [x0, y0, x1, y1]) in page {
            let inside = *x0 >= MARGIN - 0.5
                && *x1 <= PAGE_W - MARGIN + 0.5
                && *y0 >= MARGIN - 6.0
                && *y1 <= PAGE_H - MARGIN + 0.5;
            assert!(
                inside,
                "page {}: {word:?} at [{x0:.1}, {y0:.1}, {x1:.1}, {y1:.1}] is outside the margins",
                n + 1
            );
        }
    }
}

#[test]
fn the_tools_are_installed() {
    for (tool, arg) in [
        ("pdftotext", "-v"),
        ("pdftoppm", "-v"),
        ("pdffonts", "-v"),
        ("pdfinfo", "-v"),
        ("zbarimg", "--version"),
        ("dmtxread", "--version"),
    ] {
        run(tool, &[arg]);
    }
}
