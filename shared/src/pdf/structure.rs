//! The logical structure of a document (tagged PDF): what a screen reader reads,
//! in which order, and what it skips.
//!
//! While the sections are drawn, [`Structure`] records a tree of elements
//! (sections, headings, paragraphs, tables, figures) in **reading order**: the
//! order in which the elements are created, not where they land on the page. Every
//! operation drawn is stamped with a [`Mark`]: either a *slot* of the element that
//! was current when it was drawn, or an artifact. Operations can then be moved,
//! shifted and paginated freely; when the PDF is written, each run of operations
//! with the same slot becomes one marked-content sequence, and its identifier is
//! put in the slot's place in the tree.
//!
//! The choices:
//! - text, codes and images are content; boxes, rules and backgrounds are layout
//!   artifacts, and so are the word marks ("pagoPA") that only brand the page;
//! - what is repeated on every page (the header of the avviso, a table heading
//!   continued on a new page) is content once, on the first page, and a
//!   pagination artifact after it; page numbers are artifacts;
//! - label/value lists and the transfers of a receipt are tables (`TH` with row or
//!   column scope, `TD`); each installment of an avviso is a table row, headed by
//!   its label;
//! - QR codes, Data Matrix codes and the EC logo are figures with an alternative
//!   text that says what they are and which notice they pay.

use std::num::NonZeroU16;

use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagKind, TagTree,
};

/// An element of the structure tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct El(usize);

/// A place in an element's children where content goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot(usize);

impl Slot {
    pub(crate) fn index(self) -> usize {
        self.0
    }
}

/// Kinds of artifacts (content outside the logical structure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decor {
    /// Boxes, rules, backgrounds, word marks.
    Layout,
    /// The document header repeated on a page after the first.
    Header,
    /// Other content repeated because of pagination (a continued table heading).
    Repeated,
    /// The footer note.
    Footer,
    /// "Pagina 1 di 2".
    PageNumber,
}

impl Decor {
    fn content_tag(self) -> ContentTag<'static> {
        let kind = match self {
            Decor::Layout => ArtifactType::Layout,
            Decor::Header => ArtifactType::Header,
            Decor::Repeated => ArtifactType::PaginationOther,
            Decor::Footer => ArtifactType::Footer,
            Decor::PageNumber => ArtifactType::PageNumber,
        };
        ContentTag::Artifact(Artifact::with_kind(kind))
    }
}

/// How a drawing operation enters the logical structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Content(Slot),
    Artifact(Decor),
}

impl Mark {
    /// The marked-content tag of a run of operations: text is a span, a code or an
    /// image is "other" content.
    pub(crate) fn content_tag(self, text: bool) -> ContentTag<'static> {
        match self {
            Mark::Artifact(decor) => decor.content_tag(),
            Mark::Content(_) if text => ContentTag::Span(SpanTag::empty()),
            Mark::Content(_) => ContentTag::Other,
        }
    }
}

/// The structure elements the documents use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Sect,
    /// Heading of level 1 to 6.
    H(u16),
    P,
    /// A graphic with its alternative text.
    Figure(String),
    Table,
    THead,
    TBody,
    TR,
    /// Header cell of its row.
    RowHeader,
    /// Header cell of its column.
    ColumnHeader,
    TD,
}

#[derive(Debug)]
enum Child {
    El(El),
    Slot(Slot),
}

#[derive(Debug)]
struct Element {
    kind: Kind,
    children: Vec<Child>,
}

/// The structure tree being recorded, with the elements currently open.
#[derive(Debug, Default)]
pub(crate) struct Structure {
    elements: Vec<Element>,
    roots: Vec<El>,
    /// The element owning each slot.
    slot_owner: Vec<El>,
    open: Vec<El>,
}

impl Structure {
    /// A new element, child of the current one (or top level), in reading order
    /// after its siblings. It is not entered.
    pub(crate) fn element(&mut self, kind: Kind) -> El {
        let el = El(self.elements.len());
        self.elements.push(Element {
            kind,
            children: Vec::new(),
        });
        match self.open.last() {
            Some(parent) => self.elements[parent.0].children.push(Child::El(el)),
            None => self.roots.push(el),
        }
        el
    }

    /// Makes `el` current: what is drawn next is its content, and new elements its
    /// children.
    pub(crate) fn enter(&mut self, el: El) {
        self.open.push(el);
    }

