//! The storage layer on both backends: migrations, registrations, states, users, keys.

use cpre::store::platforms::{self, PlatformSpec, Source};
use cpre::store::{DbPool, oidc_states, users};

use crate::support::db::{Backend, TestDb, skipped};

fn open(backend: Backend) -> Option<(TestDb, DbPool)> {
    let db = TestDb::new(backend)?;
    let pool = DbPool::open_and_migrate(&db.url, 4).expect("open and migrate");
    Some((db, pool))
}

fn spec(client_id: &str) -> PlatformSpec {
    PlatformSpec {
        issuer: "https://moodle.example".into(),
        client_id: client_id.into(),
        name: Some("Moodle".into()),
        auth_url: "https://moodle.example/mod/lti/auth.php".into(),
        token_url: "https://moodle.example/mod/lti/token.php".into(),
        jwks_url: "https://moodle.example/mod/lti/certs.php".into(),
        token_audience: None,
        role_map: None,
        deployment_ids: vec!["1".into()],
    }
}

macro_rules! storage_test {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                let (_db, pool) = open(Backend::Sqlite).unwrap();
                $body(&pool);
            }
            #[test]
            fn postgres() {
                match open(Backend::Postgres) {
                    Some((_db, pool)) => $body(&pool),
                    None => skipped(concat!(module_path!(), "::postgres")),
                }
            }
        }
    };
}

fn migrations_are_idempotent(pool: &DbPool) {
    assert!(
        pool.migrate().unwrap().is_empty(),
        "second run applies nothing"
    );
}
storage_test!(migrations_run_once, migrations_are_idempotent);

fn registrations(pool: &DbPool) {
    let mut conn = pool.get().unwrap();
    let a = platforms::upsert(&mut conn, &spec("client-a"), Source::Cli).unwrap();
    let b = platforms::upsert(&mut conn, &spec("client-b"), Source::Cli).unwrap();
    assert_ne!(a.id, b.id, "one issuer, several client_ids");
    let mut again = spec("client-a");
    again.deployment_ids = vec!["1".into(), "7".into()];
    again.name = Some("Renamed".into());
    let a2 = platforms::upsert(&mut conn, &again, Source::Cli).unwrap();
    assert_eq!(a2.id, a.id, "upsert keeps the row");
    assert_eq!(a2.name, "Renamed");
    assert_eq!(
        platforms::deployments_of(&mut conn, &a.id).unwrap(),
        vec!["1", "7"]
    );
    assert!(platforms::has_deployment(&mut conn, &a.id, "7").unwrap());
    assert!(!platforms::has_deployment(&mut conn, &b.id, "7").unwrap());
    assert_eq!(
        platforms::find_by_issuer(&mut conn, "https://moodle.example")
            .unwrap()
            .len(),
        2
    );
    assert!(platforms::remove_deployment(&mut conn, &a.id, "7").unwrap());
    assert!(platforms::remove(&mut conn, "https://moodle.example", "client-b").unwrap());
    assert!(!platforms::remove(&mut conn, "https://moodle.example", "client-b").unwrap());
    assert_eq!(platforms::list(&mut conn).unwrap().len(), 1);
}
storage_test!(platform_registrations, registrations);

fn states_are_single_use(pool: &DbPool) {
    let mut conn = pool.get().unwrap();
    let p = platforms::upsert(&mut conn, &spec("c"), Source::Cli).unwrap();
    let now = cpre::store::now_micros();
    let row = oidc_states::OidcState {
        state: "s1".into(),
        nonce: "n1".into(),
        platform_id: p.id.clone(),
        deployment_id: Some("1".into()),
        target_link_uri: "https://tool/lti/launch".into(),
        browser_hash: "h".into(),
        created_at: now,
        expires_at: now + 60_000_000,
    };
    oidc_states::insert(&mut conn, &row).unwrap();
    let found = oidc_states::find_valid(&mut conn, "s1")
        .unwrap()
        .expect("stored");
    assert_eq!(found.nonce, "n1");
    assert!(oidc_states::consume(&mut conn, "s1").unwrap(), "first use");
    assert!(
        !oidc_states::consume(&mut conn, "s1").unwrap(),
        "second use"
    );
    assert!(oidc_states::find_valid(&mut conn, "s1").unwrap().is_none());
    let expired = oidc_states::OidcState {
        state: "s2".into(),
        expires_at: now - 1,
        ..row
    };
    oidc_states::insert(&mut conn, &expired).unwrap();
    assert!(
        oidc_states::find_valid(&mut conn, "s2").unwrap().is_none(),
        "expired state"
    );
    assert!(
        !oidc_states::consume(&mut conn, "s2").unwrap(),
        "an expired state cannot be consumed either (a copy read earlier does not launch)"
    );
}
storage_test!(oidc_states_single_use, states_are_single_use);

