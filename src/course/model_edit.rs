//! The form editor of a questionnaire draft: one page's titles, texts, labels, help texts, options and conditions applied to the model, written back as YAML by the engine and loaded again before the draft is saved (the designer never touches the file).
//!
//! Form fields are named by their JSON Pointer inside the page (`title`, `condition`,
//! `blocks/2/label`, `blocks/2/options/1/condition`…), so that the engine's diagnostics
//! (`/pages/4/blocks/2/label`) land next to the field they are about.

use serde::Serialize;

use crate::questionnaire::model::EngagementRules;
use crate::questionnaire::{
    Block, ChoiceOption, Condition, Diagnostic, Markdown, Question, QuestionKind, QuestionnaireDoc,
};

/// One field of the page form.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    /// The form field name (its pointer inside the page).
    pub name: String,
    /// The `id` of the input (`f-blocks-2-label`).
    pub input_id: String,
    pub value: String,
    /// Multi-line (Markdown, long texts).
    pub multiline: bool,
    pub error: Option<String>,
    pub warning: Option<String>,
}

/// An option row of a choice question.
#[derive(Debug, Clone, Serialize)]
pub struct OptionRow {
    pub index: usize,
    pub value: FieldView,
    pub label: FieldView,
    pub help: FieldView,
    pub condition: FieldView,
    pub remove_name: String,
    /// The blank row to add an option.
    pub new: bool,
}

/// One block of the page form.
#[derive(Debug, Clone, Serialize)]
pub struct BlockView {
    pub index: usize,
    /// `text`, or the question's type (`single_choice`…).
    pub kind: &'static str,
    /// The question id (empty for a text).
    pub id: String,
    pub text: Option<FieldView>,
    pub label: Option<FieldView>,
    pub help: Option<FieldView>,
    pub statement: Option<FieldView>,
    pub condition: FieldView,
    /// The « réponse obligatoire » box.
    pub required_name: String,
    pub required: bool,
    pub options: Vec<OptionRow>,
    /// The formation list whose items are added to the options, if any.
    pub options_from: Option<String>,
}

/// The whole page form.
#[derive(Debug, Clone, Serialize)]
pub struct PageForm {
    pub index: usize,
    pub id: String,
    pub title: FieldView,
    pub condition: FieldView,
    pub blocks: Vec<BlockView>,
    /// Problems that are not about one field of this page.
    pub other_problems: Vec<String>,
    pub error_count: usize,
}

fn get<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn text_of(form: &[(String, String)], name: &str) -> Option<String> {
    get(form, name).map(|v| v.replace("\r\n", "\n"))
}

fn optional(v: String) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Applies the posted form of page `page` to a copy of the document. Fields that were not
/// posted are left as they were; options are rebuilt from the posted rows (blank rows and
/// rows marked for removal are dropped).
pub fn apply(doc: &QuestionnaireDoc, page: usize, form: &[(String, String)]) -> QuestionnaireDoc {
    let mut doc = doc.clone();
    let Some(p) = doc.pages.get_mut(page) else {
        return doc;
    };
    if let Some(t) = text_of(form, "title") {
        p.title = t.trim().to_owned();
    }
    if let Some(c) = text_of(form, "condition") {
        p.condition = optional(c).map(Condition::new);
    }
    for (i, block) in p.blocks.iter_mut().enumerate() {
        let at = |f: &str| format!("blocks/{i}/{f}");
        match block {
            Block::Text(t) => {
                if let Some(v) = text_of(form, &at("text")) {
                    t.text = Markdown::new(v);
                }
                if let Some(c) = text_of(form, &at("condition")) {
                    t.condition = optional(c).map(Condition::new);
                }
            }
            Block::Question(q) => apply_question(q, i, form),
        }
    }
    doc
}

fn apply_question(q: &mut Question, i: usize, form: &[(String, String)]) {
    let at = |f: &str| format!("blocks/{i}/{f}");
    if let Some(v) = text_of(form, &at("label")) {
        q.label = v.trim().to_owned();
    }
    if let Some(v) = text_of(form, &at("help")) {
        q.help = optional(v).map(Markdown::new);
    }
    if let Some(c) = text_of(form, &at("condition")) {
        q.condition = optional(c).map(Condition::new);
    }
    // The box is posted with the rest of the block (`blocks/i/present` says the block was).
    if get(form, &at("present")).is_some() {
        let ticked = get(form, &at("required")).is_some_and(|v| !v.is_empty());
        let default = matches!(
            q.kind,
            QuestionKind::Acknowledgement | QuestionKind::Engagement(_)
        );
        q.required = (ticked != default).then_some(ticked);
    }
    if let QuestionKind::Engagement(EngagementRules { statement }) = &mut q.kind
        && let Some(v) = text_of(form, &at("statement"))
    {
        *statement = Markdown::new(v);
    }
    if get(form, &at("present")).is_none() {
        return;
    }
    if let Some(options) = q.inline_options_mut() {
        let mut rows = Vec::new();
        for j in 0.. {
            let o = |f: &str| format!("blocks/{i}/options/{j}/{f}");
            let (Some(value), Some(label)) =
                (text_of(form, &o("value")), text_of(form, &o("label")))
            else {
                break;
            };
            let removed = get(form, &o("remove")).is_some_and(|v| !v.is_empty());
            let (value, label) = (value.trim().to_owned(), label.trim().to_owned());
            if removed || (value.is_empty() && label.is_empty()) {
                continue;
            }
            rows.push(ChoiceOption {
                value,
                label,
                help: text_of(form, &o("help"))
                    .and_then(optional)
                    .map(Markdown::new),
                condition: text_of(form, &o("condition"))
                    .and_then(optional)
                    .map(Condition::new),
            });
        }
        *options = rows;
    }
}

