//! The course roster (NRPS): paging with `rel="next"`, `rlid`, roles as given, members who
//! left, who never launched, failures kept; Moodle groups through the web service double;
//! the schedule and the CLI.

use serde_json::json;

use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::platform::LaunchSpec;

async fn context_id(app: &TestApp) -> CourseId {
    app.state
        .db
        .run(|conn| {
            use cpre::store::schema::contexts;
            use diesel::prelude::*;
            Ok(contexts::table
                .select(contexts::id)
                .get_result::<CourseId>(conn)?)
        })
        .await
        .unwrap()
}

async fn members(app: &TestApp, context: &CourseId) -> Vec<cpre::store::roster::RosterMember> {
    let id = context.clone();
    app.state
        .db
        .run(move |conn| cpre::store::roster::members(conn, &id))
        .await
        .unwrap()
}

async fn never_launched(
    app: &TestApp,
    context: &CourseId,
) -> Vec<cpre::store::roster::RosterMember> {
    let id = context.clone();
    app.state
        .db
        .run(move |conn| cpre::store::roster::never_launched(conn, &id))
        .await
        .unwrap()
}

async fn roster_pages_and_members_who_left(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let context = context_id(&app).await;
    let services = &app.platform.state.services;
    services.add_learners(5);
    *services.nrps_page_cap.lock().unwrap() = Some(4);

    let report = cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap();
    assert_eq!(report.members.total, 9);
    assert_eq!(report.members.added, 9);
    assert_eq!(report.pages, 3, "a roster larger than one page");
    assert!(report.groups.is_none(), "no web service token");

    let calls = services.requests_to(
        "GET",
        "/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
    );
    assert_eq!(calls.len(), 3);
    assert!(calls[0].query.contains("rlid=1"), "{}", calls[0].query);
    assert!(calls[0].query.contains("limit=200"));
    assert!(calls[1].query.contains("from=4") && calls[1].query.contains("rlid=1"));
    assert!(
        calls.iter().all(|c| c.accept.as_deref()
            == Some("application/vnd.ims.lti-nrps.v2.membershipcontainer+json"))
    );
    let token = services.requests_to("POST", "/mod/lti/token.php");
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(token[0].body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(
        form["scope"],
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    );

    let all = members(&app, &context).await;
    assert_eq!(all.len(), 9);
    let claire = all.iter().find(|m| m.sub == "5").unwrap();
    assert_eq!(claire.roles, vec!["Learner"], "NRPS roles stored as given");
    assert_eq!(claire.person_sourcedid, "TEACHER1");
    assert_eq!(claire.username, "teacher1");
    let david = all.iter().find(|m| m.sub == "6").unwrap();
    assert_eq!(david.roles, vec!["Instructor"]);
    assert!(!david.is_learner());
    let alice = all.iter().find(|m| m.sub == "3").unwrap();
    assert!(alice.launched() && alice.first_launch_at.is_some());
    let never: Vec<String> = never_launched(&app, &context)
        .await
        .into_iter()
        .map(|m| m.person.sub)
        .collect();
    assert_eq!(never.len(), 8);
    assert!(
        !never.contains(&"3".to_string()),
        "Alice opened the contract"
    );
    assert!(never.contains(&"4".to_string()) && never.contains(&"1004".to_string()));

    // Two members left the course; one changed name.
    {
        let mut roster = services.roster.lock().unwrap();
        roster.retain(|m| m["user_id"] != "1000" && m["user_id"] != "4");
        for m in roster.iter_mut() {
            if m["user_id"] == "1001" {
                m["family_name"] = json!("Renommé");
            }
        }
    }
    let report = cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap();
    assert_eq!(
        (
            report.members.total,
            report.members.removed,
            report.members.updated
        ),
        (7, 2, 1)
    );
    let all = members(&app, &context).await;
    assert_eq!(all.len(), 7);
    assert!(all.iter().all(|m| m.sub != "4" && m.sub != "1000"));
    assert!(all.iter().any(|m| m.family_name == "Renommé"));
}
crate::on_both_backends!(
    roster_pages_and_members_who_left,
    super::roster_pages_and_members_who_left
);

#[tokio::test]
async fn a_failed_fetch_keeps_the_roster_and_records_why() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let context = context_id(&app).await;
    cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap();
    let services = &app.platform.state.services;
    // The second page fails: nothing is replaced (members are not removed on partial data).
    *services.nrps_page_cap.lock().unwrap() = Some(2);
    services.roster.lock().unwrap().truncate(3);
    services.fail_after(1, 1, 500);
    let error = cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("500"), "{error}");
    assert_eq!(
        members(&app, &context).await.len(),
        4,
        "the stored roster is kept"
    );
    let id = context.clone();
    let sync = app
        .state
        .db
        .run(move |conn| cpre::store::roster::sync_state(conn, &id))
        .await
        .unwrap()
        .unwrap();
    assert!(sync.last_error.as_deref().unwrap().contains("500"));
    assert_eq!(sync.members, 4);

    // A course whose launches carry no NRPS claim cannot be synchronised.
    let other = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    other
        .browser()
        .launch(
            &other.platform,
            LaunchSpec::student().claim(
                "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
                serde_json::Value::Null,
            ),
        )
        .await;
    let ctx = context_id(&other).await;
    let error = cpre::roster::sync::sync_context(&other.state, &ctx)
        .await
        .unwrap_err();
    assert!(
        matches!(error, cpre::roster::sync::RosterError::NoRoster),
        "{error}"
    );
}

