//! A test platform that behaves like Moodle 5.1 (see `tests/fixtures/moodle/`): its own RSA
//! keys and JWKS (rotatable), an OIDC auth endpoint that answers with the auto-submitted
//! form_post page, launches built from the captured Moodle payloads, and the LTI Advantage
//! services of `services.rs` (tokens, AGS, NRPS, Dynamic Registration, Deep Linking return,
//! a REST web service double).

#[path = "services.rs"]
pub mod services;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use cpre::lti::keys::{self, ToolKey};
use serde_json::{Map, Value, json};

/// The Moodle host in the captured fixtures, replaced by the test platform's own address.
const FIXTURE_HOST: &str = "http://127.0.0.1:8081";
/// The capture tool's launch URL in the fixtures, replaced by the tool under test's.
const FIXTURE_TOOL_LAUNCH: &str = "http://127.0.0.1:8090/launch";

/// Who launches, shaped by a captured Moodle launch.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    /// File in `tests/fixtures/moodle/` whose payload is the template.
    pub fixture: &'static str,
    /// Claims to replace (a `null` removes the claim), applied last.
    pub overrides: Map<String, Value>,
    /// The `groups` custom parameter (Moodle group ids).
    pub groups: Option<String>,
    /// The user id (`sub`, also the login_hint).
    pub sub: Option<String>,
}

impl LaunchSpec {
    pub fn from_fixture(fixture: &'static str) -> Self {
        LaunchSpec {
            fixture,
            overrides: Map::new(),
            groups: None,
            sub: None,
        }
    }
    pub fn student() -> Self {
        Self::from_fixture("launch-student.json")
    }
    pub fn teacher() -> Self {
        Self::from_fixture("launch-teacher.json")
    }
    pub fn editing_teacher() -> Self {
        Self::from_fixture("launch-editingteacher.json")
    }
    pub fn admin() -> Self {
        Self::from_fixture("launch-admin.json")
    }
    pub fn deep_linking() -> Self {
        Self::from_fixture("launch-deeplinking.json")
    }
    pub fn groups(mut self, groups: &str) -> Self {
        self.groups = Some(groups.to_string());
        self
    }
    pub fn sub(mut self, sub: &str) -> Self {
        self.sub = Some(sub.to_string());
        self
    }
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.overrides.insert(name.to_string(), value);
        self
    }
    /// Replaces the whole identity of the user (name, email, student number).
    pub fn person(self, sub: &str, given: &str, family: &str, student_number: &str) -> Self {
        self.sub(sub)
            .claim("given_name", json!(given))
            .claim("family_name", json!(family))
            .claim("name", json!(format!("{given} {family}")))
            .claim("email", json!(format!("{}@example.com", given.to_lowercase())))
            .claim(
                "https://purl.imsglobal.org/spec/lti/claim/lis",
                json!({"person_sourcedid": student_number, "course_section_sourcedid": "L1-CONTRAT-2025"}),
            )
    }
}

/// The platform's keys: the active key is the last (with its private PEM, for tests that sign
/// with a header of their own).
#[derive(Clone)]
pub struct PlatformKeys {
    inner: Arc<Mutex<Vec<(ToolKey, String)>>>,
}

impl PlatformKeys {
    fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(vec![new_key_with_pem()])),
        }
    }
    pub fn active(&self) -> ToolKey {
        self.inner.lock().unwrap().last().cloned().unwrap().0
    }
    /// The active key's private PEM.
    pub fn active_pem(&self) -> String {
        self.inner.lock().unwrap().last().cloned().unwrap().1
    }
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .inner
            .lock()
            .unwrap()
            .iter()
            .map(|(k, _)| serde_json::to_value(&k.public_jwk).unwrap())
            .collect();
        json!({ "keys": keys })
    }
    /// Adds a new active key (the old ones stay published unless `drop_old`).
    pub fn rotate(&self, drop_old: bool) -> ToolKey {
        let (key, pem) = new_key_with_pem();
        let mut keys = self.inner.lock().unwrap();
        if drop_old {
            keys.clear();
        }
        keys.push((key.clone(), pem));
        key
    }
}

pub fn new_key() -> ToolKey {
    new_key_with_pem().0
}

fn new_key_with_pem() -> (ToolKey, String) {
    let generated = keys::generate().unwrap();
    let key = ToolKey::from_pem_with_kid(&generated.private_pem, Some(&generated.kid)).unwrap();
    (key, generated.private_pem.to_string())
}

/// Shared state of the test platform's server.
#[derive(Clone)]
pub struct PlatformState {
    pub issuer: String,
    /// The client id of the tool registration launches use (Moodle may register the tool
    /// again: `set_client_id`).
    client_id: Arc<Mutex<String>>,
    pub deployment_id: String,
    pub keys: PlatformKeys,
    /// Launch specs by login_hint.
    pub launches: Arc<Mutex<HashMap<String, LaunchSpec>>>,
    /// The tool's launch URL (redirect URI and target_link_uri).
    pub tool_launch_url: Arc<Mutex<String>>,
    /// Auth requests received (query parameters), for assertions.
    pub auth_requests: Arc<Mutex<Vec<HashMap<String, String>>>>,
    /// When the tool fetched this platform's JWKS.
    pub jwks_fetches: Arc<Mutex<Vec<std::time::Instant>>>,
    /// The tool's JWKS URL (client assertions and deep linking responses are verified with it).
    pub tool_jwks_url: Arc<Mutex<String>>,
    /// The LTI Advantage services: what they received and hold, and their knobs.
    pub services: Arc<services::Services>,
}

