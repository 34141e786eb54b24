//! The embedded Titillium Web faces: glyph lookup, measurement and the simple
//! left-to-right shaping the documents need (Latin script, one glyph per character).
//!
//! krilla embeds a subset of each face in every PDF it writes.

use std::sync::OnceLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::PdfError;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/TitilliumWeb-Regular.ttf");
static SEMIBOLD: &[u8] = include_bytes!("../../assets/fonts/TitilliumWeb-SemiBold.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/TitilliumWeb-Bold.ttf");

/// The weights used by the documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    SemiBold,
    Bold,
}

/// Characters below this code point are looked up once, when the face is loaded
/// (Latin-1 and Latin Extended: nearly all the text of the documents).
const CACHED: usize = 0x250;

/// One face: the krilla font (what gets embedded) and skrifa's view of the same
/// bytes (what measures).
pub(crate) struct Face {
    pub(crate) font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Glyph drawn for characters the face lacks.
    replacement: (GlyphId, f32),
    /// Glyph and advance of the characters below `CACHED`.
    cache: Vec<Option<(GlyphId, f32)>>,
}

impl Face {
    fn load(name: &str, data: &'static [u8]) -> Result<Self, String> {
        let font_ref = FontRef::new(data).map_err(|e| format!("{name}: {e}"))?;
        let charmap = font_ref.charmap();
        let metrics = font_ref.glyph_metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(
            font_ref
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        if units_per_em <= 0.0 {
            return Err(format!("{name}: units per em is zero"));
        }
        let font = Font::new(data.into(), 0).ok_or_else(|| format!("{name}: not a usable font"))?;
        let mut face = Self {
            font,
            charmap,
            metrics,
            units_per_em,
            replacement: (GlyphId::new(0), 0.5),
            cache: Vec::new(),
        };
        face.cache = (0..CACHED as u32)
            .map(|c| char::from_u32(c).and_then(|c| face.lookup_font(c)))
            .collect();
        face.replacement = face
            .lookup('?')
            .ok_or_else(|| format!("{name}: no glyph for '?'"))?;
        Ok(face)
    }

    /// Glyph and advance (in em) of a character, if the face has it.
    fn lookup(&self, ch: char) -> Option<(GlyphId, f32)> {
        match self.cache.get(ch as usize) {
            Some(cached) => *cached,
            None => self.lookup_font(ch),
        }
    }

    fn lookup_font(&self, ch: char) -> Option<(GlyphId, f32)> {
        let gid = self.charmap.map(ch)?;
        if gid.to_u32() == 0 {
            return None;
        }
        let advance = self.metrics.advance_width(gid)? / self.units_per_em;
        Some((GlyphId::new(gid.to_u32()), advance))
    }

    fn glyph(&self, ch: char) -> (GlyphId, f32) {
        self.lookup(ch).unwrap_or(self.replacement)
    }

    /// Whether the face can draw `ch`.
    pub(crate) fn has(&self, ch: char) -> bool {
        self.lookup(ch).is_some()
    }

    /// Width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }

    /// One glyph per character, each mapped back to its character (so that text
    /// extraction and copy-paste give the original string).
    pub(crate) fn shape(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (gid, advance) = self.glyph(c);
                KrillaGlyph::new(gid, advance, 0.0, 0.0, 0.0, i..i + c.len_utf8(), None)
            })
            .collect()
    }
}

pub(crate) struct Fonts {
    regular: Face,
    semibold: Face,
    bold: Face,
}

impl Fonts {
    pub(crate) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::SemiBold => &self.semibold,
            Weight::Bold => &self.bold,
        }
    }
}

/// The faces, parsed once per process.
pub(crate) fn fonts() -> Result<&'static Fonts, PdfError> {
    static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Ok(Fonts {
                regular: Face::load("TitilliumWeb-Regular", REGULAR)?,
                semibold: Face::load("TitilliumWeb-SemiBold", SEMIBOLD)?,
                bold: Face::load("TitilliumWeb-Bold", BOLD)?,
            })
        })
        .as_ref()
        .map_err(|e| PdfError::Font(e.clone()))
}
