//! « Aperçu en tant qu'étudiant de la formation X »: a published version or a draft walked page by page with the student's own page templates and the engine's branching, nothing recorded (the answers travel in the preview form itself).

use crate::web::form::{field, refused};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::contract::form;
use crate::questionnaire::{Answers, FieldError, Questionnaire, SubmitError};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

use super::super::contract::view::{PageFields, Values, page_fields};
use super::super::staff::Staff;
use super::super::templates::ser;
use super::Designer;
use crate::course::preview::{self, Setup, SetupError};
use crate::store::ids::FormationId;

/// `?source=…&formation=…&precedent=1`.
#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub formation: Option<String>,
    #[serde(default)]
    pub precedent: Option<String>,
}

/// A page of the questionnaire in the list « pages et conditions ».
#[derive(Debug, Serialize)]
struct PageState {
    id: String,
    title: String,
    shown: bool,
    current: bool,
}

enum Shown<'a> {
    Page {
        page: &'a str,
        posted: Option<&'a [(String, String)]>,
        errors: &'a [FieldError],
    },
    Summary,
}

fn render(
    d: &Designer,
    s: &Setup,
    answers: &Answers,
    shown: Shown<'_>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let q = &s.questionnaire;
    let state_json = serde_json::to_string(answers).map_err(|e| AppError::Internal(e.into()))?;
    let common = context! {
        source => s.source.clone(),
        source_label => s.source_label.clone(),
        formation => ser(&s.formation),
        previous => s.previous,
        answers_json => state_json,
        academic_year => s.env.academic_year.clone(),
        questionnaire_title => q.title(),
        action => d.url("/apercu"),
        restart_url => d.url(&format!("/apercu?source={}&formation={}{}", s.source, s.formation.id, if s.previous { "&precedent=1" } else { "" })),
    };
    match shown {
        Shown::Summary => {
            let flow = q.flow(&s.env, answers);
            let summary = q.summary(&s.env, answers);
            let missing: Vec<String> = match q.check_complete(&s.env, answers) {
                Ok(_) => Vec::new(),
                Err(i) => i
                    .problems
                    .iter()
                    .map(|p| format!("{} — {} : {}", p.page_title, p.label, p.message))
                    .collect(),
            };
            let pages = page_states(q, &flow, "");
            d.render(
                status,
                "design/preview.html",
                "questionnaires",
                minijinja::value::merge_maps([
                    common,
                    context! {
                        mode => "summary",
                        summary => ser(summary),
                        missing => missing,
                        pages => ser(&pages),
                        steps => flow.pages.len() + 1,
                    },
                ]),
            )
        }
        Shown::Page {
            page,
            posted,
            errors,
        } => {
            let provisional = match posted {
                Some(f) => form::provisional(q, answers, page, f),
                None => answers.clone(),
            };
            let flow = q.flow(&s.env, &provisional);
            let Some(view) = flow.page(page) else {
                return Err(AppError::NotFound);
            };
            let submitted = posted
                .map(|f| form::submitted(q, page, f))
                .unwrap_or_default();
            let values = if posted.is_some() {
                Values::Posted(&submitted)
            } else {
                Values::Saved
            };
            let PageFields {
                blocks,
                errors: links,
                ..
            } = page_fields(view, values, errors, None);
            let pages = page_states(q, &flow, page);
            let problems: Vec<String> = flow.problems.iter().map(ToString::to_string).collect();
            d.render(
                status,
                "design/preview.html",
                "questionnaires",
                minijinja::value::merge_maps([
                    common,
                    context! {
                        mode => "page",
                        page_id => view.id,
                        page_title => view.title,
                        step => view.number,
                        steps => flow.pages.len() + 1,
                        first => flow.previous_page(page).is_none(),
                        is_last => flow.next_page(page).is_none(),
                        blocks => ser(&blocks),
                        errors => ser(&links),
                        pages => ser(&pages),
                        problems => problems,
                    },
                ]),
            )
        }
    }
}

fn page_states(
    q: &Questionnaire,
    flow: &crate::questionnaire::Flow<'_>,
    current: &str,
) -> Vec<PageState> {
    q.pages()
        .iter()
        .map(|p| PageState {
            id: p.id.clone(),
            title: p.title.clone(),
            shown: flow.page(&p.id).is_some(),
            current: p.id == current,
        })
        .collect()
}

async fn chooser(
    state: &AppState,
    d: &Designer,
    q: &StartQuery,
    problem: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let ctx = d.context_id();
    let tz = d.session.tz;
    let (sources, formations) = state
        .db
        .run(move |conn| preview::choices(conn, &ctx, tz))
        .await?;
    d.render(
        status,
        "design/preview.html",
        "questionnaires",
        context! {
            mode => "choose",
            sources => ser(&sources),
            formations => ser(&formations),
            source => q.source.clone().unwrap_or_default(),
            formation_id => q.formation.clone().unwrap_or_default(),
            previous => q.precedent.is_some(),
            problem => problem,
        },
    )
}

