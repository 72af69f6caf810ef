//! Formations: the list and « Nouvelle formation », one formation's settings (title, questionnaire), archiving and restoring, and its Moodle groups.

use crate::web::form::{IdPath, Problems, fields, refused, text};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Serialize;

use crate::course::editing::{self, EditError, FieldProblem};
use crate::state::AppState;
use crate::store::groups::GroupOverview;
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::{Designer, Flash, edit_error, write};
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
        "design/formations.html",
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
                refused(),
            )
        }
        Err(e) => Err(edit_error(e)),
    }
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
        "design/formation.html",
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
    path: web::Path<IdPath<FormationId>>,
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
    path: web::Path<IdPath<FormationId>>,
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
            render_formation(&d, p, None, typed, &Problems::of(&problems), refused())
        }
        Err(e) => Err(edit_error(e)),
    }
}

async fn set_archived(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<FormationId>>,
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
    path: web::Path<IdPath<FormationId>>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    set_archived(state, staff, path, form, true).await
}

/// `POST /s/{token}/config/formations/{id}/reactiver`.
pub async fn restore(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<IdPath<FormationId>>,
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
    path: web::Path<IdPath<FormationId>>,
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
            render_formation(&d, p, None, typed, &Problems::of(&problems), refused())
        }
        Err(e) => Err(edit_error(e)),
    }
}

// ------------------------------------------------------------------ formation data
