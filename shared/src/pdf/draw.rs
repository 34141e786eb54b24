//! A small display list over krilla: documents are laid out as lists of
//! positioned operations (text lines, rectangles, 2D codes, images), measured and
//! paginated first, then written in one pass.
//!
//! Coordinates are PDF points with the origin at the top-left corner of the page
//! and y growing downwards (krilla's convention).
//!
//! Every operation carries its place in the logical structure (see `structure`);
//! the PDF is written as PDF/A-2a (see `conformance`).

use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::tagging::Identifier;
use krilla::Document;

use super::conformance::{self, Meta};
use super::fonts::{Fonts, Weight};
use super::structure::{Decor, El, Kind, Mark, Structure};
use super::PdfError;

/// One millimetre in points.
pub(crate) const MM: f32 = 72.0 / 25.4;
pub(crate) const PAGE_W: f32 = 210.0 * MM;
pub(crate) const PAGE_H: f32 = 297.0 * MM;
/// Outer margins of the pagoPA models (10 mm).
pub(crate) const MARGIN: f32 = 10.0 * MM;
pub(crate) const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;

/// Space between modules ("almeno 6 mm" in the avviso guideline).
pub(crate) const GAP: f32 = 6.0 * MM;
/// Space kept free for the footer at the bottom of each page.
const FOOTER_H: f32 = 6.0 * MM;
const S_FOOTER: Style = Style::new(Weight::Regular, 7.0, GREY);

/// Line height as a multiple of the font size.
const LEADING: f32 = 1.25;
/// Baseline position below the top of a line, as a multiple of the font size.
const ASCENT: f32 = 0.95;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    fn color(self) -> rgb::Color {
        rgb::Color::new(self.0, self.1, self.2)
    }
}

/// Main text: pagoPA's dark blue-grey.
pub(crate) const INK: Rgb = Rgb(0x17, 0x32, 0x4D);
/// Headings, labels of sections and the pagoPA word mark.
pub(crate) const BLUE: Rgb = Rgb(0x00, 0x66, 0xCC);
/// Field labels and secondary text.
pub(crate) const GREY: Rgb = Rgb(0x5C, 0x6F, 0x82);
/// Black at 70%, the colour Poste asks for the authorisation line.
pub(crate) const GREY70: Rgb = Rgb(0x4D, 0x4D, 0x4D);
/// Section backgrounds.
pub(crate) const LIGHT: Rgb = Rgb(0xEE, 0xF1, 0xF5);
/// Borders and rules.
pub(crate) const RULE: Rgb = Rgb(0xC5, 0xCE, 0xD8);
pub(crate) const WHITE: Rgb = Rgb(0xFF, 0xFF, 0xFF);
pub(crate) const BLACK: Rgb = Rgb(0x00, 0x00, 0x00);

#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub weight: Weight,
    pub size: f32,
    pub color: Rgb,
}

impl Style {
    pub(crate) const fn new(weight: Weight, size: f32, color: Rgb) -> Self {
        Self {
            weight,
            size,
            color,
        }
    }

    pub(crate) fn line_height(&self) -> f32 {
        self.size * LEADING
    }
}

/// How a rectangle is painted: fill, border (colour and width), corner radius.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Look {
    pub fill: Option<Rgb>,
    pub stroke: Option<(Rgb, f32)>,
    pub radius: f32,
}

impl Look {
    pub(crate) const fn filled(color: Rgb, radius: f32) -> Self {
        Self {
            fill: Some(color),
            stroke: None,
            radius,
        }
    }

    pub(crate) const fn outlined(fill: Rgb, border: Rgb, width: f32, radius: f32) -> Self {
        Self {
            fill: Some(fill),
            stroke: Some((border, width)),
            radius,
        }
    }
}

/// A square matrix of modules (QR code, Data Matrix), row-major, `true` = dark.
#[derive(Debug, Clone)]
pub(crate) struct Matrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

