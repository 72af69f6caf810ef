//! A formation's own data: its aménagement lists, attributes, referent and information text,
//! checked with the engine against the questionnaire it uses (`/config/formations/{id}/donnees`).

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, edit_error, write};
use crate::course::Contact;
use crate::course::editing::{self, EditError, FieldProblem, FormationEdit};
use crate::course::screens;
use crate::questionnaire::model::AttributeType;
use crate::questionnaire::{AttributeValue, FormationItem};
use crate::state::AppState;
use crate::store::formations::FormationRow;
use crate::store::ids::FormationId;
use crate::web::error::AppResult;
use crate::web::form::{IdPath, Problems, field, input_id, refused, text, ticked};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Serialize;
use std::collections::BTreeMap;

/// A declared attribute and its value in the form.
#[derive(Debug, Serialize)]
struct AttributeField {
    name: String,
    kind: &'static str,
    description: Option<String>,
    value: String,
    checked: bool,
    path: String,
    input_id: String,
}

/// A list of the formation: its rows (items) and blank rows to add some.
#[derive(Debug, Serialize)]
struct ListField {
    name: String,
    description: Option<String>,
    declared: bool,
    rows: Vec<ItemRow>,
}

#[derive(Debug, Serialize)]
struct ItemRow {
    index: usize,
    value: String,
    label: String,
    help: String,
    condition: String,
    blank: bool,
}

fn render_data(
    d: &Designer,
    f: &FormationRow,
    q: Option<&crate::questionnaire::Questionnaire>,
    edit: &FormationEdit,
    blank_rows: &BTreeMap<String, usize>,
    shown: (Option<String>, &Problems, StatusCode),
) -> AppResult<HttpResponse> {
    let (flash, problems, status) = shown;
    let doc = q.map(|q| q.document());
    let mut attributes = Vec::new();
    if let Some(doc) = doc {
        for (name, decl) in &doc.formation_attributes {
            let v = edit.attributes.get(name);
            let (value, checked) = match v {
                Some(AttributeValue::Bool(b)) => (String::new(), *b),
                Some(AttributeValue::Number(n)) => (n.to_string(), false),
                Some(AttributeValue::Text(t)) => (t.clone(), false),
                None => (String::new(), false),
            };
            let path = format!("/attributes/{name}");
            attributes.push(AttributeField {
                name: name.clone(),
                kind: match decl.kind {
                    AttributeType::Boolean => "boolean",
                    AttributeType::Text => "text",
                    AttributeType::Number => "number",
                },
                description: decl.description.clone(),
                value,
                checked,
                input_id: input_id(&path),
                path,
            });
        }
    }
    let mut names: Vec<(String, Option<String>, bool)> = doc
        .map(|doc| {
            doc.formation_lists
                .iter()
                .map(|(n, decl)| (n.clone(), decl.description.clone(), true))
                .collect()
        })
        .unwrap_or_default();
    for n in edit.lists.keys() {
        if !names.iter().any(|(m, _, _)| m == n) {
            names.push((n.clone(), None, false));
        }
    }
    let lists: Vec<ListField> = names
        .into_iter()
        .map(|(name, description, declared)| {
            let items = edit.lists.get(&name).cloned().unwrap_or_default();
            let blanks = blank_rows.get(&name).copied().unwrap_or(2);
            let mut rows: Vec<ItemRow> = items
                .iter()
                .enumerate()
                .map(|(i, it)| ItemRow {
                    index: i,
                    value: it.value.clone(),
                    label: it.label.clone(),
                    help: it.help.clone().unwrap_or_default(),
                    condition: it.condition.clone().unwrap_or_default(),
                    blank: false,
                })
                .collect();
            for k in 0..blanks {
                rows.push(ItemRow {
                    index: items.len() + k,
                    value: String::new(),
                    label: String::new(),
                    help: String::new(),
                    condition: String::new(),
                    blank: true,
                });
            }
            ListField {
                name,
                description,
                declared,
                rows,
            }
        })
        .collect();
    d.render(
        status,
        "design/formation_data.html",
        "formations",
        context! {
            formation => ser(f),
            questionnaire => q.map(|q| context! { key => q.key(), title => q.title() }),
            attributes => ser(&attributes),
            lists => ser(&lists),
            referent => ser(&edit.referent),
            info => edit.info.clone().unwrap_or_default(),
            flash => flash,
            problems => ser(problems),
        },
    )
}

