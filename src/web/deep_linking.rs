//! Deep Linking pages: on Moodle's "Select content", a teacher chooses the academic year and
//! the title of the contract to place; the tool answers with a signed `LtiDeepLinkingResponse`
//! posted back to the platform, and the user who placed it becomes a designer of the course.

use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::grades::delivery::LINE_ITEM_TAG;
use crate::i18n;
use crate::lti::deep_linking::{
    self, PlacedLineItem, RESOURCE_LINK, ResourceLinkItem, ResponseEnvelope,
};
use crate::lti::oidc::random_token;
use crate::lti::roles::ToolRole;
use crate::state::AppState;
use crate::store::grants;
use crate::web::error::{AppError, AppResult};

use super::session::Session;
use super::templates::render;

/// The custom parameter naming the academic year placed (the launch then carries it).
pub const CUSTOM_ACADEMIC_YEAR: &str = "cpre_academic_year";
const MAX_TITLE: usize = 255;

fn settings(session: &Session) -> AppResult<&crate::lti::claims::DeepLinkingSettings> {
    if session.tool_role < ToolRole::Teacher {
        return Err(AppError::Forbidden("deep_linking"));
    }
    let settings = session
        .launch
        .deep_linking
        .as_ref()
        .ok_or_else(|| AppError::BadRequest("not a deep linking session".into()))?;
    deep_linking::check_accepts_resource_link(settings)?;
    Ok(settings)
}

/// `GET /s/{token}/` of a deep linking launch: what to place, in the years offered.
pub async fn show(session: Session, years: Vec<String>) -> AppResult<HttpResponse> {
    settings(&session)?;
    Ok(render(
        "deep_linking/select.html",
        context! {
            lang => session.lang(),
            base => session.base(),
            csrf => session.row.csrf_token.clone(),
            course => session.context.title.clone(),
            user_name => session.user.name.clone(),
            years => years,
            default_title => i18n::message(session.lang(), "deep_linking.default_title"),
        },
    )?)
}

#[derive(Debug, Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    academic_year: String,
    #[serde(default)]
    title: String,
}

/// `POST /s/{token}/deep-linking`: signs the response and sends the browser back to Moodle.
pub async fn place(
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<PlaceForm>,
) -> AppResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    let dl = settings(&session)?.clone();
    let today = state.settings.today();
    let context_id = session.context.id.clone();
    let years = state
        .db
        .run(move |conn| crate::course::years::placement_years(conn, &context_id, today))
        .await?;
    if !years.contains(&form.academic_year) {
        return Err(AppError::BadRequest(format!(
            "academic year `{}` is not offered",
            form.academic_year.chars().take(20).collect::<String>()
        )));
    }
    let year = form.academic_year.clone();
    let title: String = match form.title.trim() {
        "" => i18n::message(session.lang(), "deep_linking.default_title"),
        t => t.chars().take(MAX_TITLE).collect(),
    };
    let mut custom = Map::new();
    custom.insert(CUSTOM_ACADEMIC_YEAR.into(), Value::String(year.clone()));
    let item = ResourceLinkItem {
        kind: RESOURCE_LINK,
        title: title.clone(),
        text: i18n::format(session.lang(), "deep_linking.text", &[("year", &year)]),
        url: state.settings.url("/lti/launch"),
        custom,
        line_item: PlacedLineItem {
            score_maximum: 1.0,
            label: title.clone(),
            resource_id: format!("{LINE_ITEM_TAG}-{year}"),
            tag: LINE_ITEM_TAG.into(),
        },
    };
    let message = i18n::format(
        session.lang(),
        "deep_linking.platform_message",
        &[("title", &title)],
    );
    let envelope = ResponseEnvelope {
        client_id: &session.launch.client_id,
        platform_issuer: &session.launch.issuer,
        deployment_id: &session.launch.deployment_id,
        settings: &dl,
        message: Some(&message),
        now: chrono::Utc::now().timestamp(),
        nonce: random_token(),
    };
    let claims = deep_linking::response_claims(&envelope, &[item]);
    let snapshot = state
        .keys
        .snapshot()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("key ring: {e}")))?;
    let jwt = snapshot.active.sign(&claims).map_err(|e| {
        AppError::Internal(anyhow::anyhow!("signing the deep linking response: {e}"))
    })?;
    let (context_id, user_id) = (session.context.id.clone(), session.user.id.clone());
    state
        .db
        .write(move |conn| grants::grant_designer(conn, &context_id, &user_id, None))
        .await?;
    tracing::info!(context = %session.context.id, user = %session.user.id, %year, "activity placed by deep linking; placer is a designer");
    Ok(render(
        "deep_linking/return.html",
        context! {
            lang => session.lang(),
            return_url => dl.deep_link_return_url.clone(),
            jwt => jwt,
            title => title,
            year => year,
        },
    )?)
}
