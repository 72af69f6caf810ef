//! Formations: the list and « Nouvelle formation », one formation's settings (title, questionnaire), archiving and restoring, its Moodle groups, and its own data (aménagement lists, attributes, referent, information text) checked with the engine.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Serialize;

use crate::course::Contact;
use crate::course::editing::{self, EditError, FieldProblem, FormationEdit};
use crate::questionnaire::model::AttributeType;
use crate::questionnaire::{AttributeValue, FormationItem};
use crate::state::AppState;
use crate::store::formations::FormationRow;
use crate::store::groups::GroupOverview;
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, Problems, edit_error, field, fields, text, ticked, write};
use crate::course::screens::{self, FormationLine, FormationPage, KeyChoice};
use crate::store::ids::FormationId;

fn render_list(
    d: &Designer,
    data: (Vec<FormationLine>, Vec<KeyChoice>),
    flash: Option<String>,
    typed: (&str, &str, &str),
    problems: &Problems,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (lines, keys) = data;
    let default_key = keys.first().map(|k| k.key.clone()).unwrap_or_default();
    d.render(
        status,
        "config/formations.html",
        "formations",
        context! {
            lines => ser(&lines),
            keys => ser(&keys),
            flash => flash,
            code => typed.0,
            title => typed.1,
            key => if typed.2.is_empty() && !problems.has_errors() { default_key } else { typed.2.to_owned() },
            problems => ser(problems),
        },
    )
}

/// `GET /s/{token}/config/formations`.
pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let ctx = d.context_id();
    let data = state
        .db
        .run(move |conn| screens::formation_lines(conn, &ctx))
        .await?;
    render_list(
        &d,
        data,
        flash.key(),
        ("", "", ""),
        &Problems::default(),
        StatusCode::OK,
    )
}

/// `POST /s/{token}/config/formations`: `code`, `title`, `questionnaire`.
pub async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let (code, title, key) = (
        text(&form, "code"),
        text(&form, "title"),
        text(&form, "questionnaire"),
    );
    let (ctx, actor) = (d.context_id(), d.actor.clone());
    let (c, t, k) = (code.clone(), title.clone(), key.clone());
    let created = write(&state, move |conn| {
        editing::create(conn, &actor, &ctx, &c, &t, &k)
    })
    .await?;
    match created {
        Ok(row) => Ok(d.redirect(&format!("/formations/{}?ok=formation_created", row.id))),
        Err(EditError::Invalid(problems)) => {
            let ctx = d.context_id();
            let data = state
                .db
                .run(move |conn| screens::formation_lines(conn, &ctx))
                .await?;
            render_list(
                &d,
                data,
                None,
                (&code, &title, &key),
                &Problems::of(&problems),
                super::refused(),
            )
        }
        Err(e) => Err(edit_error(e)),
    }
}

/// `{id}` in formation URLs.
#[derive(Debug, serde::Deserialize)]
pub struct IdPath {
    pub id: FormationId,
}

/// A Moodle group on the formation page: is it this formation's, another's, nobody's.
#[derive(Debug, Serialize)]
struct GroupChoice {
    group: GroupOverview,
    checked: bool,
    /// The code of the formation it belongs to when another one.
    other: Option<String>,
    error: Option<String>,
}

/// What was typed on the formation page after a refusal.
#[derive(Default)]
struct Typed {
    title: Option<String>,
    key: Option<String>,
    groups: Option<Vec<i64>>,
    extra: String,
}

fn render_formation(
    d: &Designer,
    p: FormationPage,
    flash: Option<String>,
    typed: Typed,
    problems: &Problems,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let f = &p.formation;
    let mine: Vec<i64> = p
        .mapping
        .iter()
        .filter(|(_, id)| *id == f.id)
        .map(|(g, _)| *g)
        .collect();
    let checked = typed.groups.clone().unwrap_or_else(|| mine.clone());
    let mut choices: Vec<GroupChoice> = p
        .overview
        .iter()
        .map(|g| GroupChoice {
            group: g.clone(),
            checked: checked.contains(&g.group_id),
            other: p
                .mapping
                .iter()
                .find(|(gid, fid)| *gid == g.group_id && *fid != f.id)
                .and_then(|(_, fid)| p.codes.get(fid).cloned()),
            error: problems
                .errors
                .get(&format!("/groups/{}", g.group_id))
                .cloned(),
        })
        .collect();
    // Groups of the formation no launch or web service knows (typed in by hand earlier).
    for g in mine
        .iter()
        .filter(|g| !p.overview.iter().any(|o| o.group_id == **g))
    {
        choices.push(GroupChoice {
            group: GroupOverview {
                group_id: *g,
                name: None,
                idnumber: None,
                launched_users: 0,
                members: None,
            },
            checked: checked.contains(g),
            other: None,
            error: None,
        });
    }
    d.render(
        status,
        "config/formation.html",
        "formations",
        context! {
            formation => ser(f),
            keys => ser(&p.keys),
            title => typed.title.unwrap_or_else(|| f.title.clone()),
            key => typed.key.unwrap_or_else(|| f.questionnaire_key.clone()),
            groups => ser(&choices),
            extra_groups => typed.extra,
            flash => flash,
            problems => ser(problems),
        },
    )
}