/// What an operation draws.
#[derive(Debug, Clone)]
pub(crate) enum Draw {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<Rgb>,
        stroke: Option<(Rgb, f32)>,
        radius: f32,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        color: Rgb,
        width: f32,
    },
    Matrix {
        x: f32,
        y: f32,
        size: f32,
        matrix: Matrix,
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: Image,
    },
}

/// One positioned drawing and its place in the logical structure.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    draw: Draw,
    mark: Mark,
}

impl Op {
    pub(crate) fn shifted(mut self, dx: f32, dy: f32) -> Self {
        match &mut self.draw {
            Draw::Text { x, baseline, .. } => {
                *x += dx;
                *baseline += dy;
            }
            Draw::Rect { x, y, .. } | Draw::Matrix { x, y, .. } | Draw::Image { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
            Draw::Line { x1, y1, x2, y2, .. } => {
                *x1 += dx;
                *x2 += dx;
                *y1 += dy;
                *y2 += dy;
            }
        }
        self
    }

    /// The same drawing, outside the logical structure.
    pub(crate) fn artifact(mut self, decor: Decor) -> Self {
        self.mark = Mark::Artifact(decor);
        self
    }
}

/// Replaces what cannot be printed on one line: control characters and runs of
/// white space become one space (leading and trailing space is kept: it separates
/// spans).
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// Whether PDF/A-2a lets `c` be written: not in a private use area, not a byte
/// order mark or a noncharacter.
fn printable_char(c: char) -> bool {
    let private = matches!(
        u32::from(c),
        0xE000..=0xF8FF | 0xF_0000..=0xF_FFFD | 0x10_0000..=0x10_FFFD
    );
    !private && !matches!(c, '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Draws into a list of operations, measuring text with the embedded faces, and
/// records the logical structure of what it draws.
pub(crate) struct Canvas<'f> {
    fonts: &'f Fonts,
    ops: Vec<Op>,
    structure: Structure,
    /// Text, codes and images drawn now are artifacts.
    decorative: bool,
}

impl<'f> Canvas<'f> {
    pub(crate) fn new(fonts: &'f Fonts) -> Self {
        Self {
            fonts,
            ops: Vec::new(),
            structure: Structure::default(),
            decorative: false,
        }
    }

    fn push(&mut self, draw: Draw) {
        let mark = match draw {
            Draw::Rect { .. } | Draw::Line { .. } => Mark::Artifact(Decor::Layout),
            _ if self.decorative => Mark::Artifact(Decor::Layout),
            _ => self
                .structure
                .slot()
                .map_or(Mark::Artifact(Decor::Layout), Mark::Content),
        };
        self.ops.push(Op { draw, mark });
    }

    /// A new structure element after the current element's children (not entered).
    pub(crate) fn element(&mut self, kind: Kind) -> El {
        self.structure.element(kind)
    }

    /// A new structure element, entered: what is drawn next is its content.
    pub(crate) fn open(&mut self, kind: Kind) -> El {
        let el = self.structure.element(kind);
        self.structure.enter(el);
        el
    }

    /// Leaves the element entered last.
    pub(crate) fn close(&mut self) {
        self.structure.leave();
    }

    /// Draws with `f` into a new element of `kind`.
    pub(crate) fn tagged<R>(&mut self, kind: Kind, f: impl FnOnce(&mut Self) -> R) -> R {
        self.open(kind);
        let r = f(self);
        self.close();
        r
    }

    /// Draws with `f` into `el`, made earlier.
    pub(crate) fn within<R>(&mut self, el: El, f: impl FnOnce(&mut Self) -> R) -> R {
        self.structure.enter(el);
        let r = f(self);
        self.structure.leave();
        r
    }

    /// Draws with `f` outside the logical structure (word marks, decorations).
    pub(crate) fn decorative<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let before = std::mem::replace(&mut self.decorative, true);
        let r = f(self);
        self.decorative = before;
        r
    }

    /// The structure recorded, for [`write_pdf`].
    pub(crate) fn into_structure(self) -> Structure {
        self.structure
    }

    pub(crate) fn take(&mut self) -> Vec<Op> {
        std::mem::take(&mut self.ops)
    }

    /// Appends operations drawn elsewhere, moved by (dx, dy).
    pub(crate) fn extend(&mut self, ops: Vec<Op>, dx: f32, dy: f32) {
        self.ops
            .extend(ops.into_iter().map(|op| op.shifted(dx, dy)));
    }

    /// `text` on one line, with the characters the face lacks replaced.
    fn printable(&self, style: Style, text: &str) -> String {
        let face = self.fonts.face(style.weight);
        one_line(text)
            .chars()
            .map(|c| {
                if face.has(c) && printable_char(c) {
                    c
                } else {
                    match c {
                        '\u{2018}' | '\u{2019}' => '\'',
                        '\u{201C}' | '\u{201D}' => '"',
                        '\u{2013}' | '\u{2014}' => '-',
                        '\u{00A0}' => ' ',
                        _ => '?',
                    }
                }
            })
            .collect()
    }

    pub(crate) fn width(&self, style: Style, text: &str) -> f32 {
        self.fonts.face(style.weight).width(text, style.size)
    }

    /// `text` on one line of at most `width` points, cut with an ellipsis if longer.
    pub(crate) fn fit(&self, style: Style, text: &str, width: f32) -> String {
        let text = self.printable(style, text);
        if self.width(style, &text) <= width {
            return text;
        }
        let ellipsis = if self.fonts.face(style.weight).has('…') {
            "…"
        } else {
            "..."
        };
        let room = width - self.width(style, ellipsis);
        let mut used = 0.0;
        let mut out = String::new();
        for c in text.chars() {
            let w = self.width(style, c.encode_utf8(&mut [0; 4]));
            if used + w > room {
                break;
            }
            used += w;
            out.push(c);
        }
        let mut out = out.trim_end().to_owned();
        out.push_str(ellipsis);
        out
    }

    /// Word-wraps `text` into at most `max_lines` lines of at most `width` points;
    /// the last line is cut with an ellipsis when the text does not fit.
    pub(crate) fn wrap(
        &self,
        style: Style,
        text: &str,
        width: f32,
        max_lines: usize,
    ) -> Vec<String> {
        let text = self.printable(style, text);
        let max_lines = max_lines.max(1);
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        // What did not fit, and whether it continues the last line's word.
        let mut rest: Option<(String, &str)> = None;
        'words: for (i, word) in words.iter().enumerate() {
            let candidate = if current.is_empty() {
                (*word).to_owned()
            } else {
                format!("{current} {word}")
            };
            if self.width(style, &candidate) <= width {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                if lines.len() == max_lines {
                    rest = Some((words[i..].join(" "), " "));
                    break;
                }
            }
            // The word starts a new line; one longer than a line is broken between characters.
            let chars: Vec<char> = word.chars().collect();
            let mut piece = String::new();
            for (j, c) in chars.iter().enumerate() {
                piece.push(*c);
                if piece.chars().count() > 1 && self.width(style, &piece) > width {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    if lines.len() == max_lines {
                        let mut left: String = chars[j..].iter().collect();
                        for w in &words[i + 1..] {
                            left.push(' ');
                            left.push_str(w);
                        }
                        rest = Some((left, ""));
                        break 'words;
                    }
                    piece.push(*c);
                }
            }
            current = piece;
        }
        if rest.is_none() && !current.is_empty() {
            if lines.len() < max_lines {
                lines.push(current);
            } else {
                rest = Some((current, " "));
            }
        }
        if let (Some((left, sep)), Some(last)) = (rest, lines.last_mut()) {
            *last = self.fit(style, &format!("{last}{sep}{left}"), width);
        }
        lines
    }

