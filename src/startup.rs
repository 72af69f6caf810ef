//! Building and running the application: pool and migrations, keys, platform files, the HTTP
//! server on its listener, the background janitor, and the worker (grade delivery, roster
//! schedule) when `CPRE_GRADES_WORKER` is on.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};

use crate::config::Settings;
use crate::grades::worker::Worker;
use crate::state::AppState;
use crate::store::DbPool;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    worker: Option<Worker>,
}

impl Application {
    /// Opens the database (migrating it), makes sure a tool key exists, loads the platform
    /// files, and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        Self::build_on(settings, listener).await
    }

    /// Like [`Application::build`] on a listener the caller bound (tests bind port 0 first so
    /// that the base URL can name the port).
    pub async fn build_on(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let db = prepare_database(&settings).await?;
        let state = web::Data::new(AppState::new(settings.clone(), db)?);
        let port = listener.local_addr()?.port();
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(crate::web::security_headers())
                .configure(crate::web::configure)
        })
        .listen(listener)?;
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server.shutdown_timeout(10).run();
        spawn_janitor(state.clone());
        let worker = settings.grades_worker.then(|| Worker::spawn(state.clone()));
        Ok(Self {
            port,
            server,
            state,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle that stops the HTTP server.
    pub fn server_handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Takes the background worker out, for a caller that stops it itself (tests).
    pub fn take_worker(&mut self) -> Option<Worker> {
        self.worker.take()
    }

    /// Serves until the server stops (SIGINT/SIGTERM), then stops the worker gracefully.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(worker) = self.worker {
            worker.stop().await;
        }
        result
    }
}

/// Opens the pool, applies migrations, generates the first key, loads platform files.
pub async fn prepare_database(settings: &Settings) -> anyhow::Result<DbPool> {
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<DbPool> {
        let db = DbPool::open(&settings.database_url, settings.db_pool_size)?;
        let applied = db.migrate()?;
        if !applied.is_empty() {
            tracing::info!(?applied, "database migrations applied");
        }
        let mut conn = db.get()?;
        if let Some(kid) = crate::keyring::ensure_key(&mut conn)? {
            tracing::info!(%kid, "tool key generated");
        }
        crate::registration::load_files(&mut conn, &settings.lti_config_dir)?;
        Ok(db)
    })
    .await?
}

/// Checkpoints the SQLite log every 10 s; deletes expired login states and sessions every
/// five minutes.
fn spawn_janitor(state: web::Data<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        let mut round: u64 = 0;
        loop {
            tick.tick().await;
            round += 1;
            let db = state.db.clone();
            match tokio::task::spawn_blocking(move || db.checkpoint()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "checkpoint failed"),
                Err(e) => tracing::warn!(error = %e, "checkpoint task failed"),
            }
            if round % 30 != 1 {
                continue;
            }
            let result = state
                .db
                .run(|conn| {
                    let states = crate::store::oidc_states::purge_expired(conn)?;
                    let sessions = crate::store::sessions::purge_expired(conn)?;
                    Ok((states, sessions))
                })
                .await;
            match result {
                Ok((states, sessions)) if states + sessions > 0 => {
                    tracing::debug!(states, sessions, "expired states and sessions purged")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "janitor failed"),
            }
        }
    });
}