async fn load_setup(
    state: &AppState,
    d: &Designer,
    source: String,
    formation: String,
    previous: bool,
) -> AppResult<Result<Setup, SetupError>> {
    let ctx = d.context_id();
    Ok(state
        .db
        .run(move |conn| {
            Ok(preview::setup(
                conn,
                &ctx,
                &source,
                &FormationId::from(formation),
                previous,
            ))
        })
        .await?)
}

/// `GET /s/{token}/config/apercu`: the chooser (questionnaire, formation), or the first page.
pub async fn start(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<StartQuery>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    let q = query.into_inner();
    let (Some(source), Some(formation)) = (
        q.source.clone().filter(|s| !s.is_empty()),
        q.formation.clone().filter(|f| !f.is_empty()),
    ) else {
        return chooser(&state, &d, &q, None, StatusCode::OK).await;
    };
    match load_setup(&state, &d, source, formation, q.precedent.is_some()).await? {
        Ok(s) => {
            let answers = Answers::new();
            let flow = s.questionnaire.flow(&s.env, &answers);
            match flow.first_page().map(|p| p.id.to_owned()) {
                Some(first) => render(
                    &d,
                    &s,
                    &answers,
                    Shown::Page {
                        page: &first,
                        posted: None,
                        errors: &[],
                    },
                    StatusCode::OK,
                ),
                None => render(&d, &s, &answers, Shown::Summary, StatusCode::OK),
            }
        }
        Err(SetupError::DraftInvalid) => {
            chooser(&state, &d, &q, Some("draft_invalid"), refused()).await
        }
        Err(SetupError::NotFound) => Err(AppError::NotFound),
        Err(SetupError::Store(e)) => Err(AppError::Store(e)),
    }
}

/// `POST /s/{token}/config/apercu`: `source`, `formation`, `precedent`, `answers` (JSON),
/// `page`, `nav` (`next`, `previous`, `goto:<page>`) and the page's `q.*` fields. Nothing is
/// written.
pub async fn step(
    state: web::Data<AppState>,
    staff: Staff,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let d = Designer::of(staff)?;
    d.check_csrf(&form)?;
    let source = field(&form, "source").unwrap_or_default().to_owned();
    let formation = field(&form, "formation").unwrap_or_default().to_owned();
    let previous = field(&form, "precedent").is_some_and(|v| !v.is_empty());
    let s = match load_setup(&state, &d, source, formation, previous).await? {
        Ok(s) => s,
        Err(SetupError::Store(e)) => return Err(AppError::Store(e)),
        Err(_) => return Err(AppError::NotFound),
    };
    let answers: Answers = serde_json::from_str(field(&form, "answers").unwrap_or("{}"))
        .map_err(|_| AppError::BadRequest("preview answers unreadable".into()))?;
    let answers = s.questionnaire.clean_answers(&s.env, &answers);
    let page = field(&form, "page").unwrap_or_default().to_owned();
    let nav = field(&form, "nav").unwrap_or("next").to_owned();
    let q = s.questionnaire.clone();
    if let Some(target) = nav.strip_prefix("goto:") {
        let flow = q.flow(&s.env, &answers);
        return match flow.page(target) {
            Some(p) => render(
                &d,
                &s,
                &answers,
                Shown::Page {
                    page: p.id,
                    posted: None,
                    errors: &[],
                },
                StatusCode::OK,
            ),
            None => render(&d, &s, &answers, Shown::Summary, StatusCode::OK),
        };
    }
    if nav == "previous" {
        let flow = q.flow(&s.env, &answers);
        return match flow.previous_page(&page).or_else(|| flow.first_page()) {
            Some(p) => render(
                &d,
                &s,
                &answers,
                Shown::Page {
                    page: p.id,
                    posted: None,
                    errors: &[],
                },
                StatusCode::OK,
            ),
            None => render(&d, &s, &answers, Shown::Summary, StatusCode::OK),
        };
    }
    match q.submit_page(&s.env, &answers, &page, &form) {
        Ok(next_answers) => {
            let flow = q.flow(&s.env, &next_answers);
            match flow.next_page(&page) {
                Some(p) => render(
                    &d,
                    &s,
                    &next_answers,
                    Shown::Page {
                        page: p.id,
                        posted: None,
                        errors: &[],
                    },
                    StatusCode::OK,
                ),
                None => render(&d, &s, &next_answers, Shown::Summary, StatusCode::OK),
            }
        }
        Err(SubmitError::Invalid(e)) => render(
            &d,
            &s,
            &answers,
            Shown::Page {
                page: &page,
                posted: Some(&form),
                errors: &e.errors,
            },
            refused(),
        ),
        Err(SubmitError::UnknownPage(_) | SubmitError::HiddenPage(_)) => {
            render(&d, &s, &answers, Shown::Summary, StatusCode::OK)
        }
    }
}
