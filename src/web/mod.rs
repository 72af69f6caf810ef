//! The HTTP surface: route table, security headers, and the handlers of each area.

pub mod admin;
pub mod chrome;
pub mod contract;
pub mod deep_linking;
pub mod design;
pub mod error;
pub mod followup;
pub mod form;
pub mod lti;
pub mod pages;
pub mod registration;
pub mod response;
pub mod session;
pub mod staff;
pub mod templates;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;

use self::error::AppError;

/// Largest form body accepted (an id_token may be up to 64 KiB; answers are smaller).
pub const FORM_LIMIT: usize = 256 * 1024;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(FORM_LIMIT)
            .error_handler(|err, _req| AppError::BadRequest(err.to_string()).into()),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|err, _req| AppError::BadRequest(err.to_string()).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|_err, _req| AppError::NotFound.into()))
    .route("/", web::get().to(pages::landing))
    .route("/health", web::get().to(pages::health))
    .route("/static/{file}", web::get().to(pages::asset))
    // The LTI endpoints answer 405 (with `Allow`) to any other method.
    .service(
        web::resource("/.well-known/jwks.json")
            .route(web::get().to(lti::jwks))
            .default_service(web::to(|| not_allowed("GET"))),
    )
    .service(
        web::resource("/lti/login")
            .route(web::get().to(lti::login_get))
            .route(web::post().to(lti::login_post))
            .default_service(web::to(|| not_allowed("GET, POST"))),
    )
    .service(
        web::resource("/lti/launch")
            .route(web::post().to(lti::launch))
            .default_service(web::to(|| not_allowed("POST"))),
    )
    .service(
        web::resource("/lti/register")
            .route(web::get().to(registration::register))
            .default_service(web::to(|| not_allowed("GET"))),
    )
    .service(
        web::scope("/s/{token}")
            .route("/", web::get().to(pages::home))
            .route("/deep-linking", web::post().to(deep_linking::place))
            .route("/admin/deliveries", web::get().to(admin::deliveries))
            .route("/admin/deliveries/retry", web::post().to(admin::retry))
            .route("/admin/registrations", web::get().to(admin::registrations))
            .route(
                "/admin/registrations/{id}",
                web::get().to(admin::carry_over_plan),
            )
            .route(
                "/admin/registrations/{id}/reprendre",
                web::post().to(admin::carry_over),
            )
            // The student's contract (web/contract/).
            .route("/formation", web::post().to(contract::home::choose))
            .route("/contrat/{code}/", web::get().to(contract::overview::show))
            .route(
                "/contrat/{code}/commencer",
                web::post().to(contract::overview::start),
            )
            .route(
                "/contrat/{code}/reprendre",
                web::get().to(contract::overview::resume),
            )
            .route(
                "/contrat/{code}/page/{page}",
                web::get().to(contract::page::show),
            )
            .route(
                "/contrat/{code}/page/{page}",
                web::post().to(contract::page::submit),
            )
            .route(
                "/contrat/{code}/recapitulatif",
                web::get().to(contract::summary::show),
            )
            .route(
                "/contrat/{code}/signer",
                web::post().to(contract::summary::sign),
            )
            .route(
                "/contrats/{id}/imprimer",
                web::get().to(contract::print::show),
            )
            // The designer's configuration screens (web/design/).
            .configure(design::routes)
            // The follow-up screens of staff (web/followup/).
            .configure(followup::routes),
    );
}

async fn not_allowed(allowed: &'static str) -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed(allowed))
}

/// Headers on every response. Sessions live in the URL, so no referrer ever leaves a page;
/// the tool is meant to be framed by Moodle, and a page is useless without its secret URL.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; frame-ancestors *",
        ))
}
