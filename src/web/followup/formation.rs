//! A formation's dashboard: counts by state, the weekly progress chart (SVG with numbers and a table, readable without colour), and the list with search, filters (state, aménagement), sorting and pages.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::followup::dashboard::{self, Filter, Sort, Week};
use crate::questionnaire::Formation;
use crate::state::AppState;
use crate::web::error::AppResult;

use super::super::staff::Staff;
use super::super::templates::ser;
use super::Follower;
use crate::followup::dashboard::StudentState;
use crate::followup::year_of;

/// `{code}` of a formation.
#[derive(Debug, Deserialize)]
pub struct CodePath {
    pub code: String,
}

/// The list's query string (every field optional; unknown values are ignored).
#[derive(Debug, Default, Deserialize, Serialize, Clone)]
pub struct ListQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub etat: Option<String>,
    #[serde(default)]
    pub option: Option<String>,
    #[serde(default)]
    pub tri: Option<String>,
    #[serde(default)]
    pub ordre: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
    #[serde(default)]
    pub annee: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        let sort = match self.tri.as_deref() {
            Some("numero") => Sort::Number,
            Some("etat") => Sort::State,
            Some("modifie") => Sort::Updated,
            Some("signe") => Sort::Signed,
            _ => Sort::Name,
        };
        Filter {
            query: self
                .q
                .clone()
                .unwrap_or_default()
                .chars()
                .take(100)
                .collect(),
            state: self.etat.as_deref().and_then(StudentState::parse),
            option: self
                .option
                .clone()
                .filter(|o| !o.is_empty() && o.len() <= 200),
            sort,
            descending: self.ordre.as_deref() == Some("desc"),
            page: self
                .page
                .as_deref()
                .and_then(|p| p.parse().ok())
                .unwrap_or(1),
        }
    }
}

/// A choice of the aménagement filter.
#[derive(Debug, Clone, Serialize)]
pub struct OptionChoice {
    pub list: String,
    pub value: String,
    pub label: String,
}

/// A bar of the chart, in SVG units.
#[derive(Debug, Clone, Serialize)]
struct Bar {
    x: f32,
    y: f32,
    h: f32,
    value: usize,
}

#[derive(Debug, Clone, Serialize)]
struct Slot {
    label: String,
    label_x: f32,
    started: Bar,
    signed: Bar,
}

const CHART_W: f32 = 640.0;
const CHART_H: f32 = 220.0;
const CHART_TOP: f32 = 20.0;
const CHART_BOTTOM: f32 = 190.0;

fn chart(weeks: &[Week]) -> Vec<Slot> {
    let max = weeks
        .iter()
        .map(|w| w.started.max(w.signed))
        .max()
        .unwrap_or(0)
        .max(1) as f32;
    let n = weeks.len().max(1) as f32;
    let slot = CHART_W / n;
    let bar = (slot * 0.38).min(28.0);
    let height = |v: usize| (CHART_BOTTOM - CHART_TOP) * v as f32 / max;
    weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let x0 = i as f32 * slot + (slot - 2.0 * bar) / 2.0;
            let (hs, hg) = (height(w.started), height(w.signed));
            Slot {
                label: w.monday.clone(),
                label_x: i as f32 * slot + slot / 2.0,
                started: Bar {
                    x: x0,
                    y: CHART_BOTTOM - hs,
                    h: hs,
                    value: w.started,
                },
                signed: Bar {
                    x: x0 + bar,
                    y: CHART_BOTTOM - hg,
                    h: hg,
                    value: w.signed,
                },
            }
        })
        .collect()
}

/// The choices of the aménagement filter: every item of the formation's lists.
pub fn option_choices(data: &str) -> Vec<OptionChoice> {
    let Ok(formation) = serde_json::from_str::<Formation>(data) else {
        return Vec::new();
    };
    formation
        .lists
        .into_iter()
        .flat_map(|(list, items)| {
            items.into_iter().map(move |i| OptionChoice {
                list: list.clone(),
                value: i.value,
                label: i.label,
            })
        })
        .collect()
}

/// `GET /s/{token}/suivi/formations/{code}`.
pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<CodePath>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let f = Follower::of(staff)?;
    let scoped = f.formation(&path.code)?.clone();
    let scope = f.follows().only(&scoped.formation.id);
    let query = query.into_inner();
    let filter = query.filter();
    let ctx = f.session.context.id.clone();
    let (asked, option) = (query.annee.clone(), filter.option.clone());
    let can_mark = f.scope.can_mark_not_student(&scoped.formation.id);
    let (year, rows, chose, marked) = state
        .db
        .run(move |conn| {
            let marked = if can_mark {
                crate::store::roster::marked(conn, &ctx)?
            } else {
                Vec::new()
            };
            let Some(year) = year_of(conn, &ctx, asked.as_deref())? else {
                return Ok((None, Vec::new(), None, marked));
            };
            let rows = dashboard::students(conn, &scope, &year)?;
            let chose = match option {
                Some(o) => Some(dashboard::choosing(conn, &scope, &year, &o)?),
                None => None,
            };
            Ok((Some(year), rows, chose, marked))
        })
        .await?;
    let board = dashboard::dashboard(rows, &filter, chose.as_ref());
    let slots = chart(&board.weeks);
    // The query string without the page: what the pager's links keep.
    let keep_page = {
        let pairs = [
            ("q", query.q.clone()),
            ("etat", filter.state.map(|s| s.to_string())),
            ("option", filter.option.clone()),
            ("tri", query.tri.clone()),
            ("ordre", query.ordre.clone()),
            ("annee", query.annee.clone()),
        ];
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                s.append_pair(k, &v);
            }
        }
        s.finish()
    };
    f.render(
        StatusCode::OK,
        "suivi/formation.html",
        context! {
            formation => ser(&scoped.formation),
            can_decide => scoped.rights.decide,
            can_mark => can_mark,
            marked => ser(&marked),
            year => year,
            counts => ser(&board.counts),
            done => board.counts.done(),
            weeks => ser(&board.weeks),
            slots => ser(&slots),
            chart_w => CHART_W,
            chart_h => CHART_H,
            chart_bottom => CHART_BOTTOM,
            rows => ser(&board.rows),
            matching => board.matching,
            page => board.page,
            pages => board.pages,
            states => ser(StudentState::ALL),
            options => ser(option_choices(&scoped.formation.data)),
            q => filter.query.clone(),
            state_filter => filter.state.map(StudentState::as_str),
            option_filter => filter.option.clone(),
            sort => query.tri.clone().unwrap_or_else(|| "nom".into()),
            descending => filter.descending,
            keep_page => keep_page,
            filtered => !filter.query.is_empty() || filter.state.is_some() || filter.option.is_some(),
        },
    )
}
