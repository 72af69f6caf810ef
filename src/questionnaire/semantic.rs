//! Semantic checks of a schema-valid document: ids, bounds, patterns, formation lists, conditions, unreachable pages.

use std::collections::{BTreeSet, HashMap};

use super::condition::eval::unanswered;
use super::condition::types::{Catalog, QuestionInfo, Site, SiteKind, Ty};
use super::condition::{self, names};
use super::diagnostic::{DiagnosticCode, Severity};
use super::index::{QuestionLoc, Questionnaire};
use super::load::Reporter;
use super::model::{Block, Condition, QuestionKind, QuestionnaireDoc};
use super::yaml::escape_segment;

/// Checks `doc`, renders its Markdown and compiles its conditions and patterns.
///
/// Returns the questionnaire when the checks could run to the end (the caller still refuses
/// it if an error was reported).
pub(crate) fn check(mut doc: QuestionnaireDoc, r: &mut Reporter<'_>) -> Option<Questionnaire> {
    render_markdown(&mut doc);
    check_academic_year(&doc, r);

    let mut page_by_id = HashMap::new();
    for (pi, page) in doc.pages.iter().enumerate() {
        if let Some(first) = page_by_id.insert(page.id.clone(), pi) {
            page_by_id.insert(page.id.clone(), first);
            r.error(
                &format!("/pages/{pi}/id"),
                DiagnosticCode::DuplicateId,
                format!(
                    "deux pages ont l'identifiant « {} » (la page n° {} et la page n° {}) : chaque page doit avoir un id différent",
                    page.id,
                    first + 1,
                    pi + 1
                ),
            );
        }
    }

    let mut locs = Vec::new();
    let mut question_by_id: HashMap<String, usize> = HashMap::new();
    let mut used_lists = BTreeSet::new();
    for (pi, page) in doc.pages.iter_mut().enumerate() {
        for (bi, block) in page.blocks.iter_mut().enumerate() {
            let Block::Question(q) = block else { continue };
            let base = format!("/pages/{pi}/blocks/{bi}");
            let index = locs.len();
            locs.push(QuestionLoc {
                page: pi,
                block: bi,
            });
            if let Some(&first) = question_by_id.get(&q.id) {
                let first_page = locs.get(first).map(|l| l.page + 1).unwrap_or(0);
                r.error(
                    &format!("{base}/id"),
                    DiagnosticCode::DuplicateId,
                    format!(
                        "l'identifiant de question « {} » est déjà utilisé (page n° {first_page}) : chaque question doit avoir un id différent, car il nomme la réponse",
                        q.id
                    ),
                );
            } else {
                question_by_id.insert(q.id.clone(), index);
            }
            if names::RESERVED.contains(&q.id.as_str()) {
                r.error(
                    &format!("{base}/id"),
                    DiagnosticCode::ReservedName,
                    format!(
                        "« {} » est un mot réservé du langage des conditions : choisissez un autre identifiant (ex. « {}_etudiant »)",
                        q.id, q.id
                    ),
                );
            }
            check_rules(&base, &mut q.kind, &doc.formation_lists, &mut used_lists, r);
            if q.carry_over
                && matches!(
                    q.kind,
                    QuestionKind::Acknowledgement
                        | QuestionKind::Engagement(_)
                        | QuestionKind::Identity(_)
                )
            {
                r.warn(
                    &format!("{base}/carry_over"),
                    DiagnosticCode::Unused,
                    format!(
                        "`carry_over` n'a pas d'effet sur {} : cette réponse n'est jamais reprise de l'an dernier",
                        q.kind.french_name()
                    ),
                );
            }
        }
    }
    for name in doc.formation_lists.keys() {
        if !used_lists.contains(name) {
            r.warn(
                &format!("/formation_lists/{}", escape_segment(name)),
                DiagnosticCode::Unused,
                format!("la liste de formation « {name} » est déclarée mais aucune question ne l'utilise (`options_from`)"),
            );
        }
    }

    let catalog = build_catalog(&doc, &locs, &question_by_id);
    compile_conditions(&mut doc, &catalog, r);
    check_reachability(&doc, &catalog, r);

    Some(Questionnaire {
        doc,
        locs,
        question_by_id,
        page_by_id,
        catalog,
        content_hash: String::new(),
        file_name: String::new(),
    })
}

fn render_markdown(doc: &mut QuestionnaireDoc) {
    if let Some(d) = &mut doc.description {
        d.render();
    }
    for page in &mut doc.pages {
        for block in &mut page.blocks {
            match block {
                Block::Text(t) => t.text.render(),
                Block::Question(q) => {
                    if let Some(h) = &mut q.help {
                        h.render();
                    }
                    if let QuestionKind::Engagement(e) = &mut q.kind {
                        e.statement.render();
                    }
                    if let Some(options) = q.inline_options_mut() {
                        for o in options {
                            if let Some(h) = &mut o.help {
                                h.render();
                            }
                        }
                    }
                }
            }
        }
    }
}