    /// One line at (x, top), as given. The caller has measured it.
    pub(crate) fn text(&mut self, x: f32, top: f32, style: Style, text: &str) {
        let text = self.printable(style, text);
        if text.is_empty() {
            return;
        }
        self.push(Draw::Text {
            x,
            baseline: top + style.size * ASCENT,
            style,
            text,
        });
    }

    /// One line cut to `width`; returns the line height.
    pub(crate) fn text_fit(
        &mut self,
        x: f32,
        top: f32,
        width: f32,
        style: Style,
        text: &str,
    ) -> f32 {
        let line = self.fit(style, text, width);
        self.text(x, top, style, &line);
        style.line_height()
    }

    /// One line cut to `width`, aligned right at `right`; returns its width.
    pub(crate) fn text_right(
        &mut self,
        right: f32,
        top: f32,
        width: f32,
        style: Style,
        text: &str,
    ) -> f32 {
        let line = self.fit(style, text, width);
        let w = self.width(style, &line);
        self.text(right - w, top, style, &line);
        w
    }

    /// Spans of different styles on one baseline (set by the largest), starting at x.
    /// Returns the width used. Spans that do not fit in `width` are cut.
    pub(crate) fn spans(&mut self, x: f32, top: f32, width: f32, spans: &[(Style, &str)]) -> f32 {
        let max = spans.iter().map(|(s, _)| s.size).fold(0.0, f32::max);
        let baseline_top = |s: Style| top + (max - s.size) * ASCENT;
        let mut cx = x;
        for (style, text) in spans {
            let room = x + width - cx;
            if room <= 0.0 {
                break;
            }
            let line = self.fit(*style, text, room);
            self.text(cx, baseline_top(*style), *style, &line);
            cx += self.width(*style, &line);
        }
        cx - x
    }

