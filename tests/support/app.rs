//! `TestApp`: the real application on a random loopback port, its own database, a test
//! platform registered with it, and browsers (with or without cookies) to drive it.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::web;
use cpre::Settings;
use cpre::grades::Outcome;
use cpre::grades::worker::Worker;
use cpre::state::AppState;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION};

use super::db::{Backend, TestDb};
use super::platform::{LaunchSpec, PlatformState, TestPlatform, initiation};

pub const CLIENT_ID: &str = "P8G71mrVyMbH8G0";

pub struct TestApp {
    /// The tool's base URL.
    pub base: String,
    pub state: web::Data<AppState>,
    pub platform: TestPlatform,
    pub db: TestDb,
    /// Stops the HTTP server.
    pub server: ServerHandle,
    /// The background worker, when the test turned it on (`grades_worker`).
    pub worker: std::sync::Mutex<Option<Worker>>,
}

/// Starts the tool on `backend` with a test platform registered; `None` when the backend is
/// not available (PostgreSQL without `CPRE_TEST_POSTGRES_URL`, outside CI).
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |_| {}).await
}

pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let db = TestDb::new(backend)?;
    let platform = TestPlatform::start(CLIENT_ID).await;
    Some(spawn_on(db, platform, true, tweak).await)
}

/// Starts the tool on an existing database with `platform` (registered when `register`).
pub async fn spawn_on(
    db: TestDb,
    platform: TestPlatform,
    register: bool,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    cpre::telemetry::init(&std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into()));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut settings = Settings::for_database(&db.url).unwrap();
    settings.bind = format!("127.0.0.1:{port}");
    settings.base_url = Some(base.clone());
    settings.db_pool_size = 4;
    settings.workers = 2;
    settings.lti_config_dir = std::path::PathBuf::from("/nonexistent");
    // Deliveries are driven by the test (`drain_grade_outbox`) unless it turns the worker on.
    settings.grades_worker = false;
    tweak(&mut settings);
    let mut app = cpre::Application::build_on(settings, listener)
        .await
        .expect("application builds");
    let state = app.state();
    let worker = app.take_worker();
    let server = app.server_handle();
    tokio::spawn(app.run_until_stopped());

    let app = TestApp {
        base,
        state,
        platform,
        db,
        server,
        worker: std::sync::Mutex::new(worker),
    };
    app.aim(&app.platform);
    if register {
        app.register(&app.platform).await;
    }
    app
}

impl TestApp {
    /// Rows in a table (to check that a refused request created nothing).
    pub async fn count(&self, table: &'static str) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.state
            .db
            .run(move |conn| {
                Ok(
                    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                        .get_result::<Count>(conn)?
                        .n,
                )
            })
            .await
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A browser that keeps cookies (first-party, or third-party cookies allowed).
    pub fn browser(&self) -> Browser {
        Browser::new(self, true)
    }

    /// A browser that keeps no cookie at all (third-party cookies blocked in an iframe).
    pub fn cookieless_browser(&self) -> Browser {
        Browser::new(self, false)
    }

    pub fn launch_url(&self) -> String {
        self.url("/lti/launch")
    }

    /// Another platform (its own keys and `client_id`), registered with this tool.
    pub async fn register_platform(&self, client_id: &str) -> TestPlatform {
        let platform = TestPlatform::start(client_id).await;
        self.aim(&platform);
        self.register(&platform).await;
        platform
    }

    /// Tells a platform where this tool launches and publishes its keys.
    fn aim(&self, platform: &TestPlatform) {
        *platform.state.tool_launch_url.lock().unwrap() = self.launch_url();
        *platform.state.tool_jwks_url.lock().unwrap() = self.url("/.well-known/jwks.json");
    }

    /// Registers a platform with this tool, as `cpre platform add` does.
    async fn register(&self, platform: &TestPlatform) {
        let spec = platform.spec();
        self.state
            .db
            .run(move |conn| {
                cpre::registration::register(conn, &spec, cpre::store::platforms::Source::Cli)
                    .map_err(|e| cpre::store::StoreError::Corrupt(e.to_string()))
            })
            .await
            .expect("platform registered");
    }

    /// Delivers due outbox rows until none is due (what the worker does), returning what each
    /// delivery did.
    pub async fn drain_grade_outbox(&self) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        loop {
            match cpre::grades::deliver_next(&self.state).await.unwrap() {
                Outcome::Empty => return outcomes,
                outcome => outcomes.push(outcome),
            }
            assert!(outcomes.len() < 10_000, "the outbox does not drain");
        }
    }

