//! The staff extractor: a session whose user is staff in the course (teacher, gestionnaire,
//! designer or platform administrator), with their scope resolved once per request.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::access::scope::{self, StaffScope};
use crate::state::AppState;
use crate::web::error::AppError;

use super::session::Session;

/// A staff member's request: the session and the scope it gives in the session's course.
#[derive(Debug, Clone)]
pub struct Staff {
    pub session: Session,
    pub scope: StaffScope,
}

impl Staff {
    /// Refuses unless the user is a designer of the course.
    pub fn require_designer(&self) -> Result<(), AppError> {
        if self.scope.designer {
            Ok(())
        } else {
            Err(AppError::Forbidden("designers_only"))
        }
    }
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Staff, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = <Session as FromRequest>::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let session = session.await?;
            let state = state
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            if session.is_deep_linking() {
                return Err(AppError::Forbidden("staff_only"));
            }
            let (context_id, user_id) = (session.context.id.clone(), session.user.id.clone());
            let (role, groups) = (session.tool_role, session.launch.group_ids.clone());
            let scope = state
                .db
                .run(move |conn| scope::resolve(conn, &context_id, &user_id, role, &groups))
                .await?
                .ok_or(AppError::Forbidden("staff_only"))?;
            Ok(Staff { session, scope })
        })
    }
}