    /// A paragraph wrapped to `width`, at most `max_lines`; returns its height.
    pub(crate) fn para(
        &mut self,
        x: f32,
        top: f32,
        width: f32,
        style: Style,
        text: &str,
        max_lines: usize,
    ) -> f32 {
        let lines = self.wrap(style, text, width, max_lines);
        for (i, line) in lines.iter().enumerate() {
            self.text(x, top + i as f32 * style.line_height(), style, line);
        }
        lines.len() as f32 * style.line_height()
    }

    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, look: Look) {
        self.push(Draw::Rect {
            x,
            y,
            w,
            h,
            fill: look.fill,
            stroke: look.stroke,
            radius: look.radius,
        });
    }

    pub(crate) fn hline(&mut self, x1: f32, x2: f32, y: f32, color: Rgb, width: f32) {
        self.push(Draw::Line {
            x1,
            y1: y,
            x2,
            y2: y,
            color,
            width,
        });
    }

    /// A 2D code of `size` points square, on a white square that keeps `quiet`
    /// points of quiet zone around it.
    pub(crate) fn matrix(&mut self, x: f32, y: f32, size: f32, quiet: f32, matrix: Matrix) {
        self.rect(
            x - quiet,
            y - quiet,
            size + 2.0 * quiet,
            size + 2.0 * quiet,
            Look::filled(WHITE, 0.0),
        );
        self.push(Draw::Matrix { x, y, size, matrix });
    }

    pub(crate) fn image(&mut self, x: f32, y: f32, w: f32, h: f32, image: Image) {
        self.push(Draw::Image { x, y, w, h, image });
    }
}

/// Pages being filled top to bottom, each starting with the same header.
pub(crate) struct Pages {
    pages: Vec<Vec<Op>>,
    header: Vec<Op>,
    header_h: f32,
    y: f32,
}

impl Pages {
    /// `header` is drawn from the top margin of every page; it is `header_h` high.
    /// It is content on the first page and an artifact on the others.
    pub(crate) fn new(header: Vec<Op>, header_h: f32) -> Self {
        let mut pages = Self {
            pages: Vec::new(),
            header,
            header_h,
            y: 0.0,
        };
        pages.new_page();
        pages
    }

    fn top(&self) -> f32 {
        MARGIN + self.header_h + GAP
    }

    fn bottom() -> f32 {
        PAGE_H - MARGIN - FOOTER_H
    }

    fn new_page(&mut self) {
        let first = self.pages.is_empty();
        let mut ops = Vec::with_capacity(self.header.len() + 64);
        ops.extend(self.header.iter().cloned().map(|op| {
            let op = op.shifted(0.0, MARGIN);
            if first {
                op
            } else {
                op.artifact(Decor::Header)
            }
        }));
        self.pages.push(ops);
        self.y = self.top();
    }