/// The problems of a page, by field name (paths of the page's diagnostics without their
/// `/pages/N/` prefix); the others are returned apart.
fn place(
    page: usize,
    diagnostics: &[Diagnostic],
) -> (Vec<(String, &Diagnostic)>, Vec<&Diagnostic>) {
    let prefix = format!("/pages/{page}/");
    let mut placed = Vec::new();
    let mut other = Vec::new();
    for d in diagnostics {
        match d.path.strip_prefix(&prefix) {
            Some(rest) => placed.push((rest.to_owned(), d)),
            None if d.path == format!("/pages/{page}") => placed.push(("title".into(), d)),
            None => other.push(d),
        }
    }
    (placed, other)
}

struct Placer<'a> {
    placed: Vec<(String, &'a Diagnostic)>,
    used: Vec<bool>,
}

impl Placer<'_> {
    /// A field: its problems are those whose path is `name` or under it (a condition's
    /// problems are at its pointer).
    fn field(&mut self, name: &str, value: String, multiline: bool) -> FieldView {
        let mut error = Vec::new();
        let mut warning = Vec::new();
        for (k, (path, d)) in self.placed.iter().enumerate() {
            if path == name {
                self.used[k] = true;
                if d.is_error() {
                    error.push(d.message.clone());
                } else {
                    warning.push(d.message.clone());
                }
            }
        }
        FieldView {
            input_id: format!("f-{}", name.replace('/', "-")),
            name: name.to_owned(),
            value,
            multiline,
            error: (!error.is_empty()).then(|| error.join(" ; ")),
            warning: (!warning.is_empty()).then(|| warning.join(" ; ")),
        }
    }

    /// Problems under `prefix` that no field took (e.g. `/blocks/2` itself).
    fn leftovers(&mut self, prefix: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (k, (path, d)) in self.placed.iter().enumerate() {
            if !self.used[k] && (path == prefix || path.starts_with(&format!("{prefix}/"))) {
                self.used[k] = true;
                out.push(d.message.clone());
            }
        }
        out
    }
}

fn src(c: &Option<Condition>) -> String {
    c.as_ref()
        .map(|c| c.source().to_owned())
        .unwrap_or_default()
}

fn md(m: &Option<Markdown>) -> String {
    m.as_ref()
        .map(|m| m.source().to_owned())
        .unwrap_or_default()
}

/// The form of page `page` of `doc`, with `diagnostics` placed next to their fields.
pub fn page_form(
    doc: &QuestionnaireDoc,
    page: usize,
    diagnostics: &[Diagnostic],
) -> Option<PageForm> {
    let p = doc.pages.get(page)?;
    let (placed, other) = place(page, diagnostics);
    let n = placed.len();
    let mut placer = Placer {
        placed,
        used: vec![false; n],
    };
    let title = placer.field("title", p.title.clone(), false);
    let condition = placer.field("condition", src(&p.condition), false);
    let mut blocks = Vec::new();
    let mut other_problems: Vec<String> = other.iter().map(|d| d.to_string()).collect();
    for (i, block) in p.blocks.iter().enumerate() {
        let at = |f: &str| format!("blocks/{i}/{f}");
        let view = match block {
            Block::Text(t) => BlockView {
                index: i,
                kind: "text",
                id: String::new(),
                text: Some(placer.field(&at("text"), t.text.source().to_owned(), true)),
                label: None,
                help: None,
                statement: None,
                condition: placer.field(&at("condition"), src(&t.condition), false),
                required_name: String::new(),
                required: false,
                options: Vec::new(),
                options_from: None,
            },
            Block::Question(q) => {
                let mut options = Vec::new();
                if let Some(source) = q.choice_source() {
                    for (j, o) in source.options.iter().enumerate() {
                        options.push(option_row(&mut placer, i, j, Some(o)));
                    }
                    options.push(option_row(&mut placer, i, source.options.len(), None));
                }
                let statement = match &q.kind {
                    QuestionKind::Engagement(e) => {
                        Some(placer.field(&at("statement"), e.statement.source().to_owned(), true))
                    }
                    _ => None,
                };
                BlockView {
                    index: i,
                    kind: q.kind.type_name(),
                    id: q.id.clone(),
                    text: None,
                    label: Some(placer.field(&at("label"), q.label.clone(), false)),
                    help: Some(placer.field(&at("help"), md(&q.help), true)),
                    statement,
                    condition: placer.field(&at("condition"), src(&q.condition), false),
                    required_name: at("required"),
                    required: q.is_required(),
                    options,
                    options_from: q
                        .choice_source()
                        .and_then(|s| s.options_from.map(str::to_owned)),
                }
            }
        };
        other_problems.extend(placer.leftovers(&format!("blocks/{i}")));
        blocks.push(view);
    }
    other_problems.extend(placer.leftovers(""));
    for (k, (path, d)) in placer.placed.iter().enumerate() {
        if !placer.used[k] {
            other_problems.push(format!("{path} : {}", d.message));
        }
    }
    let error_count = diagnostics.iter().filter(|d| d.is_error()).count();
    Some(PageForm {
        index: page,
        id: p.id.clone(),
        title,
        condition,
        blocks,
        other_problems,
        error_count,
    })
}

