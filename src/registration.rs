//! Platform registration: checking a registration, the `lti-config/platforms/*.toml` files
//! loaded at start, a registration's status for its administrators, and carrying a
//! registration's courses over to a new registration of the same platform (a Moodle that
//! registered the tool again gets a new client id, and its launches would not find the
//! courses configured under the old one).

use std::path::Path;

use crate::lti::roles::ToolRole;
use crate::store::audit::{self, Action, NewAuditEntry, Target};
use crate::store::ids::{CourseId, PlatformId, UserId};
use crate::store::outbox;
use crate::store::platforms::{self, Platform, PlatformSpec, Source};
use crate::store::{DbConn, StoreError, StoreResult, carry_over as moves, contexts};

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("{0}")]
    Invalid(String),
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a registration before it is stored.
pub fn validate(spec: &PlatformSpec) -> Result<(), RegistrationError> {
    let invalid = |m: String| Err(RegistrationError::Invalid(m));
    for (name, value) in [
        ("issuer", &spec.issuer),
        ("auth-url", &spec.auth_url),
        ("token-url", &spec.token_url),
        ("jwks-url", &spec.jwks_url),
    ] {
        match url::Url::parse(value) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return invalid(format!("--{name} `{value}` is not an http(s) URL")),
        }
    }
    if spec.issuer.ends_with('/') {
        tracing::warn!(issuer = %spec.issuer, "issuer ends with `/`: Moodle's issuer has none, launches must match exactly");
    }
    if spec.client_id.trim().is_empty() {
        return invalid("--client-id is empty".into());
    }
    if spec.deployment_ids.is_empty() || spec.deployment_ids.iter().any(|d| d.trim().is_empty()) {
        return invalid("at least one non-empty --deployment-id is needed".into());
    }
    if let Some(map) = &spec.role_map {
        for (uri, role) in map {
            if ToolRole::parse(role).is_none() {
                return invalid(format!("role map: `{uri}` maps to unknown role `{role}`"));
            }
        }
    }
    Ok(())
}

/// Validates and stores a registration.
pub fn register(
    conn: &mut DbConn,
    spec: &PlatformSpec,
    origin: Source,
) -> Result<Platform, RegistrationError> {
    validate(spec)?;
    Ok(platforms::upsert(conn, spec, origin)?)
}

/// Loads every `*.toml` of `dir/platforms/` (a missing folder is fine). Returns the platforms.
pub fn load_files(conn: &mut DbConn, dir: &Path) -> Result<Vec<Platform>, RegistrationError> {
    let folder = dir.join("platforms");
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut loaded = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| RegistrationError::File {
            file: name.clone(),
            message: e.to_string(),
        })?;
        let spec: PlatformSpec = toml::from_str(&text).map_err(|e| RegistrationError::File {
            file: name.clone(),
            message: e.to_string(),
        })?;
        let platform =
            register(conn, &spec, Source::File).map_err(|e| RegistrationError::File {
                file: name.clone(),
                message: e.to_string(),
            })?;
        tracing::info!(file = %name, issuer = %platform.issuer, client_id = %platform.client_id, "platform loaded from file");
        loaded.push(platform);
    }
    Ok(loaded)
}

/// A registration as its administrators see it: deployments, courses, gradebook deliveries,
/// and the other registrations of the same platform (the same issuer: Moodle registered the
/// tool again).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlatformStatus {
    pub platform: Platform,
    pub deployments: Vec<String>,
    pub courses: i64,
    pub configured_courses: i64,
    pub deliveries: outbox::Counts,
    pub others: Vec<OtherRegistration>,
}

/// Another registration of the same issuer, with the courses it holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OtherRegistration {
    pub platform: Platform,
    pub courses: i64,
    pub configured_courses: i64,
}

/// The status of the registration `platform_id`.
pub fn status(conn: &mut DbConn, platform_id: &PlatformId) -> StoreResult<PlatformStatus> {
    let platform = platforms::get(conn, platform_id)?;
    let deployments = platforms::deployments_of(conn, platform_id)?;
    let (courses, configured_courses) = contexts::count_of_platform(conn, platform_id)?;
    let deliveries = outbox::counts(conn, Some(platform_id))?;
    let mut others = Vec::new();
    for other in platforms::find_by_issuer(conn, &platform.issuer)? {
        if other.id == platform.id {
            continue;
        }
        let (courses, configured_courses) = contexts::count_of_platform(conn, &other.id)?;
        others.push(OtherRegistration {
            platform: other,
            courses,
            configured_courses,
        });
    }
    Ok(PlatformStatus {
        platform,
        deployments,
        courses,
        configured_courses,
        deliveries,
        others,
    })
}

