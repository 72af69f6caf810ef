//! PDF documents (a contract to print or archive): a title, sections of labelled values and
//! paragraphs, laid out on A4 pages with DejaVu Sans (every French accent), page numbers and
//! a footer. krilla writes the PDF (fonts subset and embedded); this module only lays out
//! lines, measuring text with the font's own advances (ttf-parser).

use std::sync::LazyLock;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

static REGULAR_BYTES: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
static BOLD_BYTES: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans-Bold.ttf");

static REGULAR_FACE: LazyLock<Option<ttf_parser::Face<'static>>> =
    LazyLock::new(|| ttf_parser::Face::parse(REGULAR_BYTES, 0).ok());
static BOLD_FACE: LazyLock<Option<ttf_parser::Face<'static>>> =
    LazyLock::new(|| ttf_parser::Face::parse(BOLD_BYTES, 0).ok());

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const FOOTER_SPACE: f32 = 36.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font cannot be read")]
    Font,
    #[error("PDF: {0}")]
    Write(String),
}

/// A document to print: what a contract looks like on paper.
#[derive(Debug, Clone, Default)]
pub struct PdfDocument {
    pub title: String,
    /// Lines under the title (course, formation, year…).
    pub subtitle: Vec<String>,
    pub sections: Vec<PdfSection>,
    /// Printed at the bottom of every page, before the page number.
    pub footer: String,
    /// BCP 47 language of the text (`fr`).
    pub language: String,
}

#[derive(Debug, Clone, Default)]
pub struct PdfSection {
    pub heading: String,
    pub items: Vec<PdfItem>,
}

#[derive(Debug, Clone)]
pub enum PdfItem {
    /// A label and its value (the value may hold line breaks).
    Field { label: String, value: String },
    /// A paragraph of text.
    Paragraph(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, Clone, Copy)]
enum Ink {
    Text,
    Muted,
}

#[derive(Debug, Clone)]
struct Line {
    x: f32,
    baseline: f32,
    weight: Weight,
    size: f32,
    ink: Ink,
    text: String,
}

#[derive(Debug, Default)]
struct LaidPage {
    lines: Vec<Line>,
    rules: Vec<f32>,
}

fn face(weight: Weight) -> Option<&'static ttf_parser::Face<'static>> {
    match weight {
        Weight::Regular => REGULAR_FACE.as_ref(),
        Weight::Bold => BOLD_FACE.as_ref(),
    }
}

/// Width of `text` in points.
fn width(text: &str, weight: Weight, size: f32) -> f32 {
    let Some(face) = face(weight) else {
        return text.chars().count() as f32 * size * 0.6;
    };
    let units = f32::from(face.units_per_em());
    let fallback = face
        .glyph_index(' ')
        .and_then(|g| face.glyph_hor_advance(g))
        .unwrap_or(500);
    let total: u32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .unwrap_or(fallback) as u32
        })
        .sum();
    total as f32 * size / units
}

/// Breaks text into lines no wider than `max` (explicit line breaks kept; a word wider than a
/// line is cut).
fn wrap(text: &str, weight: Weight, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut current = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if width(&candidate, weight, size) <= max {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            if width(word, weight, size) <= max {
                current = word.to_string();
            } else {
                for c in word.chars() {
                    let mut next = current.clone();
                    next.push(c);
                    if width(&next, weight, size) > max && !current.is_empty() {
                        lines.push(std::mem::take(&mut current));
                        current.push(c);
                    } else {
                        current = next;
                    }
                }
            }
        }
        lines.push(current);
    }
    lines
}

struct Layout {
    pages: Vec<LaidPage>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![LaidPage::default()],
            y: MARGIN,
        }
    }

    fn bottom() -> f32 {
        PAGE_H - MARGIN - FOOTER_SPACE
    }

    /// Makes room for `height` points, starting a new page when needed.
    fn ensure(&mut self, height: f32) {
        if self.y + height > Self::bottom() && self.y > MARGIN {
            self.pages.push(LaidPage::default());
            self.y = MARGIN;
        }
    }

    fn text(
        &mut self,
        text: &str,
        weight: Weight,
        size: f32,
        ink: Ink,
        indent: f32,
        keep_with_next: f32,
    ) {
        let line_height = size * 1.4;
        let lines = wrap(text, weight, size, TEXT_W - indent);
        for (i, line) in lines.iter().enumerate() {
            let extra = if i == 0 { keep_with_next } else { 0.0 };
            self.ensure(line_height + extra);
            self.y += line_height;
            if let Some(page) = self.pages.last_mut() {
                page.lines.push(Line {
                    x: MARGIN + indent,
                    baseline: self.y - size * 0.3,
                    weight,
                    size,
                    ink,
                    text: line.clone(),
                });
            }
        }
    }

    fn gap(&mut self, points: f32) {
        self.y += points;
    }

    fn rule(&mut self) {
        self.ensure(8.0);
        self.y += 4.0;
        if let Some(page) = self.pages.last_mut() {
            page.rules.push(self.y);
        }
        self.y += 4.0;
    }
}