    /// Whether a block of height `h` fits on the current page.
    pub(crate) fn fits(&self, h: f32) -> bool {
        self.y + h <= Self::bottom()
    }

    /// Continues on a new page.
    pub(crate) fn break_page(&mut self) {
        self.new_page();
    }

    /// Places a block (ops relative to its top) of height `h`, on a new page if it
    /// does not fit; `keep` is the height of what must follow on the same page,
    /// `gap` the space left after it.
    pub(crate) fn place(
        &mut self,
        ops: Vec<Op>,
        h: f32,
        keep: f32,
        gap: f32,
    ) -> Result<(), PdfError> {
        if self.y + h + keep > Self::bottom() && self.y > self.top() {
            self.new_page();
        }
        if self.y + h > Self::bottom() {
            return Err(PdfError::Pdf(format!(
                "a block of {h:.0} pt does not fit on a page"
            )));
        }
        let y = self.y;
        if let Some(page) = self.pages.last_mut() {
            page.extend(ops.into_iter().map(|op| op.shifted(0.0, y)));
        }
        self.y += h + gap;
        Ok(())
    }

    /// The pages, with the footer: `note` on the left (may be empty) and the page
    /// number on the right when there is more than one page. The note is read
    /// once, at the end of the document: on the other pages it is an artifact.
    pub(crate) fn finish(self, c: &mut Canvas, note: &str, lang: super::Lang) -> Vec<Vec<Op>> {
        let mut pages = self.pages;
        let count = pages.len();
        let top = PAGE_H - MARGIN - 1.6 * S_FOOTER.size;
        for (i, page) in pages.iter_mut().enumerate() {
            let mut room = CONTENT_W;
            if count > 1 {
                let label = match lang {
                    super::Lang::It => format!("Pagina {} di {count}", i + 1),
                    super::Lang::En => format!("Page {} of {count}", i + 1),
                };
                let w = c.decorative(|c| {
                    c.text_right(MARGIN + CONTENT_W, top, CONTENT_W, S_FOOTER, &label)
                });
                room -= w + 6.0 * MM;
                page.extend(
                    c.take()
                        .into_iter()
                        .map(|op| op.artifact(Decor::PageNumber)),
                );
            }
            if !note.is_empty() {
                if i + 1 == count {
                    c.tagged(Kind::P, |c| c.text_fit(MARGIN, top, room, S_FOOTER, note));
                    page.extend(c.take());
                } else {
                    c.decorative(|c| c.text_fit(MARGIN, top, room, S_FOOTER, note));
                    page.extend(c.take().into_iter().map(|op| op.artifact(Decor::Footer)));
                }
            }
        }
        pages
    }
}

fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<Path> {
    let mut pb = PathBuilder::new();
    let r = r.min(w / 2.0).min(h / 2.0).max(0.0);
    if r == 0.0 {
        pb.push_rect(Rect::from_xywh(x, y, w, h)?);
        return pb.finish();
    }
    // Cubic approximation of a quarter circle.
    let k = 0.552_284_8 * r;
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
    pb.finish()
}

/// The runs of dark modules of a 2D code, row by row: (row, first column, end
/// column).
fn matrix_runs(matrix: &Matrix) -> Vec<(usize, usize, usize)> {
    let mut runs = Vec::new();
    if matrix.width == 0 {
        return runs;
    }
    for (row, cells) in matrix.dark.chunks(matrix.width).enumerate() {
        let mut col = 0;
        while col < cells.len() {
            if !cells[col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < cells.len() && cells[col] {
                col += 1;
            }
            runs.push((row, start, col));
        }
    }
    runs
}

/// The dark modules of a 2D code as one path of horizontal lines, one per run,
/// to be stroked one module wide in module units (one module is 1 × 1, the lines
/// on the rows' middles once shifted down by half a module): every coordinate is
/// a small integer, and a run takes two operators instead of a rectangle's five,
/// so the page's content stream stays short.
fn matrix_path(matrix: &Matrix) -> Option<Path> {
    let mut pb = PathBuilder::new();
    for (row, start, end) in matrix_runs(matrix) {
        pb.move_to(start as f32, row as f32);
        pb.line_to(end as f32, row as f32);
    }
    pb.finish()
}

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: color.color().into(),
        ..Fill::default()
    }
}

