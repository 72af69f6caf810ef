//! The tool session after a launch: carried by the URL (`/s/{token}/…`, works when the browser
//! blocks third-party cookies, one per tab) and bound to the browser by a partitioned cookie
//! whenever the browser keeps it. CSRF tokens for forms.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use cookie::{Cookie, SameSite, time::Duration as CookieDuration};

use crate::lti::launch::{Launch, MessageType};
use crate::lti::oidc::hash_secret;
use crate::lti::roles::ToolRole;
use crate::state::AppState;
use crate::store::DbConn;
use crate::store::contexts::Context;
use crate::store::sessions::{self, Binding, SessionRow};
use crate::store::users::User;
use crate::web::error::AppError;

/// A valid session, extracted from the `{token}` path segment. `Session` (the default) is a
/// session in a course: its extractor refuses a launch made outside any course with a page
/// saying to open the activity from a course. [`AnySession`] is any session, with or without
/// a course (the home page and the administrator's pages).
#[derive(Debug, Clone)]
pub struct Session<C = Context> {
    /// The secret token of the URL.
    pub token: String,
    pub row: SessionRow,
    pub launch: Launch,
    pub tool_role: ToolRole,
    pub user: User,
    /// The course (`Context`), or `Option<Context>` for [`AnySession`].
    pub context: C,
    /// The timezone pages show times in (`Settings::timezone`).
    pub tz: chrono_tz::Tz,
}

/// A session with or without a course.
pub type AnySession = Session<Option<Context>>;

impl AnySession {
    /// The session in its course; a launch made outside any course is refused.
    pub fn in_course(mut self) -> Result<Session, AppError> {
        let context = self.context.take().ok_or(AppError::NoCourse)?;
        Ok(Session {
            token: self.token,
            row: self.row,
            launch: self.launch,
            tool_role: self.tool_role,
            user: self.user,
            context,
            tz: self.tz,
        })
    }
}

impl<C> Session<C> {
    /// The URL prefix of every page of this session.
    pub fn base(&self) -> String {
        format!("/s/{}", self.token)
    }

    pub fn is_deep_linking(&self) -> bool {
        self.launch.message_type == MessageType::DeepLinking
    }

    /// Checks the CSRF token of a submitted form.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), AppError> {
        let expected = self.row.csrf_token.as_bytes();
        match submitted {
            Some(s)
                if aws_lc_rs::constant_time::verify_slices_are_equal(s.as_bytes(), expected)
                    .is_ok() =>
            {
                Ok(())
            }
            _ => Err(AppError::Csrf),
        }
    }

    /// The language of the pages (from the launch's locale when a catalogue exists).
    pub fn lang(&self) -> &'static str {
        crate::i18n::pick(
            self.launch
                .launch_presentation
                .as_ref()
                .and_then(|p| p.locale.as_deref()),
        )
    }
}

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
        Box::pin(async move { extract(&req).await?.in_course() })
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
    let key = SessionKey::of(req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    state.db.run(move |conn| Ok(key.open_any(conn))).await?
}

/// What a request presents for a session before the store is asked: the URL token and the
/// binding cookie's secret (hashed). A handler that needs the database anyway takes this
/// instead of `Session` and opens it in its own database call (one blocking hop, not two).
#[derive(Debug)]
pub struct SessionKey {
    token: String,
    /// SHA-256 (hex) of the token: the stored session's id.
    id: String,
    cookie_hash: Option<String>,
    tz: chrono_tz::Tz,
}

impl SessionKey {
    pub fn of(req: &HttpRequest) -> Result<Self, AppError> {
        let token = req.match_info().get("token").unwrap_or_default();
        if token.is_empty() || token.len() > 128 {
            return Err(AppError::NoSession);
        }
        let id = hash_secret(token);
        // The binding cookie's secret, hashed, if the browser sent it (its name derives from
        // the id).
        let cookie_hash = req
            .cookie(&binding_cookie_name(&id))
            .map(|c| hash_secret(c.value()));
        let tz = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.timezone())
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
        Ok(Self {
            token: token.to_string(),
            id,
            cookie_hash,
            tz,
        })
    }

    /// The valid session in a course this key opens (see [`SessionKey::open_any`]); a launch
    /// made outside any course is refused. Blocking.
    pub fn open(self, conn: &mut DbConn) -> Result<Session, AppError> {
        self.open_any(conn)?.in_course()
    }

    /// The valid session this key opens (one query: the session, its user and its course if
    /// any), refused when it expired or when its browser binding does not match. Blocking.
    pub fn open_any(self, conn: &mut DbConn) -> Result<AnySession, AppError> {
        let Some((row, user, context)) = sessions::find_valid_with_people(conn, &self.id)? else {
            return Err(AppError::NoSession);
        };
        let cookie_matches = self.cookie_hash.as_deref() == Some(row.binding_hash.as_str());
        if row.binding_state == Binding::Cookie && !cookie_matches {
            return Err(AppError::SessionBinding);
        }
        let (launch, tool_role) = (row.launch.0.clone(), row.tool_role);
        Ok(Session {
            token: self.token,
            row,
            launch,
            tool_role,
            user,
            context,
            tz: self.tz,
        })
    }
}

impl FromRequest for SessionKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<SessionKey, AppError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(SessionKey::of(req))
    }
}