    /// What a signature does to the gradebook: enqueues a completion (or, with `completed`
    /// false, a clearing) for the user `sub` on the placement of their latest launch, as the
    /// signing transaction will. Returns the outbox row id.
    pub async fn enqueue_completion(&self, sub: &str, completed: bool) -> String {
        use cpre::store::schema::{resource_links, users};
        use diesel::prelude::*;
        let sub = sub.to_string();
        self.state
            .db
            .write(move |conn| {
                let user_id: String = users::table
                    .filter(users::sub.eq(&sub))
                    .select(users::id)
                    .get_result(conn)?;
                let link_id: String = resource_links::table
                    .select(resource_links::id)
                    .order(resource_links::created_at.desc())
                    .load::<String>(conn)?
                    .into_iter()
                    .next()
                    .expect("a launch recorded a placement");
                cpre::store::outbox::enqueue(
                    conn,
                    &cpre::store::outbox::Completion {
                        user_id: &user_id,
                        resource_link_id: &link_id,
                        contract_id: None,
                        completed,
                        comment: if completed {
                            "Contrat signé"
                        } else {
                            "Contrat rouvert"
                        },
                    },
                )
            })
            .await
            .unwrap()
    }

    /// The CSRF token of the session at `base` (`/s/{token}`), read from the database (to
    /// show that a check other than CSRF refuses a form).
    pub async fn session_csrf(&self, base: &str) -> String {
        use cpre::store::schema::sessions;
        use diesel::prelude::*;
        let id = cpre::lti::oidc::hash_secret(base.trim_start_matches("/s/"));
        self.state
            .db
            .run(move |conn| {
                Ok(sessions::table
                    .find(&id)
                    .select(sessions::csrf_token)
                    .get_result::<String>(conn)?)
            })
            .await
            .unwrap()
    }

    /// Rows of the outbox.
    pub async fn outbox_row(&self, id: &str) -> cpre::store::outbox::OutboxRow {
        let id = id.to_string();
        self.state
            .db
            .run(move |conn| cpre::store::outbox::get(conn, &id))
            .await
            .unwrap()
            .expect("outbox row")
    }

    /// Stops the tool as a crash would (worker aborted, server stopped), keeping its database
    /// and platform for a restart with `spawn_on`.
    pub async fn kill(self) -> (TestDb, TestPlatform) {
        if let Some(worker) = self.worker.lock().unwrap().take() {
            worker.abort();
        }
        self.server.stop(false).await;
        (self.db, self.platform)
    }

    /// A second tool instance on the same database and platform (several instances on one
    /// PostgreSQL).
    pub async fn second_instance(&self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let launch_url = self.platform.state.tool_launch_url.lock().unwrap().clone();
        let jwks_url = self.platform.state.tool_jwks_url.lock().unwrap().clone();
        let other = spawn_on(self.db.shared(), self.platform.clone(), false, tweak).await;
        // Launches keep going to the first instance.
        *self.platform.state.tool_launch_url.lock().unwrap() = launch_url;
        *self.platform.state.tool_jwks_url.lock().unwrap() = jwks_url;
        other
    }
}

/// A browser: follows no redirect by itself, so that each step can be checked.
pub struct Browser {
    pub client: reqwest::Client,
    pub tool: String,
    pub platform_origin: String,
    launch_url: String,
    platform: PlatformState,
}

/// The result of a complete launch.
#[derive(Debug)]
pub struct Launched {
    /// `/s/{token}`: the prefix of every page of the session.
    pub base: String,
    /// The first page after the launch.
    pub page: String,
}

/// The form Moodle's auth page auto-submits.
#[derive(Debug, Clone)]
pub struct AuthForm {
    pub action: String,
    pub id_token: String,
    pub state: String,
}

impl Browser {
    fn new(app: &TestApp, cookies: bool) -> Browser {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(cookies)
            .build()
            .unwrap();
        Browser {
            client,
            tool: app.base.clone(),
            platform_origin: app.platform.issuer().to_string(),
            launch_url: app.launch_url(),
            platform: app.platform.state.clone(),
        }
    }