fn read_snapshots_end_even_on_error(pool: &DbPool) {
    let mut conn = pool.get().unwrap();
    platforms::upsert(&mut conn, &spec("before"), Source::Cli).unwrap();
    let seen: Result<usize, cpre::store::StoreError> =
        cpre::store::read_tx(&mut conn, |c| Ok(platforms::list(c)?.len()));
    assert_eq!(seen.unwrap(), 1);
    let failed: Result<(), cpre::store::StoreError> = cpre::store::read_tx(&mut conn, |c| {
        platforms::list(c)?;
        Err(cpre::store::StoreError::Corrupt("refused".into()))
    });
    assert!(failed.is_err());
    // No transaction left open: a write transaction starts, commits and is seen elsewhere.
    cpre::store::write_tx(&mut conn, |c| {
        platforms::upsert(c, &spec("after"), Source::Cli).map(|_| ())
    })
    .unwrap();
    let mut other = pool.get().unwrap();
    assert_eq!(platforms::list(&mut other).unwrap().len(), 2);
}
storage_test!(read_snapshots_end, read_snapshots_end_even_on_error);

/// A stored name no variant has, or JSON that does not parse, is an error when the row is
/// read: never a silent default.
fn unknown_stored_values_are_refused(pool: &DbPool) {
    use cpre::store::schema::{audit_log, platforms as table};
    use diesel::prelude::*;
    let mut conn = pool.get().unwrap();
    let p = platforms::upsert(&mut conn, &spec("c"), Source::Dynamic).unwrap();
    assert_eq!(
        platforms::get(&mut conn, &p.id).unwrap().source,
        Source::Dynamic
    );
    let corrupt = |conn: &mut cpre::store::DbConn, sql_value: &str| match conn {
        cpre::store::DbConn::Sqlite(c) => diesel::update(table::table)
            .set(table::source.eq(sql_value))
            .execute(c),
        cpre::store::DbConn::Pg(c) => diesel::update(table::table)
            .set(table::source.eq(sql_value))
            .execute(c),
    };
    corrupt(&mut conn, "ftp").unwrap();
    let err = platforms::get(&mut conn, &p.id).unwrap_err().to_string();
    assert!(err.contains("deserializing field 'source'"), "{err}");
    corrupt(&mut conn, "cli").unwrap();
    assert_eq!(
        platforms::get(&mut conn, &p.id).unwrap().source,
        Source::Cli
    );

    let entry = cpre::store::audit::NewAuditEntry {
        platform_id: &p.id,
        context_id: None,
        actor_user_id: None,
        actor_label: "test",
        action: cpre::store::audit::Action::Export,
        target_type: cpre::store::audit::Target::Contracts,
        target_id: Some("t"),
        detail: serde_json::json!({ "format": "csv" }),
    };
    cpre::store::audit::record(&mut conn, &entry).unwrap();
    let read = cpre::store::audit::for_target(&mut conn, entry.target_type, "t").unwrap();
    assert_eq!(
        read[0].detail.0["format"], "csv",
        "JSON read back as a value"
    );
    let bad_json = diesel::update(audit_log::table).set(audit_log::detail.eq("{not json"));
    match &mut *conn {
        cpre::store::DbConn::Sqlite(c) => bad_json.execute(c).unwrap(),
        cpre::store::DbConn::Pg(c) => bad_json.execute(c).unwrap(),
    };
    assert!(cpre::store::audit::for_target(&mut conn, entry.target_type, "t").is_err());
}
storage_test!(stored_names_are_checked, unknown_stored_values_are_refused);