fn lay_out(doc: &PdfDocument) -> Vec<LaidPage> {
    let mut layout = Layout::new();
    layout.text(&doc.title, Weight::Bold, 17.0, Ink::Text, 0.0, 0.0);
    for line in &doc.subtitle {
        layout.text(line, Weight::Regular, 10.5, Ink::Muted, 0.0, 0.0);
    }
    layout.rule();
    for section in &doc.sections {
        layout.gap(8.0);
        // A heading is never the last line of a page.
        layout.text(&section.heading, Weight::Bold, 13.0, Ink::Text, 0.0, 30.0);
        layout.gap(2.0);
        for item in &section.items {
            match item {
                PdfItem::Field { label, value } => {
                    layout.text(label, Weight::Bold, 9.5, Ink::Muted, 0.0, 14.0);
                    let value = if value.trim().is_empty() {
                        "—"
                    } else {
                        value.as_str()
                    };
                    layout.text(value, Weight::Regular, 10.5, Ink::Text, 8.0, 0.0);
                    layout.gap(4.0);
                }
                PdfItem::Paragraph(text) => {
                    layout.text(text, Weight::Regular, 10.5, Ink::Text, 0.0, 0.0);
                    layout.gap(4.0);
                }
            }
        }
    }
    layout.pages
}

/// Renders the document to PDF bytes.
pub fn render(doc: &PdfDocument) -> Result<Vec<u8>, PdfError> {
    let regular = Font::new(REGULAR_BYTES.into(), 0).ok_or(PdfError::Font)?;
    let bold = Font::new(BOLD_BYTES.into(), 0).ok_or(PdfError::Font)?;
    if REGULAR_FACE.is_none() || BOLD_FACE.is_none() {
        return Err(PdfError::Font);
    }
    let pages = lay_out(doc);
    let count = pages.len();
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(doc.title.clone())
            .language(if doc.language.is_empty() {
                "fr".into()
            } else {
                doc.language.clone()
            })
            .creator("cpre".into()),
    );
    let text_fill = Fill {
        paint: rgb::Color::new(27, 27, 31).into(),
        ..Default::default()
    };
    let muted_fill = Fill {
        paint: rgb::Color::new(74, 74, 85).into(),
        ..Default::default()
    };
    for (index, laid) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| PdfError::Write("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for y in &laid.rules {
            let mut path = PathBuilder::new();
            path.move_to(MARGIN, *y);
            path.line_to(PAGE_W - MARGIN, *y);
            if let Some(path) = path.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(201, 204, 214).into(),
                    width: 0.8,
                    opacity: NormalizedF32::ONE,
                    ..Default::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        for line in &laid.lines {
            let font = match line.weight {
                Weight::Regular => regular.clone(),
                Weight::Bold => bold.clone(),
            };
            surface.set_fill(Some(match line.ink {
                Ink::Text => text_fill.clone(),
                Ink::Muted => muted_fill.clone(),
            }));
            surface.draw_text(
                Point::from_xy(line.x, line.baseline),
                font,
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.set_fill(Some(muted_fill.clone()));
        let footer_y = PAGE_H - MARGIN + 6.0;
        let number = format!("{} / {}", index + 1, count);
        let number_w = width(&number, Weight::Regular, 8.5);
        let footer = wrap(&doc.footer, Weight::Regular, 8.5, TEXT_W - number_w - 12.0);
        for (i, line) in footer.iter().take(2).enumerate() {
            surface.draw_text(
                Point::from_xy(MARGIN, footer_y + i as f32 * 11.0),
                regular.clone(),
                8.5,
                line,
                false,
                TextDirection::Auto,
            );
        }
        surface.draw_text(
            Point::from_xy(PAGE_W - MARGIN - number_w, footer_y),
            regular.clone(),
            8.5,
            &number,
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(items: usize) -> PdfDocument {
        PdfDocument {
            title: "Contrat pédagogique pour la réussite étudiante".into(),
            subtitle: vec!["L1 Mathématiques — année 2025-2026".into(), "Élodie Crémieux, n° 22500001".into()],
            sections: vec![PdfSection {
                heading: "Aménagements demandés".into(),
                items: (0..items)
                    .map(|i| PdfItem::Field {
                        label: format!("Question {i} : êtes-vous salarié·e ?"),
                        value: "Oui — œuvre à mi-temps, horaires décalés ; dispense d'assiduité demandée.".repeat(1 + i % 3),
                    })
                    .collect(),
            }],
            footer: "Contrat CPRE-2025-000042 — empreinte SHA-256 3f1c…".into(),
            language: "fr".into(),
        }
    }

    #[test]
    fn renders_a_pdf_with_french_text() {
        let bytes = render(&contract(5)).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.len() > 2_000);
    }

    #[test]
    fn long_documents_flow_onto_several_pages() {
        assert_eq!(lay_out(&contract(3)).len(), 1);
        let pages = lay_out(&contract(120));
        assert!(pages.len() > 3, "{} pages", pages.len());
        for page in &pages {
            for line in &page.lines {
                assert!(line.baseline < PAGE_H - MARGIN, "line inside the page");
                assert!(
                    line.x + width(&line.text, line.weight, line.size) <= PAGE_W - MARGIN + 0.5,
                    "{}",
                    line.text
                );
            }
        }
    }

    #[test]
    fn wrapping_keeps_every_word_and_cuts_overlong_ones() {
        let text = "Élève très motivée, projet d'orientation vers l'enseignement. ".repeat(8);
        let lines = wrap(&text, Weight::Regular, 10.5, 200.0);
        assert!(lines.len() > 3);
        assert_eq!(
            lines.join(" ").split_whitespace().count(),
            text.split_whitespace().count()
        );
        let long = "a".repeat(400);
        let cut = wrap(&long, Weight::Regular, 10.5, 100.0);
        assert!(cut.len() > 1 && cut.iter().all(|l| width(l, Weight::Regular, 10.5) <= 100.0));
    }
}
