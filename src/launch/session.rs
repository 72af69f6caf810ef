//! Opening the tool session a request carries: found by the hash of its URL token, refused
//! when it expired or when its browser binding does not match; a session in a course, or any
//! session (with or without a course). CSRF tokens of its forms.

use crate::lti::launch::{Launch, MessageType};
use crate::lti::oidc::hash_secret;
use crate::lti::roles::ToolRole;
use crate::store::contexts::Context;
use crate::store::sessions::{self, Binding, SessionRow};
use crate::store::users::User;
use crate::store::{DbConn, StoreError};

/// Why a request's session was refused.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No valid session for this token (unknown, expired, malformed).
    #[error("no valid session for this token")]
    NoSession,
    /// The session is bound to a browser cookie this request did not present.
    #[error("the session's browser binding does not match")]
    Binding,
    /// A page of a course asked with a session opened outside any course.
    #[error("the session has no course")]
    NoCourse,
    /// A form without this session's CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A valid session. `Session` (the default) is a session in a course; [`AnySession`] is any
/// session, with or without a course (the home page and the administrator's pages).
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
    pub fn in_course(mut self) -> Result<Session, SessionError> {
        let context = self.context.take().ok_or(SessionError::NoCourse)?;
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

    /// Checks the CSRF token of a submitted form (constant-time comparison).
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), SessionError> {
        let expected = self.row.csrf_token.as_bytes();
        match submitted {
            Some(s)
                if aws_lc_rs::constant_time::verify_slices_are_equal(s.as_bytes(), expected)
                    .is_ok() =>
            {
                Ok(())
            }
            _ => Err(SessionError::Csrf),
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

/// What a request presents for a session before the store is asked: the URL token and the
/// binding cookie's secret (hashed). A handler that needs the database anyway opens it in
/// its own database call (one blocking hop, not two).
#[derive(Debug)]
pub struct SessionKey {
    token: String,
    /// SHA-256 (hex) of the token: the stored session's id.
    id: String,
    cookie_hash: Option<String>,
    tz: chrono_tz::Tz,
}

impl SessionKey {
    /// The key of URL token `token`; `binding_secret` gives the binding cookie's value the
    /// request carries, given the session id (the cookie's name derives from it).
    pub fn new(
        token: &str,
        tz: chrono_tz::Tz,
        binding_secret: impl FnOnce(&str) -> Option<String>,
    ) -> Result<Self, SessionError> {
        if token.is_empty() || token.len() > 128 {
            return Err(SessionError::NoSession);
        }
        let id = hash_secret(token);
        let cookie_hash = binding_secret(&id).map(|s| hash_secret(&s));
        Ok(Self {
            token: token.to_string(),
            id,
            cookie_hash,
            tz,
        })
    }

    /// The valid session in a course this key opens (see [`SessionKey::open_any`]); a launch
    /// made outside any course is refused. Blocking.
    pub fn open(self, conn: &mut DbConn) -> Result<Session, SessionError> {
        self.open_any(conn)?.in_course()
    }

    /// The valid session this key opens (one query: the session, its user and its course if
    /// any), refused when it expired or when its browser binding does not match. Blocking.
    pub fn open_any(self, conn: &mut DbConn) -> Result<AnySession, SessionError> {
        let Some((row, user, context)) = sessions::find_valid_with_people(conn, &self.id)? else {
            return Err(SessionError::NoSession);
        };
        let cookie_matches = self.cookie_hash.as_deref() == Some(row.binding_hash.as_str());
        if row.binding_state == Binding::Cookie && !cookie_matches {
            return Err(SessionError::Binding);
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
