//! Responses every area sends: a 303 after a form, a rendered page with its status.

use actix_web::HttpResponse;
use actix_web::http::header;
use minijinja::Value;

use super::error::AppResult;

/// A 303 to `location` (after a POST, or to resume).
pub fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A rendered page with a status other than 200.
pub fn with_status(
    status: actix_web::http::StatusCode,
    name: &str,
    ctx: Value,
) -> AppResult<HttpResponse> {
    let body = super::templates::render_string(name, ctx)?;
    Ok(HttpResponse::build(status)
        .content_type(header::ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
