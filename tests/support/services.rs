//! The test platform's LTI Advantage services, with Moodle 5.1's rules (see
//! `tests/fixtures/moodle/` and Moodle's `mod/lti/token.php`, `mod/lti/service/*`,
//! `openid-registration.php`): the token endpoint, AGS line items and scores, NRPS
//! memberships, Dynamic Registration, the Deep Linking return page and a REST web service
//! double. Every request is recorded; knobs make the platform fail.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::PlatformState;

pub const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
pub const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
pub const SCOPE_LINEITEM_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
pub const SCOPE_RESULT: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
pub const SCOPE_NRPS: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
pub const MEDIA_SCORE: &str = "application/vnd.ims.lis.v1.score+json";
pub const MEDIA_LINEITEM: &str = "application/vnd.ims.lis.v2.lineitem+json";
pub const MEDIA_LINEITEMS: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
pub const MEDIA_NRPS: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/// The sesskey of the captured deep linking return URL.
pub const DL_SESSKEY: &str = "oATJkzEgy1";

/// One request received by a service.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub authorization: Option<String>,
    pub body: String,
    pub status: u16,
}

/// A line item of the platform's gradebook.
#[derive(Debug, Clone)]
pub struct LineItem {
    pub id: u64,
    pub context: String,
    pub label: String,
    pub score_maximum: f64,
    pub resource_id: String,
    pub tag: String,
    pub resource_link_id: Option<String>,
}

/// A grade as Moodle stores it: `timemodified` in whole seconds (None when cleared).
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub score: Option<f64>,
    pub maximum: Option<f64>,
    pub timemodified: Option<i64>,
    pub comment: Option<String>,
    pub activity_progress: String,
    pub grading_progress: String,
}

/// A Deep Linking response received at the return URL, verified like Moodle does.
#[derive(Debug, Clone)]
pub struct DeepLinkReturn {
    pub query: String,
    pub result: Result<Value, String>,
}

/// The REST web service double: its token, the course groups and their members.
#[derive(Debug, Clone, Default)]
pub struct WebServiceDouble {
    pub token: String,
    /// Moodle course id → groups (`core_group_get_course_groups` items).
    pub groups: HashMap<i64, Vec<Value>>,
    /// Group id → user ids.
    pub members: HashMap<i64, Vec<i64>>,
    /// Moodle course id → enrolled users with their course roles (`core_enrol_get_enrolled_users`
    /// items); a course absent here answers Moodle's access exception (the function is not
    /// in the token's service).
    pub enrolled: HashMap<i64, Vec<Value>>,
}

/// The services Moodle turns on for a dynamically registered tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredServices {
    /// `ltiservice_gradesynchronization`: 0 none, 1 grade sync, 2 grade sync and column
    /// management (the « accept grades » services).
    pub grade_sync: u8,
    /// `ltiservice_memberships`.
    pub memberships: bool,
}

#[derive(Debug, Clone)]
struct Issued {
    scopes: Vec<String>,
}

/// Everything the services keep, and the knobs.
pub struct Services {
    pub requests: Mutex<Vec<Recorded>>,
    tokens: Mutex<HashMap<String, Issued>>,
    /// Client assertions verified by the token endpoint (their claims).
    pub assertions: Mutex<Vec<Value>>,
    /// The key id of every tool JWT verified (client assertions, deep linking responses).
    pub verified_kids: Mutex<Vec<String>>,
    pub token_requests: AtomicUsize,
    pub line_items: Mutex<Vec<LineItem>>,
    next_line_item: AtomicUsize,
    /// (line item id, user id) → grade.
    pub grades: Mutex<HashMap<(u64, String), Grade>>,
    /// Users without a gradebook role in the course (Moodle answers 400 to their scores).
    pub not_gradable: Mutex<HashSet<String>>,
    /// The course roster served by NRPS (members as JSON), in order.
    pub roster: Mutex<Vec<Value>>,
    /// Serve at most this many members per page, whatever `limit` asks.
    pub nrps_page_cap: Mutex<Option<usize>>,
    /// Answer this status to the next N AGS/NRPS calls (503 by default).
    pub fail_next: AtomicUsize,
    /// Calls let through before `fail_next` applies.
    pub fail_skip: AtomicUsize,
    pub fail_status: Mutex<u16>,
    pub fail_retry_after: Mutex<Option<String>>,
    /// Answer 503 to the next N token requests.
    pub token_fail_next: AtomicUsize,
    /// Store the score, then wait this long before answering.
    pub score_delay: Mutex<Option<Duration>>,
    /// Keep the platform's own time as a grade's `timemodified` (Moodle does so for an
    /// activity's grade item) instead of the score's timestamp (a line item made by the tool).
    pub grades_store_server_time: std::sync::atomic::AtomicBool,
    /// The OpenID configuration served instead of the captured one.
    pub openid_config: Mutex<Option<Value>>,
    /// Registration tokens already used (Moodle: the client id is taken).
    used_registrations: Mutex<HashSet<String>>,
    /// Registration requests Moodle accepted (their bodies).
    pub registrations: Mutex<Vec<Value>>,
    /// What each dynamically registered tool (client id) was given, as Moodle's
    /// `registration_helper` decides it from the requested scopes.
    pub registered_services: Mutex<HashMap<String, RegisteredServices>>,
    /// The registration answer sent instead of Moodle's (after the checks).
    pub registration_answer: Mutex<Option<Value>>,
    pub deep_link_returns: Mutex<Vec<DeepLinkReturn>>,
    pub web_service: Mutex<WebServiceDouble>,
    http: reqwest::Client,
}