fn check_academic_year(doc: &QuestionnaireDoc, r: &mut Reporter<'_>) {
    let Some(year) = &doc.academic_year else {
        return;
    };
    let parts: Option<(i32, i32)> = year
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    if !matches!(parts, Some((a, b)) if b == a + 1) {
        r.error(
            "/academic_year",
            DiagnosticCode::InvalidValue,
            format!("« {year} » n'est pas une année universitaire : écrivez deux années qui se suivent, ex. 2025-2026"),
        );
    }
}

fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn check_rules(
    base: &str,
    kind: &mut QuestionKind,
    lists: &std::collections::BTreeMap<String, super::model::FormationListDecl>,
    used_lists: &mut BTreeSet<String>,
    r: &mut Reporter<'_>,
) {
    let bounds = |r: &mut Reporter<'_>,
                  field: &str,
                  what: &str,
                  min: Option<f64>,
                  max: Option<f64>| {
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            r.error(
                    &format!("{base}/{field}"),
                    DiagnosticCode::MinGreaterThanMax,
                    format!("{what} : le minimum ({lo}) est plus grand que le maximum ({hi}), aucune réponse ne serait acceptée"),
                );
        }
    };
    match kind {
        QuestionKind::ShortText(rules) | QuestionKind::LongText(rules) => {
            bounds(
                r,
                "min_length",
                "longueur du texte",
                rules.min_length.map(f64::from),
                rules.max_length.map(f64::from),
            );
            if let Some(pattern) = &mut rules.pattern {
                if let Err(e) = pattern.compile() {
                    r.error(
                        &format!("{base}/pattern"),
                        DiagnosticCode::InvalidPattern,
                        format!(
                            "l'expression régulière « {} » est invalide : {}",
                            pattern.source(),
                            first_line(&e.to_string())
                        ),
                    );
                }
            } else if rules.pattern_message.is_some() {
                r.warn(
                    &format!("{base}/pattern_message"),
                    DiagnosticCode::Unused,
                    "`pattern_message` n'a pas d'effet sans `pattern`".into(),
                );
            }
        }
        QuestionKind::Number(rules) => bounds(r, "min", "valeur du nombre", rules.min, rules.max),
        QuestionKind::Date(rules) => {
            let mut parsed = [None, None];
            for (slot, (field, value)) in parsed
                .iter_mut()
                .zip([("min", &rules.min), ("max", &rules.max)])
            {
                if let Some(text) = value {
                    *slot = parse_date(text);
                    if slot.is_none() {
                        r.error(
                            &format!("{base}/{field}"),
                            DiagnosticCode::InvalidValue,
                            format!("« {text} » n'est pas une date valide : écrivez-la au format AAAA-MM-JJ (ex. 2025-09-01)"),
                        );
                    }
                }
            }
            if let [Some(lo), Some(hi)] = parsed
                && lo > hi
            {
                r.error(
                        &format!("{base}/min"),
                        DiagnosticCode::MinGreaterThanMax,
                        format!("dates : le minimum ({lo}) est après le maximum ({hi}), aucune date ne serait acceptée"),
                    );
            }
        }
        QuestionKind::SingleChoice(c) => {
            check_options(
                base,
                &c.options,
                c.options_from.as_deref(),
                lists,
                used_lists,
                r,
            );
        }
        QuestionKind::MultipleChoice(m) => {
            check_options(
                base,
                &m.options,
                m.options_from.as_deref(),
                lists,
                used_lists,
                r,
            );
            bounds(
                r,
                "min_selections",
                "nombre de cases à cocher",
                m.min_selections.map(f64::from),
                m.max_selections.map(f64::from),
            );
            if let (Some(min), None) = (m.min_selections, &m.options_from)
                && min as usize > m.options.len()
            {
                r.error(
                    &format!("{base}/min_selections"),
                    DiagnosticCode::MinGreaterThanMax,
                    format!(
                        "il faut cocher au moins {min} cases mais la question n'a que {} options",
                        m.options.len()
                    ),
                );
            }
        }
        QuestionKind::Acknowledgement | QuestionKind::Identity(_) | QuestionKind::Engagement(_) => {
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or(text)
        .to_owned()
}

fn check_options(
    base: &str,
    options: &[super::model::ChoiceOption],
    options_from: Option<&str>,
    lists: &std::collections::BTreeMap<String, super::model::FormationListDecl>,
    used_lists: &mut BTreeSet<String>,
    r: &mut Reporter<'_>,
) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (oi, option) in options.iter().enumerate() {
        if let Some(first) = seen.insert(option.value.as_str(), oi) {
            seen.insert(option.value.as_str(), first);
            r.error(
                &format!("{base}/options/{oi}/value"),
                DiagnosticCode::DuplicateId,
                format!(
                    "deux options de cette question ont la valeur « {} » (options n° {} et n° {}) : chaque option doit avoir une valeur différente",
                    option.value,
                    first + 1,
                    oi + 1
                ),
            );
        }
    }
    match options_from {
        Some(name) if !lists.contains_key(name) => {
            let declared: Vec<&str> = lists.keys().map(String::as_str).collect();
            let known = if declared.is_empty() {
                "aucune liste n'est déclarée".to_owned()
            } else {
                format!("listes déclarées : {}", declared.join(", "))
            };
            r.error(
                &format!("{base}/options_from"),
                DiagnosticCode::UnknownFormationList,
                format!("la liste de formation « {name} » n'est pas déclarée dans `formation_lists` ({known})"),
            );
        }
        Some(name) => {
            used_lists.insert(name.to_owned());
        }
        None if options.is_empty() => r.error(
            base,
            DiagnosticCode::NoOptions,
            "cette question à choix n'a aucune option : ajoutez `options` ou `options_from`".into(),
        ),
        None => {}
    }
}