fn concurrent_takes_have_one_winner(pool: &DbPool) {
    let mut conn = pool.get().unwrap();
    let p = platforms::upsert(&mut conn, &spec("c"), Source::Cli).unwrap();
    let now = cpre::store::now_micros();
    oidc_states::insert(
        &mut conn,
        &oidc_states::OidcState {
            state: "race".into(),
            nonce: "n".into(),
            platform_id: p.id,
            deployment_id: None,
            target_link_uri: "https://tool/lti/launch".into(),
            browser_hash: "h".into(),
            created_at: now,
            expires_at: now + 60_000_000,
        },
    )
    .unwrap();
    drop(conn);
    let winners: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut conn = pool.get().unwrap();
                    cpre::store::write_tx(&mut conn, |c| oidc_states::consume(c, "race")).unwrap()
                        as usize
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(winners, 1);
}
storage_test!(oidc_state_race, concurrent_takes_have_one_winner);

fn user_upsert_and_groups(pool: &DbPool) {
    let mut conn = pool.get().unwrap();
    let p = platforms::upsert(&mut conn, &spec("c"), Source::Cli).unwrap();
    let mut who = users::Person {
        sub: "3".into(),
        name: "Alice Martin".into(),
        ..Default::default()
    };
    let first = users::upsert(&mut conn, &p.id, &who).unwrap();
    who.email = "alice@example.com".into();
    let second = users::upsert(&mut conn, &p.id, &who).unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(second.email, "alice@example.com");
    let ctx = cpre::store::contexts::upsert(
        &mut conn,
        &p.id,
        &cpre::store::contexts::ContextSeen {
            lti_id: "2".into(),
            title: "L1".into(),
            ..Default::default()
        },
    )
    .unwrap();
    users::set_groups(&mut conn, &ctx.id, &first.id, &[1, 2]).unwrap();
    users::set_groups(&mut conn, &ctx.id, &first.id, &[2, 3]).unwrap();
    assert_eq!(
        users::group_counts(&mut conn, &ctx.id).unwrap(),
        vec![(2, 1), (3, 1)]
    );
}
storage_test!(users_and_groups, user_upsert_and_groups);

fn keys_rotate(pool: &DbPool) {
    let mut conn = pool.get().unwrap();
    let first = cpre::keyring::ensure_key(&mut conn)
        .unwrap()
        .expect("a key is generated");
    assert!(
        cpre::keyring::ensure_key(&mut conn).unwrap().is_none(),
        "only once"
    );
    let second = cpre::keyring::rotate(&mut conn, 24, 0).unwrap();
    let published: Vec<String> = cpre::store::keys::published(&mut conn, 24 * 3_600_000_000)
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(published, vec![second.clone(), first]);
    assert_eq!(
        cpre::store::keys::find_active(&mut conn, 0)
            .unwrap()
            .unwrap()
            .kid,
        second
    );
    // A key rotated with an activation delay is published at once, and signs only later.
    let third = cpre::keyring::rotate(&mut conn, 24, 3600).unwrap();
    let published: Vec<String> = cpre::store::keys::published(&mut conn, 24 * 3_600_000_000)
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(published[0], third);
    assert_eq!(
        cpre::store::keys::find_active(&mut conn, 3_600_000_000)
            .unwrap()
            .unwrap()
            .kid,
        second,
        "the previous key signs until the new one is old enough"
    );
}
storage_test!(tool_keys_rotate, keys_rotate);

/// The two migration folders must list the same migrations.
#[test]
fn migration_folders_match() {
    let names = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(format!(
            "{}/migrations/{backend}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
        names.sort();
        names
    };
    assert_eq!(names("sqlite"), names("postgres"));
}