    /// Goes back to the element that was current before the last `enter`.
    pub(crate) fn leave(&mut self) {
        self.open.pop();
    }

    /// The slot for content drawn now: the current element's last one, or a new
    /// one after its last child. `None` outside any element.
    pub(crate) fn slot(&mut self) -> Option<Slot> {
        let el = *self.open.last()?;
        if let Some(Child::Slot(slot)) = self.elements[el.0].children.last() {
            return Some(*slot);
        }
        let slot = Slot(self.slot_owner.len());
        self.slot_owner.push(el);
        self.elements[el.0].children.push(Child::Slot(slot));
        Some(slot)
    }

    pub(crate) fn slots(&self) -> usize {
        self.slot_owner.len()
    }

    /// Whether the content of `slot` is (part of) a heading, whose text is also its title.
    pub(crate) fn is_heading(&self, slot: Slot) -> bool {
        self.slot_owner
            .get(slot.0)
            .is_some_and(|el| matches!(self.elements[el.0].kind, Kind::H(_)))
    }

    pub(crate) fn owner(&self, slot: Slot) -> usize {
        self.slot_owner[slot.0].0
    }

    /// The krilla tag tree: each slot replaced by the identifiers of the content
    /// written for it (`ids`, by slot), elements without content left out.
    /// `titles` holds the text of each heading element, by element index.
    pub(crate) fn tag_tree(
        &self,
        mut ids: Vec<Vec<Identifier>>,
        titles: &mut [String],
        lang: &str,
    ) -> TagTree {
        let mut tree = TagTree::new().with_lang(Some(lang.to_owned()));
        for root in &self.roots {
            if let Some(group) = self.group(*root, &mut ids, titles) {
                tree.push(group);
            }
        }
        tree
    }

    fn group(
        &self,
        el: El,
        ids: &mut [Vec<Identifier>],
        titles: &mut [String],
    ) -> Option<TagGroup> {
        let element = &self.elements[el.0];
        let mut children = Vec::new();
        for child in &element.children {
            match child {
                Child::El(sub) => {
                    if let Some(group) = self.group(*sub, ids, titles) {
                        children.push(group.into());
                    }
                }
                Child::Slot(slot) => {
                    if let Some(list) = ids.get_mut(slot.0) {
                        children.extend(list.drain(..).map(Into::into));
                    }
                }
            }
        }
        if children.is_empty() {
            return None;
        }
        let tag: TagKind = match &element.kind {
            Kind::Sect => Tag::Section.into(),
            Kind::H(level) => {
                let title = std::mem::take(&mut titles[el.0]);
                let title = title.trim();
                Tag::Hn(
                    NonZeroU16::new(*level).unwrap_or(NonZeroU16::MIN),
                    (!title.is_empty()).then(|| title.to_owned()),
                )
                .into()
            }
            Kind::P => Tag::P.into(),
            Kind::Figure(alt) => Tag::Figure(Some(alt.clone())).into(),
            Kind::Table => Tag::Table.into(),
            Kind::THead => Tag::THead.into(),
            Kind::TBody => Tag::TBody.into(),
            Kind::TR => Tag::TR.into(),
            Kind::RowHeader => Tag::TH(TableHeaderScope::Row).into(),
            Kind::ColumnHeader => Tag::TH(TableHeaderScope::Column).into(),
            Kind::TD => Tag::TD.into(),
        };
        Some(TagGroup::with_children(tag, children))
    }

    pub(crate) fn elements(&self) -> usize {
        self.elements.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_reading_order() {
        let mut s = Structure::default();
        let sect = s.element(Kind::Sect);
        s.enter(sect);
        assert_eq!(s.slot(), Some(Slot(0)));
        // Content drawn before and after a child element goes in two slots.
        let h = s.element(Kind::H(2));
        assert_eq!(s.slot(), Some(Slot(1)));
        s.enter(h);
        assert_eq!(s.slot(), Some(Slot(2)));
        assert_eq!(s.slot(), Some(Slot(2)));
        assert!(s.is_heading(Slot(2)));
        s.leave();
        assert_eq!(s.slot(), Some(Slot(1)));
        s.leave();
        assert_eq!(s.slot(), None);
        assert_eq!(s.slots(), 3);
        assert_eq!(s.owner(Slot(0)), 0);
        assert_eq!(s.owner(Slot(2)), 1);
    }
}