impl Services {
    pub fn new() -> Services {
        let line_item = LineItem {
            id: 2,
            context: "2".into(),
            label: "Outil LTI (lab)".into(),
            score_maximum: 100.0,
            resource_id: String::new(),
            tag: String::new(),
            resource_link_id: Some("1".into()),
        };
        let roster = fixture_roster();
        Services {
            requests: Mutex::default(),
            tokens: Mutex::default(),
            assertions: Mutex::default(),
            verified_kids: Mutex::default(),
            token_requests: AtomicUsize::new(0),
            line_items: Mutex::new(vec![line_item]),
            next_line_item: AtomicUsize::new(10),
            grades: Mutex::default(),
            not_gradable: Mutex::new(["2", "5", "6"].iter().map(|s| s.to_string()).collect()),
            roster: Mutex::new(roster),
            nrps_page_cap: Mutex::default(),
            fail_next: AtomicUsize::new(0),
            fail_skip: AtomicUsize::new(0),
            fail_status: Mutex::new(503),
            fail_retry_after: Mutex::default(),
            token_fail_next: AtomicUsize::new(0),
            score_delay: Mutex::default(),
            grades_store_server_time: std::sync::atomic::AtomicBool::new(false),
            openid_config: Mutex::default(),
            used_registrations: Mutex::default(),
            registrations: Mutex::default(),
            registered_services: Mutex::default(),
            registration_answer: Mutex::default(),
            deep_link_returns: Mutex::default(),
            web_service: Mutex::default(),
            http: reqwest::Client::new(),
        }
    }

    /// Invalidates every token issued: the next service call with one gets 401.
    pub fn revoke_tokens(&self) {
        self.tokens.lock().unwrap().clear();
    }

