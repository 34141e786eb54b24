//! A small, safe XML tree for SOAP messages: namespace-aware, no DTDs, no
//! entities beyond the five predefined ones and character references, bounded
//! depth and size. Plus a writer that escapes everything it is given.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// Largest SOAP body accepted (a receipt with five transfers is a few KiB;
/// @e.bollo attachments add a little).
/// Largest SOAP body read: a receipt with digital stamps (`MBDAttachment`)
/// may come close to 1 MB, and must be taken.
pub const MAX_XML_BYTES: usize = 2 * 1024 * 1024;
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("documento XML troppo grande")]
    TooLarge,
    #[error("DTD ed entità non sono ammesse")]
    Dtd,
    #[error("XML non ben formato: {0}")]
    Malformed(String),
    #[error("documento troppo annidato o con troppi elementi")]
    TooComplex,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI, `None` for an unqualified element.
    pub ns: Option<String>,
    pub name: String,
    pub children: Vec<Element>,
    /// Character content (concatenated), not trimmed.
    pub text: String,
    /// Where the element stands in the parsed document: byte offsets of its
    /// start tag's `<` and just past its end tag, so it can be kept exactly as sent.
    pub span: (usize, usize),
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// The element and its content as XML; the root's namespace is declared on it.
    pub fn to_xml(&self) -> String {
        let mut w = String::new();
        self.write(&mut w, None);
        w
    }
    fn write(&self, w: &mut String, parent_ns: Option<&str>) {
        let (open, decl) = match (&self.ns, parent_ns) {
            (Some(ns), Some(p)) if ns == p => (format!("ns:{}", self.name), String::new()),
            (Some(ns), _) => (
                format!("ns:{}", self.name),
                format!(" xmlns:ns=\"{}\"", escape(ns)),
            ),
            (None, _) => (self.name.clone(), String::new()),
        };
        w.push_str(&format!("<{open}{decl}>"));
        w.push_str(&escape(&self.text));
        for c in &self.children {
            c.write(w, self.ns.as_deref().or(parent_ns));
        }
        w.push_str(&format!("</{open}>"));
    }
}

/// Parses a document and returns its root element.
pub fn parse(xml: &[u8]) -> Result<Element, XmlError> {
    if xml.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    let text =
        std::str::from_utf8(xml).map_err(|_| XmlError::Malformed("codifica non UTF-8".into()))?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let bad = |e: quick_xml::Error| XmlError::Malformed(e.to_string());
    loop {
        let before = reader.buffer_position() as usize;
        let (resolved, event) = reader.read_resolved_event().map_err(bad)?;
        let ns = match resolved {
            ResolveResult::Bound(n) => Some(n.as_ref().to_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => {
                return Err(XmlError::Malformed(format!("prefisso non dichiarato: {p}")))
            }
        };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(ref s) | Event::Empty(ref s) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(XmlError::TooComplex);
                }
                if root.is_some() && stack.is_empty() {
                    return Err(XmlError::Malformed("più di un elemento radice".into()));
                }
                let el = Element {
                    ns,
                    name: s.local_name().as_ref().to_owned(),
                    span: (before, after),
                    ..Default::default()
                };
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let mut el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("chiusura inattesa".into()))?;
                el.span.1 = after;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => {
                        return Err(XmlError::Malformed(
                            "testo fuori dall'elemento radice".into(),
                        ))
                    }
                }
            }
            Event::CData(c) => {
                let content = c.into_inner().into_owned();
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&content);
                }
            }
            Event::GeneralRef(r) => {
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(bad)?
                } else {
                    match r.as_ref() {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "apos" => Some('\''),
                        "quot" => Some('"'),
                        _ => return Err(XmlError::Dtd),
                    }
                };
                let ch = ch.ok_or_else(|| {
                    XmlError::Malformed("riferimento a carattere non valido".into())
                })?;
                if let Some(el) = stack.last_mut() {
                    el.text.push(ch);
                }
            }
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("documento troncato".into()));
    }
    root.ok_or_else(|| XmlError::Malformed("nessun elemento".into()))
}

/// Escapes text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Builds XML text: unqualified children under one qualified root.
#[derive(Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }
    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.out.push_str(&escape(text));
        self.close(name)
    }
    pub fn opt_leaf(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }
    /// `<name>…</name>` around what `f` writes.
    pub fn el(&mut self, name: &str, f: impl FnOnce(&mut Self)) -> &mut Self {
        self.open(name);
        f(self);
        self.close(name)
    }
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.out.push_str(xml);
        self
    }
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_and_text() {
        let doc = br#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:p="urn:p">
  <s:Body><p:req><idPA>777 &amp; &#65;</idPA><x xmlns=""/></p:req></s:Body>
</s:Envelope>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Envelope");
        assert_eq!(
            root.ns.as_deref(),
            Some("http://schemas.xmlsoap.org/soap/envelope/")
        );
        let req = &root.child("Body").unwrap().children[0];
        assert_eq!(req.ns.as_deref(), Some("urn:p"));
        assert_eq!(req.child("idPA").unwrap().text, "777 & A");
        assert_eq!(req.child("x").unwrap().ns, None);
        let again = parse(req.to_xml().as_bytes()).unwrap();
        assert_eq!(again.to_xml(), req.to_xml());
        // The span gives back the element exactly as written.
        let id = req.child("idPA").unwrap();
        assert_eq!(&doc[id.span.0..id.span.1], b"<idPA>777 &amp; &#65;</idPA>");
        let x = req.child("x").unwrap();
        assert_eq!(&doc[x.span.0..x.span.1], b"<x xmlns=\"\"/>");
    }

    #[test]
    fn refuses_dtds_entities_and_garbage() {
        let billion = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>"#;
        assert_eq!(parse(billion), Err(XmlError::Dtd));
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#;
        assert_eq!(parse(xxe), Err(XmlError::Dtd));
        assert_eq!(parse(b"<a>&x;</a>"), Err(XmlError::Dtd));
        assert!(matches!(parse(b"<a><b></a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(b"<a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(b""), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(b"<a/><b/>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(b"<p:a/>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(b"\xff\xfe"), Err(XmlError::Malformed(_))));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooComplex));
        let big = vec![b' '; MAX_XML_BYTES + 1];
        assert_eq!(parse(&big), Err(XmlError::TooLarge));
    }

    #[test]
    fn writer_escapes() {
        let mut w = Writer::new();
        w.el("a", |w| {
            w.leaf("b", "<x & 'y'>");
            w.opt_leaf("c", None);
        });
        assert_eq!(w.finish(), "<a><b>&lt;x &amp; &apos;y&apos;&gt;</b></a>");
    }
}
