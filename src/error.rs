//! `AppError`: every failure at the HTTP edge, its status, and the French page that explains it.
//!
//! Policy: protocol modules return their own typed errors (`LaunchError`, `StoreError`…);
//! handlers convert them into `AppError`. The user sees a page saying what went wrong and
//! what to do (catalogue keys `error.<code>.*`), the log gets the detail. Launch and login
//! failures are 4xx, never 500.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError};

use crate::contract::ContractError;
use crate::course::routing::Refusal;
use crate::lti::deep_linking::DeepLinkingError;
use crate::lti::dynamic_registration::DynamicRegistrationError;
use crate::lti::launch::{LaunchError, RefusalKind};
use crate::lti::oidc::LoginError;
use crate::store::StoreError;
use crate::store::registration_invites::InviteRefusal;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("launch refused: {0}")]
    Launch(#[from] LaunchError),
    #[error("login initiation refused: {0}")]
    Login(#[from] LoginError),
    #[error("no platform registered for issuer `{issuer}` and client_id `{client_id}`")]
    UnknownPlatform { issuer: String, client_id: String },
    #[error("deployment `{deployment_id}` of issuer `{issuer}` is not registered")]
    UnknownDeployment {
        issuer: String,
        deployment_id: String,
    },
    #[error("no valid session")]
    NoSession,
    #[error("this page needs a course and the tool was launched outside any course")]
    NoCourse,
    #[error("method not allowed (only {0})")]
    MethodNotAllowed(&'static str),
    #[error("session used from another browser")]
    SessionBinding,
    #[error("CSRF check failed")]
    Csrf,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("dynamic registration is closed and no invite was given")]
    RegistrationClosed,
    #[error("registration invite refused: {0:?}")]
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

impl AppError {
    /// The stable code of the message shown (catalogue `error.<code>.title|body|action`).
    pub fn code(&self) -> String {
        match self {
            AppError::Launch(e) => format!("launch.{}", e.code()),
            AppError::Login(_) => "login.invalid".into(),
            AppError::UnknownPlatform { .. } => "login.unknown_platform".into(),
            AppError::UnknownDeployment { .. } => "login.unknown_deployment".into(),
            AppError::NoSession => "session.missing".into(),
            AppError::NoCourse => "session.no_course".into(),
            AppError::MethodNotAllowed(_) => "method_not_allowed".into(),
            AppError::SessionBinding => "session.binding".into(),
            AppError::Csrf => "session.csrf".into(),
            AppError::Forbidden(what) => format!("forbidden.{what}"),
            AppError::NotFound => "not_found".into(),
            AppError::BadRequest(_) => "bad_request".into(),
            AppError::RegistrationClosed => "registration.closed".into(),
            AppError::RegistrationInvite(InviteRefusal::Unknown) => {
                "registration.invite_unknown".into()
            }
            AppError::RegistrationInvite(InviteRefusal::Used) => "registration.invite_used".into(),
            AppError::RegistrationInvite(InviteRefusal::Expired) => {
                "registration.invite_expired".into()
            }
            AppError::Registration(e) => format!("registration.{}", e.code()),
            AppError::DeepLinking(_) => "deep_linking.types".into(),
            AppError::Store(_) | AppError::Template(_) | AppError::Internal(_) => "internal".into(),
            AppError::Contract(e) => contract_code(e).into(),
        }
    }

    /// Values the message may show (never secrets).
    fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            AppError::UnknownPlatform { issuer, client_id } => {
                vec![("issuer", issuer.clone()), ("client_id", client_id.clone())]
            }
            AppError::UnknownDeployment {
                issuer,
                deployment_id,
            } => {
                vec![
                    ("issuer", issuer.clone()),
                    ("deployment_id", deployment_id.clone()),
                ]
            }
            AppError::Launch(LaunchError::Deployment(d)) => vec![("deployment_id", d.clone())],
            AppError::Launch(e) => claim_args(e),
            AppError::Login(
                LoginError::Missing(p) | LoginError::NotUrl(p) | LoginError::TooLong(p),
            ) => {
                vec![("parameter", (*p).to_string())]
            }
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
        crate::web::templates::render_string("error.html", ctx).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the error page itself failed to render");
            format!(
                "<!doctype html><html lang=\"fr\"><title>Erreur</title><h1>Erreur {}</h1></html>",
                self.status_code().as_u16()
            )
        })
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Launch(e) => match e.kind() {
                RefusalKind::Malformed => StatusCode::BAD_REQUEST,
                RefusalKind::Unauthenticated => StatusCode::UNAUTHORIZED,
                RefusalKind::PlatformUnavailable => StatusCode::BAD_GATEWAY,
            },
            AppError::Login(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::NoCourse => StatusCode::FORBIDDEN,
            AppError::UnknownPlatform { .. } | AppError::UnknownDeployment { .. } => {
                StatusCode::BAD_REQUEST
            }
            AppError::RegistrationClosed | AppError::RegistrationInvite(_) => StatusCode::FORBIDDEN,
            AppError::Registration(DynamicRegistrationError::Parameter(_)) => {
                StatusCode::BAD_REQUEST
            }
            AppError::Registration(_) => StatusCode::BAD_GATEWAY,
            AppError::DeepLinking(_) => StatusCode::BAD_REQUEST,
            AppError::NoSession | AppError::SessionBinding => StatusCode::UNAUTHORIZED,
            AppError::Csrf | AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Store(_) | AppError::Template(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            AppError::Contract(e) => contract_status(e),
        }
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

/// The message code of a contract error (catalogue `error.<code>.*`).
fn contract_code(e: &ContractError) -> &'static str {
    match e {
        ContractError::Refused(Refusal::NotConfigured) => "contract.not_configured",
        ContractError::Refused(Refusal::Unrouted | Refusal::NotTheirs) => {
            "contract.not_your_formation"
        }
        ContractError::Refused(Refusal::Unknown)
        | ContractError::UnknownPage(_)
        | ContractError::NotStarted => "not_found",
        ContractError::NoQuestionnaire(_) => "contract.no_questionnaire",
        ContractError::ReadOnly => "contract.signed",
        ContractError::YearClosed(_) => "contract.year_closed",
        ContractError::HiddenPage(_) => "contract.hidden_page",
        ContractError::WrongState { .. } => "contract.wrong_state",
        ContractError::Tampered(_) => "contract.tampered",
        ContractError::Corrupt(_)
        | ContractError::Version(_)
        | ContractError::Course(_)
        | ContractError::Store(_) => "internal",
    }
}

fn contract_status(e: &ContractError) -> StatusCode {
    match contract_code(e) {
        "contract.not_your_formation" => StatusCode::FORBIDDEN,
        "contract.not_configured" | "not_found" => StatusCode::NOT_FOUND,
        "contract.no_questionnaire" => StatusCode::SERVICE_UNAVAILABLE,
        "contract.signed" | "contract.wrong_state" | "contract.year_closed" => StatusCode::CONFLICT,
        "contract.hidden_page" => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