/// `GET /s/{token}/config/formations/{id}/donnees`.
pub async fn data(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<FormationId>>,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let (ctx, id) = (d.context_id(), path.into_inner().id);
    let (f, q, edit, warnings) = state
        .db
        .run(move |conn| {
            Ok((|| -> Result<_, EditError> {
                let f = editing::formation(conn, &ctx, &id)?;
                let q = screens::declarations(conn, &ctx, &f.questionnaire_key)?;
                let edit = FormationEdit::of(&f)?;
                let data = crate::course::formation_data(&f)?;
                let warnings: Vec<FieldProblem> = q
                    .as_ref()
                    .map(|q| {
                        q.check_formation(&data)
                            .iter()
                            .map(|d| FieldProblem {
                                path: d.path.clone(),
                                message: d.message.clone(),
                                warning: !d.is_error(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Ok((f, q, edit, warnings))
            })())
        })
        .await?
        .map_err(edit_error)?;
    render_data(
        &d,
        &f,
        q.as_deref(),
        &edit,
        &BTreeMap::new(),
        (flash.key(), &Problems::of(&warnings), StatusCode::OK),
    )
}

/// Reads the data form: `attr.<name>`, `list.<name>.<i>.value|label|help|condition|remove`,
/// `ref.<field>`, `info`. Blank rows and rows ticked for removal are dropped.
fn edit_of(
    form: &[(String, String)],
    previous: &FormationEdit,
    declared: &[(String, &'static str)],
) -> (FormationEdit, Vec<FieldProblem>) {
    let mut problems = Vec::new();
    let mut attributes = previous.attributes.clone();
    for (name, kind) in declared {
        let key = format!("attr.{name}");
        let path = format!("/attributes/{name}");
        match *kind {
            "boolean" => {
                attributes.insert(name.clone(), AttributeValue::Bool(ticked(form, &key)));
            }
            "number" => {
                let typed = text(form, &key);
                if typed.is_empty() {
                    attributes.remove(name);
                } else {
                    match typed.replace(',', ".").parse::<f64>() {
                        Ok(n) if n.is_finite() => {
                            attributes.insert(name.clone(), AttributeValue::Number(n));
                        }
                        _ => {
                            attributes.insert(name.clone(), AttributeValue::Text(typed.clone()));
                            problems.push(FieldProblem::error(
                                path,
                                format!("« {typed} » n'est pas un nombre"),
                            ));
                        }
                    }
                }
            }
            _ => {
                let typed = text(form, &key);
                if typed.is_empty() {
                    attributes.remove(name);
                } else {
                    attributes.insert(name.clone(), AttributeValue::Text(typed));
                }
            }
        }
    }
    let mut names: Vec<String> = Vec::new();
    for (k, _) in form {
        if let Some(rest) = k.strip_prefix("list.")
            && let Some((name, _)) = rest.split_once('.')
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    }
    let mut lists = BTreeMap::new();
    for name in names {
        let mut items = Vec::new();
        for i in 0..500 {
            let f = |x: &str| format!("list.{name}.{i}.{x}");
            if field(form, &f("value")).is_none() && field(form, &f("label")).is_none() {
                break;
            }
            let (value, label) = (text(form, &f("value")), text(form, &f("label")));
            let (help, condition) = (text(form, &f("help")), text(form, &f("condition")));
            if ticked(form, &f("remove"))
                || (value.is_empty() && label.is_empty() && help.is_empty() && condition.is_empty())
            {
                continue;
            }
            items.push(FormationItem {
                value,
                label,
                help: (!help.is_empty()).then_some(help),
                condition: (!condition.is_empty()).then_some(condition),
            });
        }
        lists.insert(name, items);
    }
    let opt = |name: &str| Some(text(form, name)).filter(|v| !v.is_empty());
    let referent = Contact {
        name: opt("ref.name"),
        email: opt("ref.email"),
        phone: opt("ref.phone"),
        details: opt("ref.details"),
        url: opt("ref.url"),
    };
    let info = field(form, "info").map(|v| v.replace("\r\n", "\n"));
    (
        FormationEdit {
            attributes,
            lists,
            referent,
            info,
        },
        problems,
    )
}

/// `POST /s/{token}/config/formations/{id}/donnees`: saves, or adds blank rows to a list
/// (`more=<list>`) without saving.
pub async fn save_data(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<FormationId>>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let (ctx, id) = (d.context_id(), path.into_inner().id);
    let (c2, i2) = (ctx.clone(), id.clone());
    let (f, q, previous) = state
        .db
        .run(move |conn| {
            Ok((|| -> Result<_, EditError> {
                let f = editing::formation(conn, &c2, &i2)?;
                let q = screens::declarations(conn, &c2, &f.questionnaire_key)?;
                let previous = FormationEdit::of(&f)?;
                Ok((f, q, previous))
            })())
        })
        .await?
        .map_err(edit_error)?;
    let declared: Vec<(String, &'static str)> = q
        .as_ref()
        .map(|q| {
            q.document()
                .formation_attributes
                .iter()
                .map(|(n, decl)| {
                    let kind = match decl.kind {
                        AttributeType::Boolean => "boolean",
                        AttributeType::Text => "text",
                        AttributeType::Number => "number",
                    };
                    (n.clone(), kind)
                })
                .collect()
        })
        .unwrap_or_default();
    let (mut edit, mut problems) = edit_of(&form, &previous, &declared);
    // Declared lists not posted at all keep their items.
    for (name, items) in &previous.lists {
        edit.lists
            .entry(name.clone())
            .or_insert_with(|| items.clone());
    }
    if let Some(list) = field(&form, "more").filter(|l| !l.is_empty()) {
        let blanks = BTreeMap::from([(list.to_owned(), 5)]);
        return render_data(
            &d,
            &f,
            q.as_deref(),
            &edit,
            &blanks,
            (None, &Problems::default(), StatusCode::OK),
        );
    }
    if problems.is_empty() {
        let (actor, e) = (d.actor.clone(), edit.clone());
        match write(&state, move |conn| {
            editing::save_data(conn, &actor, &ctx, &id, &e)
        })
        .await?
        {
            Ok(_) => return Ok(d.redirect(&format!("/formations/{}/donnees?ok=saved", f.id))),
            Err(EditError::Invalid(p)) => problems = p,
            Err(e) => return Err(edit_error(e)),
        }
    }
    render_data(
        &d,
        &f,
        q.as_deref(),
        &edit,
        &BTreeMap::new(),
        (None, &Problems::of(&problems), refused()),
    )
}