    /// Requests received whose path ends with `suffix` (and the method, when given).
    pub fn requests_to(&self, method: &str, suffix: &str) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .cloned()
            .collect()
    }

    /// Score POSTs received, with the status answered.
    pub fn score_posts(&self) -> Vec<Recorded> {
        self.requests_to("POST", "/scores")
    }

    pub fn grade(&self, line_item: u64, user: &str) -> Option<Grade> {
        self.grades
            .lock()
            .unwrap()
            .get(&(line_item, user.to_string()))
            .cloned()
    }

    /// Fails the next `n` AGS/NRPS calls with `status` (and a `Retry-After`).
    pub fn fail_next(&self, n: usize, status: u16, retry_after: Option<&str>) {
        *self.fail_status.lock().unwrap() = status;
        *self.fail_retry_after.lock().unwrap() = retry_after.map(str::to_string);
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// Lets `skip` AGS/NRPS calls through, then fails `n` with `status`.
    pub fn fail_after(&self, skip: usize, n: usize, status: u16) {
        self.fail_skip.store(skip, Ordering::SeqCst);
        self.fail_next(n, status, None);
    }

    /// Adds `n` learners to the roster (`sub` 1000, 1001…).
    pub fn add_learners(&self, n: usize) {
        let mut roster = self.roster.lock().unwrap();
        for i in 0..n {
            let id = 1000 + i;
            roster.push(json!({
                "status": "Active", "roles": ["Learner"], "user_id": id.to_string(),
                "lis_person_sourcedid": format!("E{id}"), "name": format!("Étudiant {id}"),
                "given_name": "Étudiant", "family_name": format!("N{id:05}"),
                "email": format!("e{id}@example.com"), "ext_user_username": format!("e{id}"),
            }));
        }
    }

    fn record(&self, req: &HttpRequest, body: &[u8], status: u16) {
        let h = |name: header::HeaderName| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        self.requests.lock().unwrap().push(Recorded {
            method: req.method().to_string(),
            path: req.path().to_string(),
            query: req.query_string().to_string(),
            content_type: h(header::CONTENT_TYPE),
            accept: h(header::ACCEPT),
            authorization: h(header::AUTHORIZATION),
            body: String::from_utf8_lossy(body).into_owned(),
            status,
        });
    }

    /// The scopes of the request's bearer token, if it is one this platform issued.
    fn bearer(&self, req: &HttpRequest) -> Option<Vec<String>> {
        let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
        let token = value.strip_prefix("Bearer ")?;
        self.tokens
            .lock()
            .unwrap()
            .get(token)
            .map(|i| i.scopes.clone())
    }

    fn take_failure(&self) -> Option<HttpResponse> {
        let left = self.fail_next.load(Ordering::SeqCst);
        if left == 0 {
            return None;
        }
        let skip = self.fail_skip.load(Ordering::SeqCst);
        if skip > 0 {
            self.fail_skip.store(skip - 1, Ordering::SeqCst);
            return None;
        }
        self.fail_next.store(left - 1, Ordering::SeqCst);
        let status = *self.fail_status.lock().unwrap();
        let mut response =
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
        if let Some(after) = self.fail_retry_after.lock().unwrap().clone() {
            response.insert_header((header::RETRY_AFTER, after));
        }
        Some(response.body("Service unavailable"))
    }
}

impl Default for Services {
    fn default() -> Self {
        Self::new()
    }
}

fn fixture_roster() -> Vec<Value> {
    let path = format!(
        "{}/tests/fixtures/moodle/nrps.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["response"]["body"]["members"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The registered routes of the services.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/mod/lti/token.php", web::post().to(token))
        .route("/mod/lti/services.php/{tail:.*}", web::route().to(services))
        .route(
            "/mod/lti/openid-configuration.php",
            web::get().to(openid_configuration),
        )
        .route(
            "/mod/lti/openid-registration.php",
            web::post().to(openid_registration),
        )
        .route(
            "/mod/lti/contentitem_return.php",
            web::post().to(contentitem_return),
        )
        .route("/webservice/rest/server.php", web::post().to(rest_server));
}

fn json_response(status: u16, content_type: &str, body: &Value) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .insert_header((
            header::CONTENT_TYPE,
            format!("{content_type}; charset=utf-8"),
        ))
        .body(serde_json::to_string(body).unwrap())
}

fn content_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn accept(req: &HttpRequest) -> String {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

/// Fetches the tool's JWKS and verifies a JWT signed by the tool (by `kid`).
async fn verify_tool_jwt(
    state: &PlatformState,
    jwt: &str,
    audience: Option<&str>,
) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|e| format!("header: {e}"))?;
    if header.alg != Algorithm::RS256 {
        return Err(format!("alg {:?}", header.alg));
    }
    let kid = header.kid.ok_or("no kid")?;
    let url = state.tool_jwks_url.lock().unwrap().clone();
    let set: jsonwebtoken::jwk::JwkSet = state
        .services
        .http
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("tool JWKS: {e}"))?
        .json()
        .await
        .map_err(|e| format!("tool JWKS: {e}"))?;
    let jwk = set
        .find(&kid)
        .ok_or(format!("kid {kid} not in the tool's JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    match audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    validation.set_required_spec_claims(&["exp", "iat"]);
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| format!("signature or claims: {e}"))?;
    state.services.verified_kids.lock().unwrap().push(kid);
    Ok(claims)
}

fn token_error(error: &str) -> HttpResponse {
    json_response(400, "application/json", &json!({ "error": error }))
}