fn build_catalog(
    doc: &QuestionnaireDoc,
    locs: &[QuestionLoc],
    by_id: &HashMap<String, usize>,
) -> Catalog {
    let questions = locs
        .iter()
        .enumerate()
        .filter_map(|(index, loc)| {
            let q = doc
                .pages
                .get(loc.page)?
                .blocks
                .get(loc.block)?
                .as_question()?;
            let known_options = q.choice_source().and_then(|s| {
                s.options_from
                    .is_none()
                    .then(|| s.options.iter().map(|o| o.value.clone()).collect())
            });
            Some(QuestionInfo {
                id: q.id.clone(),
                ty: Ty::of_question(index, &q.kind),
                page: loc.page,
                known_options,
            })
        })
        .collect();
    Catalog {
        questions,
        by_id: by_id.clone(),
        attributes: doc
            .formation_attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.kind))
            .collect(),
        page_ids: doc.pages.iter().map(|p| p.id.clone()).collect(),
    }
}

/// Compiles one condition and reports its problems; returns whether it reads `reponses`.
fn compile_one(
    condition: &mut Condition,
    pointer: &str,
    catalog: &Catalog,
    site: Site,
    r: &mut Reporter<'_>,
) -> bool {
    let (compiled, problems) = condition::compile(condition.source(), catalog, site);
    for p in problems {
        let severity = if p.warning {
            Severity::Warning
        } else {
            Severity::Error
        };
        r.at_expression(severity, pointer, p.at, p.code, p.message);
    }
    match compiled {
        Some(c) => {
            let uses = c.uses_answers_map;
            condition.set_compiled(c);
            uses
        }
        None => false,
    }
}

/// Compiles every condition; returns whether any reads `reponses`.
fn compile_conditions(doc: &mut QuestionnaireDoc, catalog: &Catalog, r: &mut Reporter<'_>) -> bool {
    let mut uses_map = false;
    let mut index = 0usize;
    for (pi, page) in doc.pages.iter_mut().enumerate() {
        let page_site = Site {
            kind: SiteKind::Page,
            limit: index,
            page: pi,
            owner: None,
        };
        if let Some(c) = &mut page.condition {
            uses_map |= compile_one(c, &format!("/pages/{pi}/condition"), catalog, page_site, r);
        }
        for (bi, block) in page.blocks.iter_mut().enumerate() {
            let base = format!("/pages/{pi}/blocks/{bi}");
            match block {
                Block::Text(t) => {
                    let site = Site {
                        kind: SiteKind::Element,
                        limit: index,
                        page: pi,
                        owner: None,
                    };
                    if let Some(c) = &mut t.condition {
                        uses_map |= compile_one(c, &format!("{base}/condition"), catalog, site, r);
                    }
                }
                Block::Question(q) => {
                    let site = Site {
                        kind: SiteKind::Element,
                        limit: index,
                        page: pi,
                        owner: Some(index),
                    };
                    if let Some(c) = &mut q.condition {
                        uses_map |= compile_one(c, &format!("{base}/condition"), catalog, site, r);
                    }
                    if let Some(options) = q.inline_options_mut() {
                        for (oi, o) in options.iter_mut().enumerate() {
                            if let Some(c) = &mut o.condition {
                                let pointer = format!("{base}/options/{oi}/condition");
                                uses_map |= compile_one(c, &pointer, catalog, site, r);
                            }
                        }
                    }
                    index += 1;
                }
            }
        }
    }
    uses_map
}