/// Why courses cannot be carried over.
#[derive(Debug, thiserror::Error)]
pub enum CarryOverError {
    #[error("a registration cannot take over its own courses")]
    Same,
    #[error("the two registrations are not of the same platform (issuer)")]
    OtherPlatform,
    #[error("some courses or people of the new registration already hold data")]
    Blocked(Vec<Blocker>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Something the new registration already holds under the same Moodle id, beyond what
/// launches leave: it would be overwritten, so the carry-over is refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Blocker {
    /// A course configured (or with contracts) under the new registration too.
    Course { lti_id: String, title: String },
    /// A person with contracts, grants, comments or deliveries under the new registration.
    Person { sub: String },
}

/// A course to carry over.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CarriedCourse {
    pub context_id: CourseId,
    pub lti_id: String,
    pub title: String,
    /// The new registration already saw this course in launches (nothing else): that empty
    /// copy is replaced.
    pub replaces_launched: bool,
}

/// What a carry-over would do (or did).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CarryOverPlan {
    pub from: Platform,
    pub to: Platform,
    pub courses: Vec<CarriedCourse>,
    pub people: usize,
    /// Why it cannot be done (empty: it can).
    pub blocked: Vec<Blocker>,
}

/// What a carry-over of `from`'s courses to `to` would do; nothing is written.
pub fn plan_carry_over(
    conn: &mut DbConn,
    from_id: &PlatformId,
    to_id: &PlatformId,
) -> Result<CarryOverPlan, CarryOverError> {
    if from_id == to_id {
        return Err(CarryOverError::Same);
    }
    let from = platforms::get(conn, from_id)?;
    let to = platforms::get(conn, to_id)?;
    if from.issuer != to.issuer {
        return Err(CarryOverError::OtherPlatform);
    }
    let theirs = moves::courses(conn, &to.id)?;
    let mut courses = Vec::new();
    let mut blocked = Vec::new();
    for course in moves::courses(conn, &from.id)? {
        let twin = theirs.iter().find(|t| t.lti_id == course.lti_id);
        if let Some(twin) = twin
            && moves::course_holds_data(conn, &twin.id)?
        {
            blocked.push(Blocker::Course {
                lti_id: course.lti_id.clone(),
                title: twin.title.clone(),
            });
        }
        courses.push(CarriedCourse {
            context_id: course.id,
            lti_id: course.lti_id,
            title: course.title,
            replaces_launched: twin.is_some(),
        });
    }
    let their_people = moves::people(conn, &to.id)?;
    let people = moves::people(conn, &from.id)?;
    for person in &people {
        if let Some(twin) = their_people.iter().find(|t| t.sub == person.sub)
            && moves::person_holds_data(conn, &twin.id)?
        {
            blocked.push(Blocker::Person {
                sub: person.sub.clone(),
            });
        }
    }
    Ok(CarryOverPlan {
        from,
        to,
        courses,
        people: people.len(),
        blocked,
    })
}

/// Carries every course and person of registration `from` over to `to` (caller's
/// transaction): the copies the new registration made at launches are replaced, sessions
/// opened through `from` end, each course moved gets an audit entry. Refused, with nothing
/// written, when the new registration already holds data of its own for one of them.
pub fn carry_over(
    conn: &mut DbConn,
    from_id: &PlatformId,
    to_id: &PlatformId,
    actor_user_id: Option<&UserId>,
    actor_label: &str,
) -> Result<CarryOverPlan, CarryOverError> {
    let plan = plan_carry_over(conn, from_id, to_id)?;
    if !plan.blocked.is_empty() {
        return Err(CarryOverError::Blocked(plan.blocked));
    }
    // The copies the new registration's launches made go; sessions opened in them (the
    // administrator's own, for one) continue on what is kept.
    let theirs = moves::courses(conn, &plan.to.id)?;
    for course in plan.courses.iter().filter(|c| c.replaces_launched) {
        if let Some(twin) = theirs.iter().find(|t| t.lti_id == course.lti_id) {
            moves::keep_sessions_of_course(conn, &twin.id, &course.context_id)?;
            moves::drop_course(conn, &twin.id)?;
        }
    }
    let their_people = moves::people(conn, &plan.to.id)?;
    for person in moves::people(conn, &plan.from.id)? {
        if let Some(twin) = their_people.iter().find(|t| t.sub == person.sub) {
            moves::keep_sessions_of_person(conn, &twin.id, &person.id)?;
            moves::drop_person(conn, &twin.id)?;
        }
    }
    moves::move_all(conn, &plan.from.id, &plan.to.id)?;
    for course in &plan.courses {
        audit::record(
            conn,
            &NewAuditEntry {
                platform_id: &plan.to.id,
                context_id: Some(&course.context_id),
                actor_user_id,
                actor_label,
                action: Action::CarryOver,
                target_type: Target::Course,
                target_id: Some(&course.context_id),
                detail: serde_json::json!({
                    "from_client_id": plan.from.client_id,
                    "to_client_id": plan.to.client_id,
                }),
            },
        )?;
    }
    tracing::info!(
        from = %plan.from.client_id,
        to = %plan.to.client_id,
        courses = plan.courses.len(),
        people = plan.people,
        "courses carried over to a new registration"
    );
    Ok(plan)
}