/// `mod/lti/token.php`: form-encoded client credentials with a JWT assertion verified
/// against the tool's JWKS; non-empty scope; Moodle's answer.
async fn token(
    state: web::Data<PlatformState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let services = &state.services;
    services.token_requests.fetch_add(1, Ordering::SeqCst);
    let response = token_answer(&state, &req, &body).await;
    services.record(&req, &body, response.status().as_u16());
    response
}

async fn token_answer(state: &PlatformState, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let services = &state.services;
    let left = services.token_fail_next.load(Ordering::SeqCst);
    if left > 0 {
        services.token_fail_next.store(left - 1, Ordering::SeqCst);
        return HttpResponse::ServiceUnavailable().body("down");
    }
    if content_type(req) != "application/x-www-form-urlencoded" {
        return token_error("invalid_request");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (assertion, kind, grant, scope) = (
        get("client_assertion"),
        get("client_assertion_type"),
        get("grant_type"),
        get("scope"),
    );
    if assertion.is_empty() || kind.is_empty() || grant.is_empty() || scope.trim().is_empty() {
        return token_error("invalid_request");
    }
    if kind != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        || grant != "client_credentials"
    {
        return token_error("unsupported_grant_type");
    }
    let claims = match verify_tool_jwt(state, &assertion, None).await {
        Ok(c) => c,
        Err(_) => return token_error("invalid_client"),
    };
    let client = claims["sub"].as_str().unwrap_or_default().to_string();
    let registered = services
        .registered_services
        .lock()
        .unwrap()
        .get(&client)
        .cloned();
    if client != state.client_id() && registered.is_none() {
        return token_error("invalid_client");
    }
    services.assertions.lock().unwrap().push(claims);
    let permitted = [
        SCOPE_SCORE,
        SCOPE_LINEITEM,
        SCOPE_LINEITEM_READONLY,
        SCOPE_RESULT,
        SCOPE_NRPS,
    ];
    // A dynamically registered tool gets only the services its registration enabled
    // (Moodle's `ltiservice_gradesynchronization` and `ltiservice_memberships`).
    let enabled = |s: &str| match &registered {
        None => true,
        Some(r) => match s {
            SCOPE_LINEITEM => r.grade_sync >= 2,
            SCOPE_NRPS => r.memberships,
            _ => r.grade_sync >= 1,
        },
    };
    let scopes: Vec<String> = scope
        .split(' ')
        .filter(|s| permitted.contains(s) && enabled(s))
        .map(str::to_string)
        .collect();
    if scopes.is_empty() {
        return token_error("invalid_scope");
    }
    let token = format!("tok-{}", uuid::Uuid::new_v4().simple());
    services.tokens.lock().unwrap().insert(
        token.clone(),
        Issued {
            scopes: scopes.clone(),
        },
    );
    json_response(
        200,
        "application/json",
        &json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": scopes.join(" ")}),
    )
}

/// `mod/lti/services.php/…`: AGS line items and scores, NRPS memberships.
async fn services(
    state: web::Data<PlatformState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let response = service_answer(&state, &req, &body).await;
    state
        .services
        .record(&req, &body, response.status().as_u16());
    response
}

async fn service_answer(state: &PlatformState, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let services = &state.services;
    let tail: Vec<String> = req
        .match_info()
        .get("tail")
        .unwrap_or_default()
        .split('/')
        .map(str::to_string)
        .collect();
    let parts: Vec<&str> = tail.iter().map(String::as_str).collect();
    let method = req.method().as_str();
    let needed: &[&str] = match (method, parts.as_slice()) {
        ("POST", [_, "lineitems", _, "lineitem", "scores"]) => &[SCOPE_SCORE],
        ("POST", [_, "lineitems"]) => &[SCOPE_LINEITEM],
        ("GET", [_, "lineitems"]) | ("GET", [_, "lineitems", _, "lineitem"]) => {
            &[SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY]
        }
        ("GET", ["CourseSection", _, "bindings", _, "memberships"]) => &[SCOPE_NRPS],
        _ => return HttpResponse::NotFound().body("no such service"),
    };
    let Some(scopes) = services.bearer(req) else {
        return HttpResponse::Unauthorized().body("invalid access token");
    };
    if !needed.iter().any(|n| scopes.iter().any(|s| s == n)) {
        return HttpResponse::Unauthorized().body("scope not granted");
    }
    if let Some(failure) = services.take_failure() {
        return failure;
    }
    if method == "GET" && accept(req) == "application/json" {
        return HttpResponse::BadRequest().body("unsupported Accept");
    }
    match (method, parts.as_slice()) {
        ("POST", [context, "lineitems", id, "lineitem", "scores"]) => {
            post_score(state, req, body, context, id).await
        }
        ("POST", [context, "lineitems"]) => create_line_item(state, req, body, context),
        ("GET", [context, "lineitems"]) => list_line_items(state, req, context),
        ("GET", [context, "lineitems", id, "lineitem"]) => {
            let items = services.line_items.lock().unwrap();
            match items
                .iter()
                .find(|i| i.id.to_string() == *id && i.context == *context)
            {
                Some(item) => json_response(200, MEDIA_LINEITEM, &line_item_json(state, item)),
                None => HttpResponse::NotFound().finish(),
            }
        }
        ("GET", ["CourseSection", context, "bindings", type_id, "memberships"]) => {
            memberships(state, req, context, type_id)
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

fn line_item_json(state: &PlatformState, item: &LineItem) -> Value {
    json!({
        "id": format!("{}/mod/lti/services.php/{}/lineitems/{}/lineitem?type_id=1", state.issuer, item.context, item.id),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
        "resourceId": item.resource_id,
        "tag": item.tag,
        "resourceLinkId": item.resource_link_id.clone().unwrap_or_default(),
        "ltiLinkId": item.resource_link_id.clone().unwrap_or_default(),
    })
}

/// Moodle's score rules: exact content type, required fields, ISO 8601 timestamp, gradable
/// user, 409 when the timestamp is not newer (whole seconds), scoreGiven kept only when
/// FullyGraded, 200 with an empty body.
async fn post_score(
    state: &PlatformState,
    req: &HttpRequest,
    body: &[u8],
    context: &str,
    id: &str,
) -> HttpResponse {
    let services = &state.services;
    if content_type(req) != MEDIA_SCORE {
        return HttpResponse::BadRequest().body("unsupported content type");
    }
    let Some(item_id) = services
        .line_items
        .lock()
        .unwrap()
        .iter()
        .find(|i| i.id.to_string() == id && i.context == context)
        .map(|i| i.id)
    else {
        return HttpResponse::NotFound().body("Grade item doesn't exist");
    };
    let Ok(score) = serde_json::from_slice::<Value>(body) else {
        return HttpResponse::BadRequest().body("Incorrect score received");
    };
    let user = score["userId"].as_str().unwrap_or_default().to_string();
    let timestamp = score["timestamp"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let (Some(timestamp), Some(grading), Some(activity)) = (
        timestamp,
        score["gradingProgress"].as_str(),
        score["activityProgress"].as_str(),
    ) else {
        return HttpResponse::BadRequest().body("Incorrect score received");
    };
    if user.is_empty() || services.not_gradable.lock().unwrap().contains(&user) {
        return HttpResponse::BadRequest().body("Incorrect score received");
    }
    let seconds = timestamp.timestamp();
    {
        let mut grades = services.grades.lock().unwrap();
        let key = (item_id, user.clone());
        if let Some(existing) = grades.get(&key)
            && existing.timemodified.is_some_and(|t| t >= seconds)
        {
            return HttpResponse::Conflict().body(format!(
                "Refusing score with an earlier timestamp for item {item_id} and user {user}"
            ));
        }
        let given = score["scoreGiven"]
            .as_f64()
            .filter(|_| grading == "FullyGraded");
        let comment = score["comment"].as_str().map(str::to_string);
        let timemodified = if services.grades_store_server_time.load(Ordering::SeqCst) {
            // Moodle's update_raw_grade: no grade and no feedback → no date; else now.
            (given.is_some() || comment.is_some()).then(|| chrono::Utc::now().timestamp())
        } else {
            given.map(|_| seconds)
        };
        grades.insert(
            key,
            Grade {
                score: given,
                maximum: score["scoreMaximum"].as_f64(),
                timemodified,
                comment,
                activity_progress: activity.into(),
                grading_progress: grading.into(),
            },
        );
    }
    let delay = *services.score_delay.lock().unwrap();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            format!("{MEDIA_SCORE}; charset=utf-8"),
        ))
        .finish()
}

fn create_line_item(
    state: &PlatformState,
    req: &HttpRequest,
    body: &[u8],
    context: &str,
) -> HttpResponse {
    if content_type(req) != MEDIA_LINEITEM {
        return HttpResponse::BadRequest().body("No context or unsupported content type");
    }
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return HttpResponse::BadRequest().finish();
    };
    let (Some(max), Some(label)) = (json["scoreMaximum"].as_f64(), json["label"].as_str()) else {
        return HttpResponse::BadRequest().body("No label or Score Maximum");
    };
    let id = state.services.next_line_item.fetch_add(1, Ordering::SeqCst) as u64;
    let item = LineItem {
        id,
        context: context.into(),
        label: label.into(),
        score_maximum: max,
        resource_id: json["resourceId"].as_str().unwrap_or_default().into(),
        tag: json["tag"].as_str().unwrap_or_default().into(),
        resource_link_id: json["resourceLinkId"].as_str().map(str::to_string),
    };
    let answer = line_item_json(state, &item);
    state.services.line_items.lock().unwrap().push(item);
    json_response(201, MEDIA_LINEITEM, &answer)
}

fn list_line_items(state: &PlatformState, req: &HttpRequest, context: &str) -> HttpResponse {
    let wanted = accept(req);
    if !wanted.is_empty() && wanted != MEDIA_LINEITEMS {
        return HttpResponse::BadRequest().body("unsupported Accept");
    }
    let q = query(req);
    let items: Vec<Value> = state
        .services
        .line_items
        .lock()
        .unwrap()
        .iter()
        .filter(|i| i.context == context)
        .filter(|i| {
            q.get("resource_link_id")
                .is_none_or(|r| i.resource_link_id.as_deref() == Some(r.as_str()))
        })
        .filter(|i| q.get("tag").is_none_or(|t| &i.tag == t))
        .filter(|i| q.get("resource_id").is_none_or(|r| &i.resource_id == r))
        .map(|i| line_item_json(state, i))
        .collect();
    json_response(200, MEDIA_LINEITEMS, &json!(items))
}

/// NRPS: `limit`/`from` paging with `Link: <…>; rel="next"` (Moodle's format), `rlid` kept.
fn memberships(
    state: &PlatformState,
    req: &HttpRequest,
    context: &str,
    type_id: &str,
) -> HttpResponse {
    let wanted = accept(req);
    if !wanted.is_empty() && wanted != MEDIA_NRPS {
        return HttpResponse::BadRequest().body("unsupported Accept");
    }
    let q = query(req);
    let roster = state.services.roster.lock().unwrap().clone();
    let from: usize = q.get("from").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut limit: usize = q.get("limit").and_then(|v| v.parse().ok()).unwrap_or(0);
    if let Some(cap) = *state.services.nrps_page_cap.lock().unwrap() {
        limit = if limit == 0 { cap } else { limit.min(cap) };
    }
    let endpoint = format!(
        "{}/mod/lti/services.php/CourseSection/{context}/bindings/{type_id}/memberships",
        state.issuer
    );
    let (page, more) = if limit > 0 {
        let page: Vec<Value> = roster.iter().skip(from).take(limit).cloned().collect();
        (page, from + limit < roster.len())
    } else {
        (roster.clone(), false)
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CONTENT_TYPE, format!("{MEDIA_NRPS}; charset=utf-8")));
    if more {
        let mut next = format!("{endpoint}?limit={limit}&from={}", from + limit);
        if let Some(rlid) = q.get("rlid") {
            next.push_str(&format!("&rlid={rlid}"));
        }
        response.insert_header((header::LINK, format!("<{next}>; rel=\"next\"")));
    }
    response.body(
        serde_json::to_string(&json!({
            "id": endpoint,
            "context": {"id": context, "label": "L1-CONTRAT", "title": "L1 Contrat"},
            "members": page,
        }))
        .unwrap(),
    )
}

/// `mod/lti/openid-configuration.php`
async fn openid_configuration(state: web::Data<PlatformState>, req: HttpRequest) -> HttpResponse {
    state.services.record(&req, b"", 200);
    let config = state
        .services
        .openid_config
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| state.openid_configuration());
    json_response(200, "application/json", &config)
}