fn stroke(color: Rgb, width: f32) -> Stroke {
    Stroke {
        paint: color.color().into(),
        width,
        ..Stroke::default()
    }
}

/// Writes the pages (A4) into a tagged PDF/A-2a, with the logical structure
/// recorded while they were drawn.
pub(crate) fn write_pdf(
    fonts: &Fonts,
    pages: Vec<Vec<Op>>,
    structure: Structure,
    meta: Meta,
) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new_with(conformance::settings()?);
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
        .ok_or_else(|| PdfError::Pdf("invalid page size".into()))?;
    // The marked-content identifiers of each slot, and the text of the headings.
    let mut ids: Vec<Vec<Identifier>> = vec![Vec::new(); structure.slots()];
    let mut titles: Vec<String> = vec![String::new(); structure.elements()];
    for ops in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        // The marked-content sequence open: its mark, and whether it holds text.
        let mut open: Option<(Mark, bool)> = None;
        let mut ops = ops.into_iter().peekable();
        while let Some(Op { mut draw, mark }) = ops.next() {
            // A tagged PDF marks word boundaries with spaces: text followed by more
            // text of the same element (the next line, the value after its label)
            // ends with one, an invisible glyph.
            if let Draw::Text { text, .. } = &mut draw {
                let continued = matches!(
                    ops.peek(),
                    Some(Op { draw: Draw::Text { text: next, .. }, mark: m })
                        if *m == mark && !next.starts_with(' ')
                );
                if continued && matches!(mark, Mark::Content(_)) && !text.ends_with(' ') {
                    text.push(' ');
                }
            }
            let key = (mark, matches!(draw, Draw::Text { .. }));
            if open != Some(key) {
                if open.is_some() {
                    surface.end_tagged();
                }
                let id = surface.start_tagged(mark.content_tag(key.1));
                if let Mark::Content(slot) = mark {
                    if let Some(list) = ids.get_mut(slot.index()) {
                        list.push(id);
                    }
                }
                open = Some(key);
            }
            if let (Mark::Content(slot), Draw::Text { text, .. }) = (mark, &draw) {
                if structure.is_heading(slot) {
                    let title = &mut titles[structure.owner(slot)];
                    for word in text.split_whitespace() {
                        if !title.is_empty() {
                            title.push(' ');
                        }
                        title.push_str(word);
                    }
                }
            }
            draw_one(&mut surface, fonts, draw);
        }
        if open.is_some() {
            surface.end_tagged();
        }
        surface.finish();
        page.finish();
    }
    let tree = structure.tag_tree(ids, &mut titles, meta.language);
    document.set_tag_tree(tree);
    document.set_metadata(conformance::metadata(meta));
    document.finish().map_err(conformance::pdf_error)
}

