//! `AppError`: every failure at the HTTP edge, and the one place that turns an error into a
//! status and a French page.
//!
//! Domain errors carry their own `code()` (the message in the catalogue, `error.<code>.*`)
//! and `kind()` (`failure::Kind`); this module maps the kind to the HTTP status and renders
//! the page. The user sees what went wrong and what to do, never a debug value; the log gets
//! the detail.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError};

use crate::contract::ContractError;
use crate::failure::Kind;
use crate::launch::LaunchFailure;
use crate::launch::landing::LandingError;
use crate::launch::session::SessionError;
use crate::lti::deep_linking::DeepLinkingError;
use crate::lti::dynamic_registration::DynamicRegistrationError;
use crate::lti::launch::LaunchError;
use crate::lti::oidc::LoginError;
use crate::store::StoreError;
use crate::store::registration_invites::InviteRefusal;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Launch(#[from] LaunchFailure),
    #[error("no valid session")]
    NoSession,
    #[error("session used from another browser")]
    SessionBinding,
    #[error("this page needs a course and the tool was launched outside any course")]
    NoCourse,
    #[error("CSRF check failed")]
    Csrf,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("method not allowed (only {0})")]
    MethodNotAllowed(&'static str),
    #[error("dynamic registration is closed and no invite was given")]
    RegistrationClosed,
    #[error("registration invite refused: {}", .0.code())]
    RegistrationInvite(InviteRefusal),
    #[error("dynamic registration failed: {0}")]
    Registration(#[from] DynamicRegistrationError),
    #[error("deep linking: {0}")]
    DeepLinking(#[from] DeepLinkingError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("contract: {0}")]
    Contract(#[from] ContractError),
    #[error("template: {0:#}")]
    Template(#[from] minijinja::Error),
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<SessionError> for AppError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NoSession => AppError::NoSession,
            SessionError::Binding => AppError::SessionBinding,
            SessionError::NoCourse => AppError::NoCourse,
            SessionError::Csrf => AppError::Csrf,
            SessionError::Store(e) => AppError::Store(e),
        }
    }
}

impl From<LandingError> for AppError {
    fn from(e: LandingError) -> Self {
        match e {
            LandingError::Session(e) => e.into(),
            LandingError::Contract(e) => AppError::Contract(e),
            LandingError::Store(e) => AppError::Store(e),
        }
    }
}

impl From<LaunchError> for AppError {
    fn from(e: LaunchError) -> Self {
        AppError::Launch(e.into())
    }
}

impl From<LoginError> for AppError {
    fn from(e: LoginError) -> Self {
        AppError::Launch(e.into())
    }
}

impl AppError {
    /// The stable code of the message shown (catalogue `error.<code>.title|body|action`).
    pub fn code(&self) -> String {
        match self {
            AppError::Launch(e) => e.code(),
            AppError::NoSession => "session.missing".into(),
            AppError::SessionBinding => "session.binding".into(),
            AppError::NoCourse => "session.no_course".into(),
            AppError::Csrf => "session.csrf".into(),
            AppError::Forbidden(what) => format!("forbidden.{what}"),
            AppError::NotFound => "not_found".into(),
            AppError::BadRequest(_) => "bad_request".into(),
            AppError::MethodNotAllowed(_) => "method_not_allowed".into(),
            AppError::RegistrationClosed => "registration.closed".into(),
            AppError::RegistrationInvite(r) => r.code().into(),
            AppError::Registration(e) => format!("registration.{}", e.code()),
            AppError::DeepLinking(e) => e.code().into(),
            AppError::Contract(e) => e.code().into(),
            AppError::Store(_) | AppError::Template(_) | AppError::Internal(_) => "internal".into(),
        }
    }

    /// The sort of failure.
    pub fn kind(&self) -> Kind {
        match self {
            AppError::Launch(e) => e.kind(),
            AppError::NoSession | AppError::SessionBinding => Kind::Unauthenticated,
            AppError::NoCourse
            | AppError::Csrf
            | AppError::Forbidden(_)
            | AppError::RegistrationClosed
            | AppError::RegistrationInvite(_) => Kind::Forbidden,
            AppError::NotFound => Kind::NotFound,
            AppError::BadRequest(_) => Kind::Invalid,
            AppError::MethodNotAllowed(_) => Kind::MethodNotAllowed,
            AppError::Registration(e) => e.kind(),
            AppError::DeepLinking(e) => e.kind(),
            AppError::Contract(e) => e.kind(),
            AppError::Store(_) | AppError::Template(_) | AppError::Internal(_) => Kind::Internal,
        }
    }

    /// Values the message may show (never secrets, never debug output).
    fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            AppError::Launch(LaunchFailure::UnknownPlatform { issuer, client_id }) => {
                vec![("issuer", issuer.clone()), ("client_id", client_id.clone())]
            }
            AppError::Launch(LaunchFailure::UnknownDeployment {
                issuer,
                deployment_id,
            }) => vec![
                ("issuer", issuer.clone()),
                ("deployment_id", deployment_id.clone()),
            ],
            AppError::Launch(LaunchFailure::Launch(LaunchError::Deployment(d))) => {
                vec![("deployment_id", d.clone())]
            }
            AppError::Launch(LaunchFailure::Launch(e)) => claim_args(e),
            AppError::Launch(LaunchFailure::Login(
                LoginError::Missing(p) | LoginError::NotUrl(p) | LoginError::TooLong(p),
            )) => vec![("parameter", (*p).to_string())],
            AppError::Registration(DynamicRegistrationError::Parameter(p)) => {
                vec![("parameter", (*p).to_string())]
            }
            AppError::Registration(
                DynamicRegistrationError::Unreachable(d)
                | DynamicRegistrationError::Configuration(d)
                | DynamicRegistrationError::Refused(d)
                | DynamicRegistrationError::Answer(d),
            ) => vec![("detail", d.clone())],
            _ => Vec::new(),
        }
    }

    /// Renders the error page in a language.
    pub fn page(&self, lang: &str) -> String {
        let code = self.code();
        let args: Vec<(&str, String)> = self.args();
        let fill = |key: String| {
            let pairs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let key = if crate::i18n::has(crate::i18n::DEFAULT_LANG, &key) {
                key
            } else {
                key.replace(&code, "generic")
            };
            crate::i18n::format(lang, &key, &pairs)
        };
        let ctx = minijinja::context! {
            lang => lang,
            code => code.clone(),
            status => self.status_code().as_u16(),
            title => fill(format!("error.{code}.title")),
            body => fill(format!("error.{code}.body")),
            action => fill(format!("error.{code}.action")),
        };
        super::templates::render_string("error.html", ctx).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the error page itself failed to render");
            format!(
                "<!doctype html><html lang=\"fr\"><title>Erreur</title><h1>Erreur {}</h1></html>",
                self.status_code().as_u16()
            )
        })
    }
}

/// The HTTP status of each kind of failure.
pub fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::Invalid => StatusCode::BAD_REQUEST,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Upstream => StatusCode::BAD_GATEWAY,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        status_of(self.kind())
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(code = %self.code(), error = %self, "request failed");
        } else {
            tracing::warn!(code = %self.code(), error = %self, "request refused");
        }
        let mut response = HttpResponse::build(status);
        response
            .content_type(ContentType::html())
            .insert_header(("Cache-Control", "no-store"));
        if let AppError::MethodNotAllowed(allowed) = self {
            response.insert_header(("Allow", *allowed));
        }
        response.body(self.page(crate::i18n::DEFAULT_LANG))
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// What a launch refusal about a claim may show: the claim, what it is, and the field.
fn claim_args(e: &LaunchError) -> Vec<(&'static str, String)> {
    let Some((claim, field)) = e.claim() else {
        return Vec::new();
    };
    let about = crate::i18n::message(crate::i18n::DEFAULT_LANG, &format!("lti.claim.{claim}"));
    let mut args = vec![("claim", claim.to_string()), ("about", about)];
    if let Some(field) = field {
        args.push(("field", field.to_string()));
    }
    args
}
