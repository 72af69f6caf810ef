//! The printable contract: one of the student's own signed contracts (any year), as it was signed, with its number and fingerprint; print CSS, no navigation.

use actix_web::{HttpResponse, web};
use minijinja::context;

use crate::contract::ContractError;
use crate::contract::student::{self, SignedView};
use crate::state::AppState;
use crate::web::error::{AppError, AppResult};

use super::super::session::Session;
use super::super::templates::{render, ser};
use super::student_of;
use crate::store::ids::ContractId;
use crate::web::chrome::base_context;
use crate::web::form::IdPath;

/// `GET /s/{token}/contrats/{id}/imprimer`: 404 unless the contract is the session user's
/// and was signed.
pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<IdPath<ContractId>>,
) -> AppResult<HttpResponse> {
    let student = student_of(&session)?;
    let id = path.into_inner().id;
    if id.len() > 64 {
        return Err(AppError::NotFound);
    }
    let view: Option<SignedView> = state
        .db
        .run(move |conn| {
            Ok((|| -> Result<Option<SignedView>, ContractError> {
                match student::own_contract(conn, &student, &id)? {
                    Some(c) => student::signed_view(conn, c),
                    None => Ok(None),
                }
            })())
        })
        .await??;
    let Some(v) = view else {
        return Err(AppError::NotFound);
    };
    let summary = v.questionnaire.summary(&v.env, &v.content.answers);
    let ctx = context! {
        content => ser(&v.content),
        fingerprint => v.fingerprint,
        signed_at => v.contract.signed_at,
        state => v.contract.state.as_str(),
        validated_at => v.contract.validated_at,
        summary => ser(summary),
        back_url => format!("{}/", session.base()),
        ..base_context(&session)
    };
    Ok(render("contract/print.html", ctx)?)
}
