//! Reminders: a formation's students who have not signed (never started, draft, amendment waiting), to select and get their addresses to copy, a mailto link, or a CSV.

use crate::web::form::{field, fields};
use std::collections::BTreeSet;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::export::Table;
use crate::followup::dashboard::{self, ListRow, Sort, StudentState};
use crate::state::AppState;
use crate::store::audit::{Action, Target};
use crate::web::error::{AppError, AppResult};

use super::super::design::write;
use super::super::staff::Staff;
use super::super::templates::ser;
use super::Follower;
use super::formation::CodePath;
use super::home::YearQuery;
use crate::followup::year_of;
use crate::store::ids::FormationId;

/// The unsigned students of a formation of the scope, by name, and the year.
async fn unsigned(
    state: &AppState,
    f: &Follower,
    code: &str,
    asked: Option<String>,
) -> AppResult<(String, Vec<ListRow>)> {
    let scoped = f.formation(code)?;
    let scope = f.follows().only(&scoped.formation.id);
    let ctx = f.session.context.id.clone();
    let (year, mut rows) = state
        .db
        .run(move |conn| {
            let Some(year) = year_of(conn, &ctx, asked.as_deref())? else {
                return Ok((String::new(), Vec::new()));
            };
            let rows = dashboard::students(conn, &scope, &year)?;
            Ok((year, rows))
        })
        .await?;
    rows.retain(|r| StudentState::UNSIGNED.contains(&r.state) && !r.email.is_empty());
    dashboard::sort(&mut rows, Sort::Name, false);
    Ok((year, rows))
}

/// The reminders page: the list, and the addresses selected (with their `mailto:` link).
#[allow(clippy::too_many_arguments)]
fn page(
    f: &Follower,
    status: StatusCode,
    formation: &crate::store::formations::FormationRow,
    year: &str,
    rows: &[ListRow],
    selected: &[String],
    mailto: &str,
    error: bool,
) -> AppResult<HttpResponse> {
    f.render(
        status,
        "suivi/reminders.html",
        context! {
            formation => ser(formation),
            year => year,
            rows => ser(rows),
            selected => ser(selected),
            addresses => selected.join("; "),
            mailto => mailto,
            error => error,
        },
    )
}

/// `GET /s/{token}/suivi/formations/{code}/relances`: the list to select from.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<CodePath>,
    query: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    let (year, rows) = unsigned(&state, &f, &path.code, query.into_inner().annee).await?;
    let scoped = f.formation(&path.code)?.clone();
    page(
        &f,
        StatusCode::OK,
        &scoped.formation,
        &year,
        &rows,
        &[],
        "",
        false,
    )
}

/// `POST /s/{token}/suivi/formations/{code}/relances`: `who` = the addresses ticked; only
/// addresses of the formation's unsigned students are kept.
pub async fn select(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<CodePath>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    f.check_csrf(&form)?;
    let asked = field(&form, "annee").map(str::to_owned);
    let (year, rows) = unsigned(&state, &f, &path.code, asked).await?;
    let ticked: BTreeSet<&str> = fields(&form, "who").into_iter().collect();
    let mut chosen: Vec<String> = rows
        .iter()
        .filter(|r| ticked.contains(r.email.as_str()))
        .map(|r| r.email.clone())
        .collect();
    chosen.dedup();
    let scoped = f.formation(&path.code)?.clone();
    if chosen.is_empty() {
        return page(
            &f,
            StatusCode::UNPROCESSABLE_ENTITY,
            &scoped.formation,
            &year,
            &rows,
            &[],
            "",
            true,
        );
    }
    record(&state, &f, &scoped.formation.id, "selection", chosen.len()).await?;
    let subject = crate::i18n::message(f.session.lang(), "followup.reminders.subject")
        .replace("{course}", &f.session.context.title);
    let mailto = format!(
        "mailto:?bcc={}&subject={}",
        chosen
            .iter()
            .map(|a| urlencoding(a))
            .collect::<Vec<_>>()
            .join(","),
        urlencoding(&subject)
    );
    page(
        &f,
        StatusCode::OK,
        &scoped.formation,
        &year,
        &rows,
        &chosen,
        &mailto,
        false,
    )
}

/// `GET /s/{token}/suivi/formations/{code}/relances.csv`: every unsigned student.
pub async fn csv(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<CodePath>,
    query: web::Query<YearQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    let (year, rows) = unsigned(&state, &f, &path.code, query.into_inner().annee).await?;
    let scoped = f.formation(&path.code)?.clone();
    record(&state, &f, &scoped.formation.id, "csv", rows.len()).await?;
    let lang = f.session.lang();
    let m = |k: &str| crate::i18n::message(lang, k);
    let table = Table {
        title: scoped.formation.code.clone(),
        headers: [
            "family_name",
            "given_name",
            "student_number",
            "email",
            "state",
        ]
        .iter()
        .map(|k| m(&format!("followup.export.{k}")))
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.family_name.clone(),
                    r.given_name.clone(),
                    r.student_number.clone(),
                    r.email.clone(),
                    m(&format!("followup.state.{}", r.state)),
                ]
            })
            .collect(),
    };
    let bytes = crate::export::write_csv(&table, Vec::new())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reminder CSV: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"relances-{}-{year}.csv\"",
                scoped
                    .formation
                    .code
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            ),
        ))
        .body(bytes))
}

async fn record(
    state: &AppState,
    f: &Follower,
    formation_id: &FormationId,
    how: &'static str,
    count: usize,
) -> AppResult<()> {
    let (actor, ctx, fid) = (
        f.actor.clone(),
        f.session.context.id.clone(),
        formation_id.to_owned(),
    );
    write(state, move |conn| -> Result<(), crate::store::StoreError> {
        actor.record(
            conn,
            &ctx,
            Action::Reminder,
            (Target::Formation, Some(&fid)),
            serde_json::json!({ "how": how, "students": count }),
        )
    })
    .await??;
    Ok(())
}

/// Percent-encodes a mailto component.
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
