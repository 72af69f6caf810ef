//! The Moodle groups of the course and the formation each leads to: by name when the Moodle web service gives names, otherwise by id with how many users of each opened the tool; the students no formation was found for.

use crate::web::form::{Problems, refused, text};
use std::collections::BTreeMap;

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
use super::formations::parse_group_ids;
use super::{Designer, Flash, edit_error, write};
use crate::course::screens::{self, GroupsScreen};
use crate::store::ids::FormationId;

#[derive(Debug, Serialize)]
struct Line {
    group: GroupOverview,
    /// The formation id chosen (empty: none).
    selected: FormationId,
    error: Option<String>,
}

fn render(
    d: &Designer,
    data: GroupsScreen,
    typed: Option<(&BTreeMap<i64, FormationId>, &str, &str)>,
    flash: Option<String>,
    problems: &Problems,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let selection = typed.map(|t| t.0).unwrap_or(&data.mapping);
    let mut all = data.overview.clone();
    for g in data.mapping.keys() {
        if !all.iter().any(|o| o.group_id == *g) {
            all.push(GroupOverview {
                group_id: *g,
                name: None,
                idnumber: None,
                launched_users: 0,
                members: None,
            });
        }
    }
    let named = all.iter().any(|g| g.name.is_some());
    let lines: Vec<Line> = all
        .into_iter()
        .map(|g| Line {
            selected: selection.get(&g.group_id).cloned().unwrap_or_default(),
            error: problems
                .errors
                .get(&format!("/groups/{}", g.group_id))
                .cloned(),
            group: g,
        })
        .collect();
    d.render(
        status,
        "design/groups.html",
        "groups",
        context! {
            lines => ser(&lines),
            named => named,
            formations => ser(&data.formations),
            unrouted => ser(&data.unrouted),
            new_groups => typed.map(|t| t.1).unwrap_or_default(),
            new_formation => typed.map(|t| t.2).unwrap_or_default(),
            flash => flash,
            problems => ser(problems),
        },
    )
}

/// `GET /s/{token}/config/groupes`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    flash: web::Query<Flash>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let ctx = d.context_id();
    let data = state
        .db
        .run(move |conn| screens::groups_screen(conn, &ctx))
        .await?;
    render(
        &d,
        data,
        None,
        flash.key(),
        &Problems::default(),
        StatusCode::OK,
    )
}

/// `POST /s/{token}/config/groupes`: `g.<group id>` = formation id (empty: none) for each
/// listed group, and `new_groups` (ids) for `new_formation`.
pub async fn save(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let mut wanted: BTreeMap<i64, FormationId> = BTreeMap::new();
    for (k, v) in form.iter() {
        if let Some(g) = k.strip_prefix("g.").and_then(|g| g.parse::<i64>().ok())
            && !v.is_empty()
        {
            wanted.insert(g, FormationId::from(v.as_str()));
        }
    }
    let (new_groups, new_formation) = (text(&form, "new_groups"), text(&form, "new_formation"));
    let (ids, bad) = parse_group_ids(&new_groups);
    let mut problems = Vec::new();
    if !bad.is_empty() {
        problems.push(FieldProblem::error(
            "/new_groups",
            format!(
                "{} : un identifiant de groupe Moodle est un nombre entier positif (ex. 4521) ; séparez-les par des virgules",
                bad.join(", ")
            ),
        ));
    }
    if !ids.is_empty() && new_formation.is_empty() {
        problems.push(FieldProblem::error(
            "/new_formation",
            "choisissez la formation de ces groupes",
        ));
    }
    for g in &ids {
        match wanted.get(g) {
            Some(f) if !new_formation.is_empty() && *f != new_formation => {
                problems.push(FieldProblem::error(
                    "/new_groups",
                    format!("le groupe {g} est déjà associé plus haut à une autre formation : un groupe Moodle ne peut appartenir qu'à une formation"),
                ));
            }
            _ if !new_formation.is_empty() => {
                wanted.insert(*g, FormationId::from(new_formation.as_str()));
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        let (ctx, actor, w) = (d.context_id(), d.actor.clone(), wanted.clone());
        match write(&state, move |conn| {
            editing::set_mapping(conn, &actor, &ctx, &w)
        })
        .await?
        {
            Ok(_) => return Ok(d.redirect("/groupes?ok=groups_saved")),
            Err(EditError::Invalid(p)) => problems = p,
            Err(e) => return Err(edit_error(e)),
        }
    }
    let ctx = d.context_id();
    let data = state
        .db
        .run(move |conn| screens::groups_screen(conn, &ctx))
        .await?;
    render(
        &d,
        data,
        Some((&wanted, &new_groups, &new_formation)),
        None,
        &Problems::of(&problems),
        refused(),
    )
}