/// `mod/lti/openid-registration.php`: the registration token (signed by the platform, scope
/// `reg`, unused), the registration checks of Moodle's `registration_helper`, the answer.
async fn openid_registration(
    state: web::Data<PlatformState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let response = registration_answer(&state, &req, &body);
    state
        .services
        .record(&req, &body, response.status().as_u16());
    response
}

fn registration_answer(state: &PlatformState, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let Some(token) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return HttpResponse::Unauthorized().body("missing_registration_token");
    };
    let key = state.keys.active();
    let decoding = DecodingKey::from_jwk(&key.public_jwk).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    let Ok(claims) = jsonwebtoken::decode::<Value>(token, &decoding, &validation) else {
        return HttpResponse::Unauthorized().body("invalid registration token");
    };
    let client_id = claims.claims["sub"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if claims.claims["scope"] != "reg" || client_id.is_empty() {
        return HttpResponse::Unauthorized().body("invalid registration token");
    }
    if !state
        .services
        .used_registrations
        .lock()
        .unwrap()
        .insert(client_id.clone())
    {
        return HttpResponse::Unauthorized().body("token_already_used");
    }
    let Ok(payload) = serde_json::from_slice::<Value>(body) else {
        return HttpResponse::BadRequest().body("invalid JSON");
    };
    for field in [
        "response_types",
        "initiate_login_uri",
        "redirect_uris",
        "client_name",
        "jwks_uri",
        "token_endpoint_auth_method",
        "https://purl.imsglobal.org/spec/lti-tool-configuration",
    ] {
        if payload.get(field).is_none_or(|v| v.is_null() || v == "") {
            return HttpResponse::BadRequest().body(format!("missing required attribute {field}"));
        }
    }
    let tool = &payload["https://purl.imsglobal.org/spec/lti-tool-configuration"];
    for field in ["domain", "target_link_uri"] {
        if tool.get(field).is_none_or(|v| v.is_null() || v == "") {
            return HttpResponse::BadRequest().body(format!("missing required attribute {field}"));
        }
    }
    if !payload["response_types"]
        .as_array()
        .is_some_and(|a| a.contains(&json!("id_token")))
    {
        return HttpResponse::BadRequest().body("invalid_response_types");
    }
    if !payload["redirect_uris"].is_array() {
        return HttpResponse::BadRequest().body("invalid_redirect_uris");
    }
    if payload["token_endpoint_auth_method"] != "private_key_jwt" {
        return HttpResponse::BadRequest().body("invalid_token_endpoint_auth_method");
    }
    if payload.get("application_type").is_some_and(|a| a != "web") {
        return HttpResponse::BadRequest().body("invalid_application_type");
    }
    // Moodle: the domain must be the host (and port) of the target link URI.
    let target = url::Url::parse(tool["target_link_uri"].as_str().unwrap_or_default()).ok();
    let host = target.as_ref().map(|u| match u.port() {
        Some(port) => format!("{}:{port}", u.host_str().unwrap_or_default()),
        None => u.host_str().unwrap_or_default().to_string(),
    });
    if host.as_deref() != tool["domain"].as_str() {
        return HttpResponse::BadRequest().body("domain does not match the target link URI");
    }
    // Moodle's registration_helper::registration_to_config: the scopes turn services on.
    let requested: Vec<&str> = payload["scope"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let grade_sync = if requested.contains(&SCOPE_LINEITEM) {
        2
    } else if [SCOPE_SCORE, SCOPE_RESULT, SCOPE_LINEITEM_READONLY]
        .iter()
        .any(|s| requested.contains(s))
    {
        1
    } else {
        0
    };
    state.services.registered_services.lock().unwrap().insert(
        client_id.clone(),
        RegisteredServices {
            grade_sync,
            memberships: requested.contains(&SCOPE_NRPS),
        },
    );
    state
        .services
        .registrations
        .lock()
        .unwrap()
        .push(payload.clone());
    if let Some(answer) = state.services.registration_answer.lock().unwrap().clone() {
        return json_response(200, "application/json", &answer);
    }
    let messages: Vec<Value> = tool["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["type"] == "LtiDeepLinkingRequest")
        .map(|m| json!({"type": "LtiDeepLinkingRequest", "target_link_uri": m["target_link_uri"]}))
        .collect();
    json_response(
        200,
        "application/json",
        &json!({
            "client_id": client_id,
            "response_types": ["id_token"],
            "jwks_uri": payload["jwks_uri"],
            "initiate_login_uri": payload["initiate_login_uri"],
            "grant_types": ["client_credentials", "implicit"],
            "redirect_uris": payload["redirect_uris"],
            "application_type": "web",
            "token_endpoint_auth_method": "private_key_jwt",
            "client_name": payload["client_name"],
            "logo_uri": "",
            "scope": payload["scope"],
            "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                "version": "1.3.0",
                "deployment_id": state.deployment_id,
                "target_link_uri": tool["target_link_uri"],
                "domain": tool["domain"],
                "description": tool["description"],
                "messages": messages,
                "custom_parameters": tool["custom_parameters"],
                "claims": ["sub", "iss", "name", "family_name", "middle_name", "email"],
            },
        }),
    )
}

/// `mod/lti/contentitem_return.php`: the Deep Linking response, verified against the tool's
/// JWKS (signature, `iss` = client_id, `aud` = issuer, type, version, deployment, nonce).
async fn contentitem_return(
    state: web::Data<PlatformState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let q = query(&req);
    let result = match form.get("JWT") {
        None => Err("no JWT field".to_string()),
        Some(_) if q.get("sesskey").map(String::as_str) != Some(DL_SESSKEY) => {
            Err("query string lost (sesskey)".into())
        }
        Some(jwt) => verify_tool_jwt(&state, jwt, Some(&state.issuer))
            .await
            .and_then(|claims| {
                let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
                check(claims["iss"] == json!(state.client_id()), "iss")?;
                check(
                    claims["https://purl.imsglobal.org/spec/lti/claim/message_type"]
                        == "LtiDeepLinkingResponse",
                    "message_type",
                )?;
                check(
                    claims["https://purl.imsglobal.org/spec/lti/claim/version"] == "1.3.0",
                    "version",
                )?;
                check(
                    claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"]
                        == json!(state.deployment_id),
                    "deployment_id",
                )?;
                check(
                    claims["nonce"].as_str().is_some_and(|n| !n.is_empty()),
                    "nonce",
                )?;
                Ok(claims)
            }),
    };
    let ok = result.is_ok();
    state
        .services
        .deep_link_returns
        .lock()
        .unwrap()
        .push(DeepLinkReturn {
            query: req.query_string().to_string(),
            result,
        });
    let status = if ok { 200 } else { 400 };
    state.services.record(&req, &body, status);
    if ok {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body("<html><body>Contenu ajouté</body></html>")
    } else {
        HttpResponse::BadRequest().body("invalid deep linking response")
    }
}

/// `webservice/rest/server.php`: Moodle's REST protocol (errors as 200 + `exception`).
async fn rest_server(
    state: web::Data<PlatformState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut params: Vec<(String, String)> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    params.extend(url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned());
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ws = state.services.web_service.lock().unwrap().clone();
    let answer = if ws.token.is_empty() || get("wstoken") != ws.token {
        json!({"exception": "moodle_exception", "errorcode": "invalidtoken", "message": "Invalid token - token not found"})
    } else if get("moodlewsrestformat") != "json" {
        json!({"exception": "moodle_exception", "errorcode": "invalidformat", "message": "Only JSON here"})
    } else {
        match get("wsfunction").as_str() {
            "core_group_get_course_groups" => {
                let course: i64 = get("courseid").parse().unwrap_or(0);
                json!(ws.groups.get(&course).cloned().unwrap_or_default())
            }
            "core_group_get_group_members" => {
                let ids: Vec<i64> = params
                    .iter()
                    .filter(|(n, _)| n.starts_with("groupids["))
                    .filter_map(|(_, v)| v.parse().ok())
                    .collect();
                json!(ids
                    .iter()
                    .map(|id| json!({"groupid": id, "userids": ws.members.get(id).cloned().unwrap_or_default()}))
                    .collect::<Vec<_>>())
            }
            "core_enrol_get_enrolled_users"
                if get("options[0][name]") == "userfields"
                    && ws
                        .enrolled
                        .contains_key(&get("courseid").parse().unwrap_or(0)) =>
            {
                let course: i64 = get("courseid").parse().unwrap_or(0);
                json!(ws.enrolled[&course])
            }
            _ => {
                json!({"exception": "webservice_access_exception", "errorcode": "accessexception", "message": "Access control exception"})
            }
        }
    };
    state.services.record(&req, &body, 200);
    json_response(200, "application/json", &answer)
}

/// Shares the services of a platform (`Arc` so that every worker of its server sees them).
pub type SharedServices = Arc<Services>;
