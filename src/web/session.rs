//! The tool session in HTTP terms: carried by the URL (`/s/{token}/…`, works when the browser
//! blocks third-party cookies, one per tab) and bound to the browser by a partitioned cookie
//! whenever the browser keeps it; the extractors that open it (`launch::session`).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use cookie::{Cookie, SameSite, time::Duration as CookieDuration};

pub use crate::launch::session::{AnySession, Session, SessionKey};
use crate::lti::oidc::hash_secret;
use crate::state::AppState;
use crate::web::error::AppError;

/// Name of the cookie that binds a session to the browser (one per session).
pub fn binding_cookie_name(session_id: &str) -> String {
    format!("cpre_b_{}", &session_id[..session_id.len().min(16)])
}

/// Name of the cookie that marks the browser which started a login (one per state).
pub fn state_cookie_name(state: &str) -> String {
    let hash = hash_secret(state);
    format!("cpre_st_{}", &hash[..16])
}

/// A `Set-Cookie` header value for a cookie that survives inside a cross-site iframe where
/// the browser allows it: `SameSite=None; Secure; Partitioned` (CHIPS) over HTTPS;
/// `SameSite=Lax` over plain HTTP (local use). A zero `max_age_secs` removes the cookie.
/// (actix-web's cookie type predates `Partitioned`, hence the `cookie` crate itself.)
pub fn cross_site_cookie(
    name: String,
    value: String,
    https: bool,
    max_age_secs: i64,
    path: &str,
) -> (&'static str, String) {
    let mut cookie = Cookie::build((name, value))
        .path(path.to_string())
        .http_only(true)
        .max_age(CookieDuration::seconds(max_age_secs))
        .build();
    if https {
        cookie.set_secure(true);
        cookie.set_same_site(SameSite::None);
        cookie.set_partitioned(true);
    } else {
        cookie.set_same_site(SameSite::Lax);
    }
    ("Set-Cookie", cookie.to_string())
}

impl FromRequest for Session {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Session, AppError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(extract(&req).await?.in_course()?) })
    }
}

impl FromRequest for AnySession {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<AnySession, AppError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { extract(&req).await })
    }
}

async fn extract(req: &HttpRequest) -> Result<AnySession, AppError> {
    let key = key_of(req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    Ok(state.db.run(move |conn| Ok(key.open_any(conn))).await??)
}

/// The session key of a request: the `{token}` path segment and the binding cookie the
/// browser sent for it.
pub fn key_of(req: &HttpRequest) -> Result<SessionKey, AppError> {
    let token = req.match_info().get("token").unwrap_or_default();
    let tz = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.timezone())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    Ok(SessionKey::new(token, tz, |id| {
        req.cookie(&binding_cookie_name(id))
            .map(|c| c.value().to_owned())
    })?)
}

impl FromRequest for SessionKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<SessionKey, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(key_of(req))
    }
}