impl PlatformState {
    /// The client id launches are made with.
    pub fn client_id(&self) -> String {
        self.client_id.lock().unwrap().clone()
    }

    /// Launches are now made with this client id (a new registration of the tool).
    pub fn set_client_id(&self, client_id: &str) {
        *self.client_id.lock().unwrap() = client_id.to_string();
    }

    /// What `mod/lti/openid-configuration.php` serves (the capture, on this platform's host).
    pub fn openid_configuration(&self) -> Value {
        let path = format!(
            "{}/tests/fixtures/moodle/openid-configuration.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace(FIXTURE_HOST, &self.issuer);
        serde_json::from_str(&text).unwrap()
    }
}

#[derive(Clone)]
pub struct TestPlatform {
    pub state: PlatformState,
    pub base: String,
}

impl TestPlatform {
    /// Starts a platform on a random loopback port.
    pub async fn start(client_id: &str) -> TestPlatform {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let state = PlatformState {
            issuer: base.clone(),
            client_id: Arc::new(Mutex::new(client_id.to_string())),
            deployment_id: "1".into(),
            keys: PlatformKeys::new(),
            launches: Arc::default(),
            tool_launch_url: Arc::default(),
            auth_requests: Arc::default(),
            jwks_fetches: Arc::default(),
            tool_jwks_url: Arc::default(),
            services: Arc::new(services::Services::new()),
        };
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/mod/lti/certs.php", web::get().to(certs))
                .route("/mod/lti/auth.php", web::get().to(auth))
                .route("/mod/lti/auth.php", web::post().to(auth_post))
                .configure(services::routes)
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        TestPlatform { state, base }
    }

    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }
    pub fn auth_url(&self) -> String {
        format!("{}/mod/lti/auth.php", self.base)
    }
    pub fn token_url(&self) -> String {
        format!("{}/mod/lti/token.php", self.base)
    }
    pub fn jwks_url(&self) -> String {
        format!("{}/mod/lti/certs.php", self.base)
    }

    pub fn openid_configuration_url(&self) -> String {
        format!("{}/mod/lti/openid-configuration.php", self.base)
    }

    /// The registration token Moodle makes for an administrator (`startltiadvregistration.php`):
    /// signed by the platform key, `sub` = the client id to be, `scope` = `reg`, one hour.
    pub fn registration_token(&self, client_id: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        self.sign(&json!({"sub": client_id, "scope": "reg", "iat": now, "exp": now + 3600}))
    }

    /// Where Moodle sends the administrator's browser: the tool URL they pasted with
    /// `openid_configuration` and `registration_token` added to its query string.
    pub fn registration_start_url(&self, tool_url: &str, client_id: &str) -> String {
        let mut url = url::Url::parse(tool_url).unwrap();
        url.query_pairs_mut()
            .append_pair("openid_configuration", &self.openid_configuration_url())
            .append_pair("registration_token", &self.registration_token(client_id));
        url.to_string()
    }

    /// Arguments of `cpre platform add` for this platform.
    pub fn platform_add_args(&self) -> Vec<String> {
        vec![
            "platform".into(),
            "add".into(),
            "--issuer".into(),
            self.issuer().into(),
            "--client-id".into(),
            self.state.client_id(),
            "--auth-url".into(),
            self.auth_url(),
            "--token-url".into(),
            self.token_url(),
            "--jwks-url".into(),
            self.jwks_url(),
            "--deployment-id".into(),
            self.state.deployment_id.clone(),
            "--name".into(),
            "Moodle de test".into(),
        ]
    }

    /// The registration of this platform, as the store takes it.
    pub fn spec(&self) -> cpre::store::platforms::PlatformSpec {
        cpre::store::platforms::PlatformSpec {
            issuer: self.issuer().into(),
            client_id: self.state.client_id(),
            name: Some("Moodle de test".into()),
            auth_url: self.auth_url(),
            token_url: self.token_url(),
            jwks_url: self.jwks_url(),
            token_audience: None,
            role_map: None,
            deployment_ids: vec![self.state.deployment_id.clone()],
        }
    }

    /// Registers who will launch with this login_hint (the user's `sub`).
    pub fn expect_launch(&self, spec: LaunchSpec) -> String {
        let payload = fixture_payload(spec.fixture);
        let hint = spec
            .sub
            .clone()
            .or_else(|| payload["sub"].as_str().map(str::to_string))
            .unwrap_or_else(|| "3".into());
        self.state
            .launches
            .lock()
            .unwrap()
            .insert(hint.clone(), spec);
        hint
    }