async fn page(state: &AppState, d: &Designer, id: FormationId) -> AppResult<FormationPage> {
    let ctx = d.context_id();
    state
        .db
        .run(move |conn| Ok(screens::formation_page(conn, &ctx, &id)))
        .await?
        .map_err(edit_error)
}

/// `GET /s/{token}/config/formations/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let p = page(&state, &d, path.into_inner().id).await?;
    render_formation(
        &d,
        p,
        flash.key(),
        Typed::default(),
        &Problems::default(),
        StatusCode::OK,
    )
}

/// `POST /s/{token}/config/formations/{id}`: `title`, `questionnaire`.
pub async fn save_settings(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let id = path.into_inner().id;
    let (title, key) = (text(&form, "title"), text(&form, "questionnaire"));
    let (ctx, actor, fid, t, k) = (
        d.context_id(),
        d.actor.clone(),
        id.clone(),
        title.clone(),
        key.clone(),
    );
    let saved = write(&state, move |conn| {
        editing::update_settings(conn, &actor, &ctx, &fid, &t, &k)
    })
    .await?;
    match saved {
        Ok(_) => Ok(d.redirect(&format!("/formations/{id}?ok=saved"))),
        Err(EditError::Invalid(problems)) => {
            let p = page(&state, &d, id).await?;
            let typed = Typed {
                title: Some(title),
                key: Some(key),
                ..Typed::default()
            };
            render_formation(
                &d,
                p,
                None,
                typed,
                &Problems::of(&problems),
                super::refused(),
            )
        }
        Err(e) => Err(edit_error(e)),
    }
}

async fn set_archived(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
    form: web::Form<Vec<(String, String)>>,
    archived: bool,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let id = path.into_inner().id;
    let (ctx, actor, fid) = (d.context_id(), d.actor.clone(), id.clone());
    write(&state, move |conn| {
        editing::set_archived(conn, &actor, &ctx, &fid, archived)
    })
    .await?
    .map_err(edit_error)?;
    let flash = if archived { "archived" } else { "restored" };
    Ok(d.redirect(&format!("/formations/{id}?ok={flash}")))
}

/// `POST /s/{token}/config/formations/{id}/archiver`.
pub async fn archive(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    set_archived(state, staff, path, form, true).await
}

/// `POST /s/{token}/config/formations/{id}/reactiver`.
pub async fn restore(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    set_archived(state, staff, path, form, false).await
}

/// Group ids typed in a text field (`12, 15 16`); the words that are not ids.
pub fn parse_group_ids(typed: &str) -> (Vec<i64>, Vec<String>) {
    let mut ids = Vec::new();
    let mut bad = Vec::new();
    for word in typed.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        if word.is_empty() {
            continue;
        }
        match word.parse::<i64>() {
            Ok(id) if id > 0 => ids.push(id),
            _ => bad.push(word.to_owned()),
        }
    }
    (ids, bad)
}

/// `POST /s/{token}/config/formations/{id}/groupes`: the ticked `group`s and `extra_groups`.
pub async fn save_groups(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let id = path.into_inner().id;
    let mut wanted: Vec<i64> = fields(&form, "group")
        .iter()
        .filter_map(|g| g.parse().ok())
        .collect();
    let extra = text(&form, "extra_groups");
    let (more, bad) = parse_group_ids(&extra);
    wanted.extend(more);
    wanted.sort_unstable();
    wanted.dedup();
    let result = if bad.is_empty() {
        let (ctx, actor, fid, g) = (d.context_id(), d.actor.clone(), id.clone(), wanted.clone());
        write(&state, move |conn| {
            editing::set_formation_groups(conn, &actor, &ctx, &fid, &g)
        })
        .await?
    } else {
        Err(EditError::Invalid(vec![FieldProblem::error(
            "/extra_groups",
            format!(
                "{} : un identifiant de groupe Moodle est un nombre entier positif (ex. 4521) ; séparez-les par des virgules",
                bad.join(", ")
            ),
        )]))
    };
    match result {
        Ok(_) => Ok(d.redirect(&format!("/formations/{id}?ok=groups_saved#groupes"))),
        Err(EditError::Invalid(problems)) => {
            let p = page(&state, &d, id).await?;
            let typed = Typed {
                groups: Some(wanted),
                extra,
                ..Typed::default()
            };
            render_formation(
                &d,
                p,
                None,
                typed,
                &Problems::of(&problems),
                super::refused(),
            )
        }
        Err(e) => Err(edit_error(e)),
    }
}

// ------------------------------------------------------------------ formation data

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
                input_id: super::input_id(&path),
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
        "config/formation_data.html",
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
    path: web::Path<IdPath>,
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
    path: web::Path<IdPath>,
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
        (None, &Problems::of(&problems), super::refused()),
    )
}
