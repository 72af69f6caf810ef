//! Test databases: a fresh SQLite file per test, or a fresh PostgreSQL schema per test when
//! `CPRE_TEST_POSTGRES_URL` is set (dropped when the test ends).

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// The backends a test can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

/// The PostgreSQL URL for tests, if any. In CI (`CI=true`) an unset variable is a failure.
pub fn postgres_url() -> Option<String> {
    match std::env::var("CPRE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but CPRE_TEST_POSTGRES_URL is unset: the PostgreSQL suite must run in CI"
                );
            }
            None
        }
    }
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("cpre.sqlite").display());
        TestDb {
            url,
            backend: Backend::Sqlite,
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    /// A fresh schema in the test PostgreSQL database, or `None` (test skipped) when unset.
    pub fn postgres() -> Option<TestDb> {
        let admin = postgres_url()?;
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(&admin)
            .unwrap_or_else(|e| panic!("PostgreSQL at CPRE_TEST_POSTGRES_URL is unreachable: {e}"));
        conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create schema");
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-c%20search_path%3D{schema}");
        Some(TestDb {
            url,
            backend: Backend::Postgres,
            _dir: None,
            pg_schema: Some((admin, schema)),
        })
    }

    /// Another handle on the same database that does not drop it (a second tool instance).
    pub fn shared(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            backend: self.backend,
            _dir: None,
            pg_schema: None,
        }
    }

    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Postgres => TestDb::postgres(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, schema)) = &self.pg_schema
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Prints that a PostgreSQL test was skipped (only outside CI; see `postgres_url`).
pub fn skipped(test: &str) {
    eprintln!("SKIPPED {test}: set CPRE_TEST_POSTGRES_URL to run it on PostgreSQL");
}