fn option_row(placer: &mut Placer<'_>, i: usize, j: usize, o: Option<&ChoiceOption>) -> OptionRow {
    let at = |f: &str| format!("blocks/{i}/options/{j}/{f}");
    OptionRow {
        index: j,
        value: placer.field(
            &at("value"),
            o.map(|o| o.value.clone()).unwrap_or_default(),
            false,
        ),
        label: placer.field(
            &at("label"),
            o.map(|o| o.label.clone()).unwrap_or_default(),
            false,
        ),
        help: placer.field(
            &at("help"),
            o.map(|o| md(&o.help)).unwrap_or_default(),
            false,
        ),
        condition: placer.field(
            &at("condition"),
            o.map(|o| src(&o.condition)).unwrap_or_default(),
            false,
        ),
        remove_name: at("remove"),
        new: o.is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::Questionnaire;

    fn sample() -> QuestionnaireDoc {
        let text = include_str!("../../docs/examples/questionnaire-l1.yaml");
        Questionnaire::load("q.yaml", text)
            .map(|l| l.questionnaire.document().clone())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_label_and_a_condition_change_and_load_again() {
        let doc = sample();
        let page = doc.pages.iter().position(|p| p.id == "statut").unwrap_or(0);
        let form = vec![
            (
                "blocks/1/label".to_owned(),
                "Avez-vous un statut particulier ?".to_owned(),
            ),
            ("blocks/1/present".to_owned(), "1".to_owned()),
            ("blocks/1/required".to_owned(), "oui".to_owned()),
            ("blocks/1/options/0/value".to_owned(), "oui".to_owned()),
            (
                "blocks/1/options/0/label".to_owned(),
                "Oui, j'en ai un".to_owned(),
            ),
            ("blocks/1/options/1/value".to_owned(), "non".to_owned()),
            ("blocks/1/options/1/label".to_owned(), "Non".to_owned()),
            ("blocks/1/options/2/value".to_owned(), String::new()),
            ("blocks/1/options/2/label".to_owned(), String::new()),
            (
                "blocks/2/condition".to_owned(),
                "a_un_statut == 'oui' && annee >= 2025".to_owned(),
            ),
        ];
        let changed = apply(&doc, page, &form);
        let yaml = changed.to_yaml().unwrap_or_default();
        let loaded = Questionnaire::load("q.yaml", &yaml).unwrap_or_else(|e| panic!("{e}"));
        let q = loaded.questionnaire;
        let a = q.question("a_un_statut").map(|q| q.label.clone());
        assert_eq!(a.as_deref(), Some("Avez-vous un statut particulier ?"));
        let c = q.question("statuts").and_then(|q| q.condition.clone());
        assert_eq!(
            c.map(|c| c.source().to_owned()).as_deref(),
            Some("a_un_statut == 'oui' && annee >= 2025")
        );
    }

    #[test]
    fn a_bad_condition_is_placed_next_to_its_field() {
        let doc = sample();
        let page = doc.pages.iter().position(|p| p.id == "statut").unwrap_or(0);
        let form = vec![(
            "blocks/2/condition".to_owned(),
            "a_un_statu == 'oui'".to_owned(),
        )];
        let changed = apply(&doc, page, &form);
        let yaml = changed.to_yaml().unwrap_or_default();
        let errors = Questionnaire::load("q.yaml", &yaml)
            .err()
            .map(|e| e.diagnostics)
            .unwrap_or_default();
        let view = page_form(&changed, page, &errors).unwrap_or_else(|| panic!("page"));
        let field = &view.blocks[2].condition;
        assert!(
            field
                .error
                .as_deref()
                .is_some_and(|m| m.contains("a_un_statut")),
            "{view:?}"
        );
        assert_eq!(field.value, "a_un_statu == 'oui'");
    }
}