    /// The login initiation Moodle would POST to the tool for this user.
    pub fn initiation(&self, login_hint: &str) -> Vec<(String, String)> {
        initiation(&self.state, login_hint)
    }

    /// The claims Moodle would sign for this launch spec, nonce included.
    pub fn claims(&self, spec: &LaunchSpec, nonce: &str) -> Value {
        build_claims(&self.state, spec, nonce)
    }

    /// Signs claims with the platform's active key.
    pub fn sign(&self, claims: &Value) -> String {
        self.state.keys.active().sign(claims).unwrap()
    }
}

/// The login initiation Moodle POSTs to the tool (see `login-initiation.json`).
pub fn initiation(state: &PlatformState, login_hint: &str) -> Vec<(String, String)> {
    let spec = state.launches.lock().unwrap().get(login_hint).cloned();
    let deep = spec.is_some_and(|s| s.fixture == "launch-deeplinking.json");
    let message_hint = if deep {
        r#"{"launchid":"ltilaunch_ContentItemSelectionRequest394991608"}"#
    } else {
        r#"{"cmid":2,"launchid":"ltilaunch1_482250944"}"#
    };
    vec![
        ("iss".into(), state.issuer.clone()),
        (
            "target_link_uri".into(),
            state.tool_launch_url.lock().unwrap().clone(),
        ),
        ("login_hint".into(), login_hint.into()),
        ("lti_message_hint".into(), message_hint.into()),
        ("client_id".into(), state.client_id()),
        ("lti_deployment_id".into(), state.deployment_id.clone()),
    ]
}

/// The payload of a captured launch, with the fixture hosts replaced by `platform_base`.
pub fn fixture_payload(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/moodle/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["payload"].clone()
}

fn build_claims(state: &PlatformState, spec: &LaunchSpec, nonce: &str) -> Value {
    let tool_launch = state.tool_launch_url.lock().unwrap().clone();
    let text = serde_json::to_string(&fixture_payload(spec.fixture))
        .unwrap()
        .replace(FIXTURE_TOOL_LAUNCH, &tool_launch)
        .replace(FIXTURE_HOST, &state.issuer);
    let mut claims: Value = serde_json::from_str(&text).unwrap();
    let now = chrono::Utc::now().timestamp();
    let obj = claims.as_object_mut().unwrap();
    obj.insert("iss".into(), json!(state.issuer));
    obj.insert("aud".into(), json!(state.client_id()));
    obj.insert("nonce".into(), json!(nonce));
    obj.insert("iat".into(), json!(now));
    obj.insert("exp".into(), json!(now + 60));
    obj.insert(
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id".into(),
        json!(state.deployment_id),
    );
    if let Some(sub) = &spec.sub {
        obj.insert("sub".into(), json!(sub));
    }
    if let Some(groups) = &spec.groups {
        obj["https://purl.imsglobal.org/spec/lti/claim/custom"]["groups"] = json!(groups);
    }
    for (k, v) in &spec.overrides {
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    claims
}

async fn certs(state: web::Data<PlatformState>) -> HttpResponse {
    state
        .jwks_fetches
        .lock()
        .unwrap()
        .push(std::time::Instant::now());
    HttpResponse::Ok().json(state.keys.jwks())
}

async fn auth(
    state: web::Data<PlatformState>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    authenticate(&state, query.into_inner())
}

async fn auth_post(
    state: web::Data<PlatformState>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    authenticate(&state, form.into_inner())
}

/// Moodle's `mod/lti/auth.php`: checks the request like Moodle does, then answers with the
/// page that auto-posts `id_token` and `state` to the redirect URI.
fn authenticate(state: &PlatformState, params: HashMap<String, String>) -> HttpResponse {
    state.auth_requests.lock().unwrap().push(params.clone());
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    for (k, v) in [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
    ] {
        if get(k) != v {
            return HttpResponse::BadRequest().body(format!("invalid_request: {k}"));
        }
    }
    if get("client_id") != state.client_id() {
        return HttpResponse::BadRequest().body("unauthorized_client");
    }
    let redirect_uri = get("redirect_uri");
    if redirect_uri != *state.tool_launch_url.lock().unwrap() {
        return HttpResponse::BadRequest().body("invalid_request: redirect_uri");
    }
    let Some(spec) = state
        .launches
        .lock()
        .unwrap()
        .get(&get("login_hint"))
        .cloned()
    else {
        return HttpResponse::BadRequest().body("login_required");
    };
    let claims = build_claims(state, &spec, &get("nonce"));
    let token = state.keys.active().sign(&claims).unwrap();
    let page = format!(
        "<html><body onload=\"document.ltiAuthForm.submit()\"><form action=\"{}\" name=\"ltiAuthForm\" id=\"ltiAuthForm\" method=\"post\" enctype=\"application/x-www-form-urlencoded\"><input type=\"hidden\" name=\"id_token\" value=\"{}\"/><input type=\"hidden\" name=\"state\" value=\"{}\"/></form></body></html>",
        redirect_uri,
        token,
        get("state")
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page)
}