    /// The same browser seen from another registered platform (its logins and launches).
    pub fn for_platform(mut self, platform: &TestPlatform) -> Browser {
        self.platform_origin = platform.issuer().to_string();
        self.platform = platform.state.clone();
        self
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.tool, path)
        }
    }

    /// Moodle's login initiation (a form POST), returning the tool's response.
    pub async fn login(&self, login_hint: &str) -> reqwest::Response {
        let form = initiation(&self.platform, login_hint);
        self.client
            .post(self.url("/lti/login"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Login initiation then the platform's auth page: the form Moodle would auto-submit.
    pub async fn authenticate(&self, login_hint: &str) -> AuthForm {
        let login = self.login(login_hint).await;
        assert_eq!(
            login.status(),
            StatusCode::FOUND,
            "login redirects to the platform"
        );
        let location = location(login.headers());
        let page = self.client.get(&location).send().await.unwrap();
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "platform auth accepted the request"
        );
        parse_auth_form(&page.text().await.unwrap())
    }

    /// POSTs an id_token and state to the tool's launch URL, as the platform's page does.
    pub async fn post_launch(&self, id_token: &str, state: &str) -> reqwest::Response {
        self.client
            .post(&self.launch_url)
            .header("Origin", &self.platform_origin)
            .form(&[("id_token", id_token), ("state", state)])
            .send()
            .await
            .unwrap()
    }

    /// A complete launch: login, auth, form_post, first page (which must answer 200).
    pub async fn launch(&self, platform: &TestPlatform, spec: LaunchSpec) -> Launched {
        let (base, page) = self.open(platform, spec).await;
        assert_eq!(page.status(), StatusCode::OK);
        Launched {
            base,
            page: page.text().await.unwrap(),
        }
    }

    /// A complete launch, returning the session prefix and the first page's response
    /// whatever its status.
    pub async fn open(
        &self,
        platform: &TestPlatform,
        spec: LaunchSpec,
    ) -> (String, reqwest::Response) {
        let hint = platform.expect_launch(spec);
        let form = self.authenticate(&hint).await;
        let response = self.post_launch(&form.id_token, &form.state).await;
        let status = response.status();
        let headers = response.headers().clone();
        if status != StatusCode::SEE_OTHER {
            panic!(
                "launch refused: {status} {}",
                response.text().await.unwrap()
            );
        }
        let location = location(&headers);
        let base = location.trim_end_matches('/').to_string();
        assert!(base.starts_with("/s/"), "session URL: {base}");
        let mut page = self.get(&location).await;
        // Staff land on the follow-up of their formations (one more redirect).
        if page.status() == StatusCode::SEE_OTHER {
            let next = self::location(page.headers());
            assert!(next.starts_with(&base), "staff home: {next}");
            page = self.get(&next).await;
        }
        (base, page)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

pub fn location(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .expect("Location header")
        .to_str()
        .unwrap()
        .to_string()
}

pub fn parse_auth_form(html: &str) -> AuthForm {
    let doc = scraper::Html::parse_document(html);
    let form_sel = scraper::Selector::parse("form").unwrap();
    let form = doc.select(&form_sel).next().expect("auto-submit form");
    let field = |name: &str| {
        let sel = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
        doc.select(&sel)
            .next()
            .and_then(|i| i.value().attr("value"))
            .unwrap_or_default()
            .to_string()
    };
    AuthForm {
        action: form.value().attr("action").unwrap_or_default().to_string(),
        id_token: field("id_token"),
        state: field("state"),
    }
}

/// Runs one test body on SQLite and on PostgreSQL with settings changed by `tweak`.
#[macro_export]
macro_rules! on_both_backends_with {
    ($name:ident, $tweak:path, $body:path) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app =
                    $crate::support::app::spawn_with($crate::support::db::Backend::Sqlite, $tweak)
                        .await
                        .unwrap();
                $body(app).await;
            }
            #[tokio::test]
            async fn postgres() {
                match $crate::support::app::spawn_with(
                    $crate::support::db::Backend::Postgres,
                    $tweak,
                )
                .await
                {
                    Some(app) => $body(app).await,
                    None => $crate::support::db::skipped(concat!(module_path!(), "::postgres")),
                }
            }
        }
    };
}

/// Runs one test body on SQLite and on PostgreSQL (skipped when PostgreSQL is not configured).
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::support::app::spawn($crate::support::db::Backend::Sqlite)
                    .await
                    .unwrap();
                $body(app).await;
            }
            #[tokio::test]
            async fn postgres() {
                match $crate::support::app::spawn($crate::support::db::Backend::Postgres).await {
                    Some(app) => $body(app).await,
                    None => $crate::support::db::skipped(concat!(module_path!(), "::postgres")),
                }
            }
        }
    };
}