/// The value of a compiled condition when every question it reads is never shown (so keeps
/// its unanswered value), or `None` if it reads anything else.
fn value_when_never_shown(
    c: &Condition,
    never: &[bool],
    doc_kinds: &[&QuestionKind],
    catalog: &Catalog,
) -> Option<bool> {
    let compiled = c.compiled()?;
    if compiled.reads_env || compiled.uses_answers_map || compiled.refs.is_empty() {
        return None;
    }
    if !compiled
        .refs
        .iter()
        .all(|i| never.get(*i).copied().unwrap_or(false))
    {
        return None;
    }
    let mut ctx = condition::new_context();
    for i in &compiled.refs {
        let (Some(info), Some(kind)) = (catalog.questions.get(*i), doc_kinds.get(*i)) else {
            return None;
        };
        ctx.add_variable_from_value(info.id.clone(), unanswered(kind));
    }
    compiled.eval(&ctx).ok()
}

/// Names the never-shown questions a condition reads.
fn never_shown_refs(c: &Condition, never: &[bool], catalog: &Catalog) -> Vec<String> {
    c.compiled()
        .map(|compiled| {
            compiled
                .refs
                .iter()
                .filter(|i| never.get(**i).copied().unwrap_or(false))
                .filter_map(|i| catalog.questions.get(*i).map(|q| format!("« {} »", q.id)))
                .collect()
        })
        .unwrap_or_default()
}

/// Finds pages, questions, texts and options that can never be shown.
fn check_reachability(doc: &QuestionnaireDoc, catalog: &Catalog, r: &mut Reporter<'_>) {
    let kinds: Vec<&QuestionKind> = doc
        .pages
        .iter()
        .flat_map(|p| {
            p.blocks
                .iter()
                .filter_map(|b| b.as_question().map(|q| &q.kind))
        })
        .collect();
    let mut never = vec![false; kinds.len()];
    let mut index = 0usize;
    for (pi, page) in doc.pages.iter().enumerate() {
        let mut page_never = false;
        if let Some(c) = &page.condition {
            let pointer = format!("/pages/{pi}/condition");
            let constant = c.compiled().and_then(|k| k.constant);
            if constant == Some(false) {
                page_never = true;
                r.error(
                    &pointer,
                    DiagnosticCode::NeverShown,
                    format!("la condition de la page « {} » est toujours fausse : la page ne s'affichera jamais", page.id),
                );
            } else if value_when_never_shown(c, &never, &kinds, catalog) == Some(false) {
                page_never = true;
                let refs = never_shown_refs(c, &never, catalog).join(", ");
                r.error(
                    &pointer,
                    DiagnosticCode::NeverShown,
                    format!(
                        "la page « {} » ne s'affichera jamais : sa condition dépend de {refs}, qui n'est jamais affichée (sa page ne peut pas s'afficher), donc reste sans réponse",
                        page.id
                    ),
                );
            } else {
                let refs = never_shown_refs(c, &never, catalog);
                if !refs.is_empty() {
                    r.warn(
                        &pointer,
                        DiagnosticCode::NeverShown,
                        format!("la condition dépend de {}, qui n'est jamais affichée : sa réponse sera toujours vide", refs.join(", ")),
                    );
                }
            }
        }
        for (bi, block) in page.blocks.iter().enumerate() {
            let pointer = format!("/pages/{pi}/blocks/{bi}/condition");
            let mut block_never = page_never;
            if let Some(c) = block.condition() {
                let constant = c.compiled().and_then(|k| k.constant);
                if !page_never
                    && (constant == Some(false)
                        || value_when_never_shown(c, &never, &kinds, catalog) == Some(false))
                {
                    block_never = true;
                    r.warn(
                        &pointer,
                        DiagnosticCode::NeverShown,
                        "cette condition est toujours fausse : l'élément ne s'affichera jamais"
                            .into(),
                    );
                }
            }
            if let Block::Question(q) = block {
                if let Some(src) = q.choice_source() {
                    for (oi, o) in src.options.iter().enumerate() {
                        let constant = o
                            .condition
                            .as_ref()
                            .and_then(|c| c.compiled())
                            .and_then(|k| k.constant);
                        if constant == Some(false) && !block_never {
                            r.warn(
                                &format!("/pages/{pi}/blocks/{bi}/options/{oi}/condition"),
                                DiagnosticCode::NeverShown,
                                format!("la condition de l'option « {} » est toujours fausse : elle ne sera jamais proposée", o.value),
                            );
                        }
                    }
                }
                if let Some(slot) = never.get_mut(index) {
                    *slot = block_never;
                }
                index += 1;
            }
        }
    }
}
