//! The tool's key ring: makes sure a signing key exists, rotates keys, and serves the active
//! key and the published JWKS from a short cache (so a rotation by the CLI is seen quickly).
//!
//! A rotation publishes the new key at once and makes it sign only `activation` later (longer
//! than this cache and the JWKS's own `Cache-Control`): by then every instance and every cache
//! of the tool's JWKS has it, so a platform verifying a token of the tool finds its key on the
//! first try. The previous key keeps signing until then and stays published for the grace
//! period after.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;

use crate::lti::keys::{self, KeyError, ToolKey};
use crate::store::{self, DbConn, DbPool, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("no active tool key")]
    NoActiveKey,
}

/// The active key and the JWKS as of one read of the database.
pub struct KeySnapshot {
    pub active: ToolKey,
    pub jwks: JwkSet,
    pub jwks_json: String,
}

/// How long a snapshot of the keys is kept.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct KeyRing {
    db: DbPool,
    grace_micros: i64,
    activation_micros: i64,
    cache: moka::future::Cache<(), Arc<KeySnapshot>>,
}

impl KeyRing {
    pub fn new(db: DbPool, grace_hours: u64, activation_seconds: u64) -> Self {
        Self {
            db,
            grace_micros: grace_micros(grace_hours),
            activation_micros: seconds_micros(activation_seconds),
            cache: moka::future::Cache::builder()
                .time_to_live(SNAPSHOT_TTL)
                .max_capacity(1)
                .build(),
        }
    }

    /// The active key and published JWKS (cached for 30 s).
    pub async fn snapshot(&self) -> Result<Arc<KeySnapshot>, Arc<KeyRingError>> {
        let db = self.db.clone();
        let (grace, activation) = (self.grace_micros, self.activation_micros);
        self.cache
            .try_get_with((), async move {
                db.run(move |conn| Ok(load(conn, grace, activation)))
                    .await
                    .map_err(KeyRingError::from)?
                    .map(Arc::new)
            })
            .await
    }

    /// Forgets the cached snapshot (after a rotation in this process).
    pub async fn invalidate(&self) {
        self.cache.invalidate(&()).await;
    }
}

fn grace_micros(hours: u64) -> i64 {
    i64::try_from(hours.saturating_mul(3_600_000_000)).unwrap_or(i64::MAX)
}

fn seconds_micros(seconds: u64) -> i64 {
    i64::try_from(seconds.saturating_mul(1_000_000)).unwrap_or(i64::MAX)
}

fn load(
    conn: &mut DbConn,
    grace_micros: i64,
    activation_micros: i64,
) -> Result<KeySnapshot, KeyRingError> {
    let active =
        store::keys::find_active(conn, activation_micros)?.ok_or(KeyRingError::NoActiveKey)?;
    let active = ToolKey::from_pem_with_kid(&active.private_pem, Some(&active.kid))?;
    let published = store::keys::published(conn, grace_micros)?;
    let jwks = keys::jwks_from_json(published.iter().map(|k| k.public_jwk.as_str()))?;
    let jwks_json = serde_json::to_string(&jwks).map_err(|e| KeyError::Invalid(e.to_string()))?;
    Ok(KeySnapshot {
        active,
        jwks,
        jwks_json,
    })
}

/// Generates the first key when there is none active. Returns the new kid, if any.
pub fn ensure_key(conn: &mut DbConn) -> Result<Option<String>, KeyRingError> {
    if store::keys::find_active(conn, 0)?.is_some() {
        return Ok(None);
    }
    let generated = keys::generate()?;
    store::keys::insert(
        conn,
        &generated.kid,
        &generated.private_pem,
        &generated.public_jwk_json,
    )?;
    Ok(Some(generated.kid))
}

/// Publishes a new key that signs from `activation_seconds` on; the previous keys sign until
/// then and stay published `grace_hours` longer; keys retired before that are deleted.
/// Returns the new kid.
pub fn rotate(
    conn: &mut DbConn,
    grace_hours: u64,
    activation_seconds: u64,
) -> Result<String, KeyRingError> {
    let generated = keys::generate()?;
    let retire_at = store::now_micros().saturating_add(seconds_micros(activation_seconds));
    store::write_tx(conn, |conn| {
        store::keys::insert(
            conn,
            &generated.kid,
            &generated.private_pem,
            &generated.public_jwk_json,
        )?;
        store::keys::retire_all_but(conn, &generated.kid, retire_at)?;
        store::keys::purge_expired(conn, grace_micros(grace_hours))?;
        Ok(())
    })?;
    Ok(generated.kid)
}