fn draw_one(surface: &mut krilla::surface::Surface, fonts: &Fonts, draw: Draw) {
    match draw {
        Draw::Text {
            x,
            baseline,
            style,
            text,
        } => {
            let face = fonts.face(style.weight);
            let glyphs = face.shape(&text);
            surface.set_stroke(None);
            surface.set_fill(Some(fill(style.color)));
            surface.draw_glyphs(
                Point::from_xy(x, baseline),
                &glyphs,
                face.font.clone(),
                &text,
                style.size,
                false,
            );
        }
        Draw::Rect {
            x,
            y,
            w,
            h,
            fill: f,
            stroke: s,
            radius,
        } => {
            if let Some(path) = rounded_rect(x, y, w, h, radius) {
                surface.set_fill(f.map(fill));
                surface.set_stroke(s.map(|(color, width)| stroke(color, width)));
                surface.draw_path(&path);
            }
        }
        Draw::Line {
            x1,
            y1,
            x2,
            y2,
            color,
            width,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(x1, y1);
            pb.line_to(x2, y2);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(color, width)));
                surface.draw_path(&path);
            }
        }
        Draw::Matrix { x, y, size, matrix } => {
            if let Some(path) = matrix_path(&matrix) {
                let module = size / matrix.width as f32;
                let half = module / 2.0;
                surface.push_transform(&Transform::from_row(module, 0.0, 0.0, module, x, y + half));
                surface.set_fill(None);
                // Butt caps: each line covers its modules exactly.
                surface.set_stroke(Some(stroke(BLACK, 1.0)));
                surface.draw_path(&path);
                surface.pop();
            }
        }
        Draw::Image { x, y, w, h, image } => {
            if let Some(size) = Size::from_wh(w, h) {
                surface.push_transform(&Transform::from_translate(x, y));
                surface.draw_image(image, size);
                surface.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fonts::fonts;
    use super::*;

    const S: Style = Style::new(Weight::Regular, 10.0, INK);

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        let c = Canvas::new(fonts().unwrap());
        assert_eq!(c.fit(S, "Comune di Prova", 200.0), "Comune di Prova");
        let cut = c.fit(S, "Comune di Prova", 40.0);
        assert!(cut.ends_with('…'), "{cut}");
        assert!(c.width(S, &cut) <= 40.0);
        assert!("Comune di Prova".starts_with(cut.trim_end_matches('…')));
        // Control characters and runs of spaces become one space.
        assert_eq!(c.fit(S, "a\n\tb   c", 200.0), "a b c");
    }

    #[test]
    fn wrap_respects_width_and_lines() {
        let c = Canvas::new(fonts().unwrap());
        let text = "In fase di pagamento, se previsto dall'ente, l'importo potrebbe essere \
                    aggiornato automaticamente e subire variazioni";
        let lines = c.wrap(S, text, 150.0, 10);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| c.width(S, l) <= 150.0), "{lines:?}");
        assert_eq!(lines.join(" "), text);

        let cut = c.wrap(S, text, 150.0, 2);
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[0], lines[0]);
        assert!(cut[1].ends_with('…'), "{cut:?}");
        assert!(c.width(S, &cut[1]) <= 150.0);

        // A word longer than the line is broken between characters.
        let long = "X".repeat(200);
        let broken = c.wrap(S, &long, 100.0, 50);
        assert!(broken.len() > 1);
        assert!(broken.iter().all(|l| c.width(S, l) <= 100.0));
        assert_eq!(broken.concat(), long);

        assert!(c.wrap(S, "   ", 100.0, 3).is_empty());
    }

    #[test]
    fn code_runs_cover_exactly_the_dark_modules() {
        let width = 7;
        let dark: Vec<bool> = (0..width * width)
            .map(|i| (i * 7 + i / 3) % 5 < 2)
            .collect();
        let matrix = Matrix {
            width,
            dark: dark.clone(),
        };
        let mut covered = vec![false; width * width];
        for (row, start, end) in matrix_runs(&matrix) {
            assert!(start < end && end <= width);
            for col in start..end {
                assert!(!covered[row * width + col], "overlap at {row}, {col}");
                covered[row * width + col] = true;
            }
            // Runs are maximal: light modules (or the edge) on both sides.
            assert!(start == 0 || !dark[row * width + start - 1]);
            assert!(end == width || !dark[row * width + end]);
        }
        assert_eq!(covered, dark);
        assert!(matrix_runs(&Matrix {
            width: 0,
            dark: Vec::new()
        })
        .is_empty());
    }

    #[test]
    fn the_faces_cover_italian_text_and_the_euro_sign() {
        let fonts = fonts().unwrap();
        for weight in [Weight::Regular, Weight::SemiBold, Weight::Bold] {
            let face = fonts.face(weight);
            for ch in "àèéìòùÀÈÉÌÒÙ€·’…ÄÖÜßçñ".chars() {
                assert!(face.has(ch), "{weight:?} lacks {ch}");
            }
        }
    }
}