#[tokio::test]
async fn a_next_link_off_the_platform_is_not_followed() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    let context = context_id(&app).await;
    // The course's NRPS URL now names another host for its pages (a rogue Link header is
    // modelled by a memberships URL on another origin than its pages).
    let id = context.clone();
    let foreign = format!(
        "{}/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
        app.platform.issuer()
    )
    .replace("127.0.0.1", "localhost");
    app.state
        .db
        .run(move |conn| {
            use cpre::store::schema::contexts;
            use diesel::prelude::*;
            diesel::update(contexts::table.find(&id))
                .set(contexts::nrps_url.eq(foreign))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    *app.platform.state.services.nrps_page_cap.lock().unwrap() = Some(2);
    let error = cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap_err();
    assert!(
        matches!(error, cpre::roster::sync::RosterError::ForeignLink(_)),
        "{error}"
    );
    assert!(members(&app, &context).await.is_empty());
}

fn web_service(app: &TestApp) {
    let mut ws = app.platform.state.services.web_service.lock().unwrap();
    ws.token = "ws-secret".into();
    ws.groups.insert(
        2,
        vec![
            json!({"id": 1, "courseid": 2, "name": "L1 Mathématiques", "description": "",
                   "descriptionformat": 1, "enrolmentkey": "", "idnumber": "L1-MATH"}),
            json!({"id": 2, "courseid": 2, "name": "L1 Physique", "description": "",
                   "descriptionformat": 1, "enrolmentkey": "", "idnumber": ""}),
        ],
    );
    ws.members.insert(1, vec![3, 4]);
    ws.members.insert(2, vec![5]);
}

async fn store_token(app: &TestApp, token: &str) {
    let platform = app.platform.spec();
    let url = format!("{}/webservice/rest/server.php", app.platform.issuer());
    let token = token.to_string();
    app.state
        .db
        .run(move |conn| {
            let p = cpre::store::platforms::find_by_issuer_and_client_id(
                conn,
                &platform.issuer,
                &platform.client_id,
            )?
            .unwrap();
            cpre::store::platforms::set_webservice(conn, &p.id, &url, &token)
        })
        .await
        .unwrap();
}

async fn group_names_come_from_the_web_service(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student().groups("1"))
        .await;
    let context = context_id(&app).await;
    web_service(&app);
    store_token(&app, "ws-secret").await;
    let report = cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap();
    let groups = report
        .groups
        .expect("web service configured")
        .expect("groups read");
    assert_eq!((groups.groups, groups.memberships), (2, 3));
    assert_eq!(groups.roles, None, "the token's service refuses the roles");

    let calls = app
        .platform
        .state
        .services
        .requests_to("POST", "/webservice/rest/server.php");
    assert_eq!(calls.len(), 3);
    assert!(
        calls[2]
            .body
            .contains("wsfunction=core_enrol_get_enrolled_users")
    );
    assert!(
        calls[0]
            .body
            .contains("wsfunction=core_group_get_course_groups")
    );
    assert!(calls[0].body.contains("courseid=2"));
    assert!(calls[0].body.contains("moodlewsrestformat=json"));
    assert!(
        calls[1]
            .body
            .contains("wsfunction=core_group_get_group_members")
    );
    assert!(
        calls.iter().all(|c| !c.query.contains("wstoken")),
        "the token stays out of URLs"
    );

    let id = context.clone();
    let (overview, placed) = app
        .state
        .db
        .run(move |conn| {
            Ok((
                cpre::store::groups::overview(conn, &id)?,
                cpre::store::groups::member_groups(conn, &id)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(overview[0].name.as_deref(), Some("L1 Mathématiques"));
    assert_eq!(overview[0].idnumber.as_deref(), Some("L1-MATH"));
    assert_eq!(
        (overview[0].launched_users, overview[0].members),
        (1, Some(2))
    );
    assert_eq!(overview[1].name.as_deref(), Some("L1 Physique"));
    assert_eq!(
        (overview[1].launched_users, overview[1].members),
        (0, Some(1))
    );
    // Bruno never launched: his group places him in his formation.
    assert_eq!(placed.get("4"), Some(&vec![1]));
    assert!(
        never_launched(&app, &context)
            .await
            .iter()
            .any(|m| m.sub == "4")
    );
}
crate::on_both_backends!(
    group_names_come_from_the_web_service,
    super::group_names_come_from_the_web_service
);

#[tokio::test]
async fn without_a_token_groups_show_by_id_and_a_wrong_token_is_reported() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student().groups("1,2"))
        .await;
    app.browser()
        .launch(
            &app.platform,
            LaunchSpec::student()
                .person("4", "Bruno", "Lefèvre", "STUDENT2")
                .groups("2"),
        )
        .await;
    let context = context_id(&app).await;
    let id = context.clone();
    let overview = app
        .state
        .db
        .run(move |conn| cpre::store::groups::overview(conn, &id))
        .await
        .unwrap();
    assert_eq!(overview.len(), 2);
    assert_eq!(
        (
            overview[0].group_id,
            overview[0].name.clone(),
            overview[0].launched_users
        ),
        (1, None, 1)
    );
    assert_eq!(
        (
            overview[1].group_id,
            overview[1].launched_users,
            overview[1].members
        ),
        (2, 2, None)
    );

    web_service(&app);
    store_token(&app, "wrong").await;
    let report = cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap();
    let error = report.groups.unwrap().unwrap_err();
    assert!(error.contains("invalidtoken"), "{error}");
    assert_eq!(report.members.total, 4, "the roster is synchronised anyway");
    let id = context.clone();
    let sync = app
        .state
        .db
        .run(move |conn| cpre::store::roster::sync_state(conn, &id))
        .await
        .unwrap()
        .unwrap();
    assert!(
        sync.groups_error
            .as_deref()
            .unwrap()
            .contains("invalidtoken")
    );
    assert!(sync.groups_synced_at.is_none());
}

#[tokio::test]
async fn the_schedule_synchronises_recent_courses_once_per_interval() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    assert_eq!(
        cpre::roster::sync::scheduled_round(&app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        cpre::roster::sync::scheduled_round(&app.state)
            .await
            .unwrap(),
        0,
        "not due again"
    );
    let context = context_id(&app).await;
    assert_eq!(members(&app, &context).await.len(), 4);
}

use crate::support::cli::cpre;
use cpre::store::ids::CourseId;

#[tokio::test]
async fn cli_stores_the_web_service_token_and_syncs_a_course() {
    let app = crate::support::app::spawn(Backend::Sqlite).await.unwrap();
    app.browser()
        .launch(&app.platform, LaunchSpec::student())
        .await;
    web_service(&app);
    let issuer = app.platform.issuer().to_string();
    let out = cpre(
        &app.db.url,
        &[
            "platform",
            "webservice",
            "--issuer",
            &issuer,
            "--client-id",
            "nope",
            "--token",
            "ws-secret",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "unknown registration");
    let out = cpre(
        &app.db.url,
        &[
            "platform",
            "webservice",
            "--issuer",
            &issuer,
            "--client-id",
            crate::support::app::CLIENT_ID,
            "--token",
            "ws-secret",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("/webservice/rest/server.php"));

    let out = cpre(&app.db.url, &["roster", "sync", "--context", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("4 participant·es en 1 page(s) : 4 ajouté·es"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Groupes : 2 groupe(s), 3 appartenance(s)."),
        "{stdout}"
    );

    let out = cpre(&app.db.url, &["roster", "sync", "--context", "42"]);
    assert!(!out.status.success());
    let out = cpre(
        &app.db.url,
        &[
            "platform",
            "webservice",
            "--issuer",
            &issuer,
            "--client-id",
            crate::support::app::CLIENT_ID,
            "--remove",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Jeton de service web supprimé"));
}

async fn course_roles_come_from_the_web_service(app: TestApp) {
    app.browser()
        .launch(&app.platform, LaunchSpec::student().groups("1"))
        .await;
    let context = context_id(&app).await;
    web_service(&app);
    app.platform
        .state
        .services
        .web_service
        .lock()
        .unwrap()
        .enrolled
        .insert(
            2,
            vec![
                json!({"id": 3, "roles": [{"roleid": 5, "name": "", "shortname": "student", "sortorder": 0}]}),
                json!({"id": 5, "roles": [{"roleid": 4, "name": "", "shortname": "teacher", "sortorder": 0}]}),
            ],
        );
    store_token(&app, "ws-secret").await;
    let report = cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap();
    assert_eq!(report.groups.unwrap().unwrap().roles, Some(2));
    let roles = |app: &TestApp| {
        let id = context.clone();
        let db = app.state.db.clone();
        async move {
            db.run(move |conn| {
                use cpre::store::schema::moodle_course_roles as r;
                use diesel::prelude::*;
                Ok(r::table
                    .filter(r::context_id.eq(&id))
                    .order(r::user_sub.asc())
                    .select((r::user_sub, r::shortname))
                    .load::<(String, String)>(conn)?)
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(
        roles(&app).await,
        vec![
            ("3".into(), "student".into()),
            ("5".into(), "teacher".into())
        ]
    );
    // Refused later (the function left the token's service): the roles read before stay.
    app.platform
        .state
        .services
        .web_service
        .lock()
        .unwrap()
        .enrolled
        .clear();
    let report = cpre::roster::sync::sync_context(&app.state, &context)
        .await
        .unwrap();
    assert_eq!(report.groups.unwrap().unwrap().roles, None);
    assert_eq!(roles(&app).await.len(), 2);
}
crate::on_both_backends!(
    course_roles_come_from_the_web_service,
    super::course_roles_come_from_the_web_service
);
