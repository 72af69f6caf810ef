//! The loaded [`Questionnaire`]: the checked document and its lookup tables, with read accessors.

use std::collections::HashMap;

use super::condition::types::Catalog;
use super::model::{Markdown, Page, Question, QuestionnaireDoc};

/// Where a question is: page index and block index in that page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QuestionLoc {
    pub page: usize,
    pub block: usize,
}

/// A questionnaire that loaded without error: immutable, cheap to share (`Arc`), `Send + Sync`.
///
/// Get one from [`Questionnaire::load`]. Questions are numbered in document order (page by
/// page, block by block); conditions may only use questions that come before them.
#[derive(Debug, Clone)]
pub struct Questionnaire {
    pub(crate) doc: QuestionnaireDoc,
    pub(crate) locs: Vec<QuestionLoc>,
    pub(crate) question_by_id: HashMap<String, usize>,
    pub(crate) page_by_id: HashMap<String, usize>,
    pub(crate) catalog: Catalog,
    pub(crate) content_hash: String,
    pub(crate) file_name: String,
}

impl Questionnaire {
    /// The file format version (`schema_version`).
    pub fn schema_version(&self) -> u32 {
        self.doc.schema_version
    }

    /// The stable key (`key`), e.g. `cpre-l1`.
    pub fn key(&self) -> &str {
        &self.doc.key
    }

    /// The title shown to the student.
    pub fn title(&self) -> &str {
        &self.doc.title
    }

    /// The academic year the questionnaire was written for, if given.
    pub fn academic_year(&self) -> Option<&str> {
        self.doc.academic_year.as_deref()
    }

    /// The language code (`fr`).
    pub fn language(&self) -> &str {
        &self.doc.language
    }

    /// The introduction (Markdown source and sanitised HTML).
    pub fn description(&self) -> Option<&Markdown> {
        self.doc.description.as_ref()
    }

    /// The whole checked document.
    pub fn document(&self) -> &QuestionnaireDoc {
        &self.doc
    }

    /// All pages, visible or not, in order.
    pub fn pages(&self) -> &[Page] {
        &self.doc.pages
    }

    /// A page by id.
    pub fn page(&self, id: &str) -> Option<&Page> {
        self.page_by_id.get(id).and_then(|i| self.doc.pages.get(*i))
    }

    /// A question by id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.question_by_id
            .get(id)
            .and_then(|i| self.question_at(*i))
    }

    /// Every question with its page, in document order.
    pub fn questions(&self) -> impl Iterator<Item = (&Page, &Question)> {
        self.doc.pages.iter().flat_map(|page| {
            page.blocks
                .iter()
                .filter_map(move |b| b.as_question().map(|q| (page, q)))
        })
    }

    /// SHA-256 (hex) of the canonical JSON form of the document: equal for equal content,
    /// whatever the formatting, comments or key order of the file.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The file name given to [`Questionnaire::load`].
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    pub(crate) fn question_at(&self, index: usize) -> Option<&Question> {
        let loc = self.locs.get(index)?;
        self.doc
            .pages
            .get(loc.page)?
            .blocks
            .get(loc.block)?
            .as_question()
    }

    pub(crate) fn page_index(&self, id: &str) -> Option<usize> {
        self.page_by_id.get(id).copied()
    }
}
