//! Staff follow-up benchmark, against the targets of the follow-up issue:
//!
//! 1. a formation's dashboard over 5 000 contracts: under 50 ms of server time;
//! 2. the CSV and the XLSX export of 10 000 contracts: under 3 s each;
//! 3. a contract's PDF: under 100 ms.
//!
//! The population: the demo course (lti-config/demo/, sample questionnaire
//! docs/examples/questionnaire-l1.yaml, formations MATH, PHYS, INFO) configured in a fresh
//! SQLite database, then BENCH_CONTRACTS students written with the store functions: the user,
//! their launch in the course and Moodle group, the roster (NRPS) and the web-service group
//! memberships, and a contract whose answers were produced by walking the questionnaire page
//! by page with `submit_page` (so every answer is valid: statuses, aménagements offered by the
//! formation, tutoring slots…, 64 answer profiles per formation) and signed for real with
//! `contract::signing::sign` (canonical content, fingerprint, number, history). About 70 % are
//! signed, 16 % validated, 4 % reopened and 10 % drafts; BENCH_NOT_STARTED more learners are
//! in the roster and groups only (never opened the tool: "not started" on the dashboard).
//! BENCH_DASHBOARD of the contracts are in MATH, the rest split between PHYS and INFO.
//!
//! What is measured:
//! - dashboard: `cpre serve` is started on the database, a teacher of group 1 (MATH) launches
//!   through the test platform (tests/support/platform.rs), and GET
//!   `/s/{token}/suivi/formations/MATH` is timed (client side, loopback) BENCH_RUNS times for
//!   a few list variants, with the server's CPU time per request from /proc; then the domain
//!   calls are timed in-process to show where the time goes: `dashboard::students` (the
//!   scope's contracts, then the members of its groups who have not started),
//!   `dashboard::dashboard` and `dashboard::choosing` (the aménagement filter);
//! - exports: in-process, `Export::prepare` over every formation, then `stream_csv` into a
//!   `Vec` and `build_xlsx` (what the handlers run), BENCH_EXPORT_RUNS times each, with the
//!   output size and the peak RSS growth (VmHWM reset through /proc/self/clear_refs); then
//!   once through HTTP as the course's administrator (GET `/s/{token}/suivi/export/{csv,xlsx}`);
//! - PDF: in-process `record::open` + `web::followup::contract::document` + `pdf::render` for a
//!   typical and for the longest signed contract of MATH, BENCH_RUNS times; then GET
//!   `…/suivi/contrats/{id}/pdf` through HTTP.
//!
//! `make bench` (or `cargo bench --bench staff`). Knobs: BENCH_CONTRACTS (10000),
//! BENCH_DASHBOARD (5000, contracts in MATH), BENCH_NOT_STARTED (contracts / 20),
//! BENCH_RUNS (30), BENCH_EXPORT_RUNS (3), BENCH_DB (a path: keep the database there).

#[path = "common.rs"]
#[allow(dead_code)]
mod common;
#[path = "../support/platform.rs"]
#[allow(dead_code)]
mod platform;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{env_or, free_port, status_kib, wait_healthy};
use cpre::contract::signing::{
    self, ContractRef, CourseRef, QuestionnaireRef, Seal, SignedContent, SignedIdentity,
};
use cpre::contract::{ContractError, ContractState, EventKind, lifecycle};
use cpre::course::file;
use cpre::export::pdf;
use cpre::followup::dashboard::{self, Filter};
use cpre::followup::export::Export;
use cpre::followup::{Scope, record};
use cpre::lti::nrps::Member;
use cpre::moodle_ws::{CourseGroup, GroupMembers};
use cpre::questionnaire::{
    AnswerValue, Answers, BlockView, Environment, Formation, Identity, QuestionView, Questionnaire,
};
use cpre::store::contracts::{self, NewContract};
use cpre::store::formations::FormationRow;
use cpre::store::schema::contracts as contracts_t;
use cpre::store::{DbConn, DbPool, context_launches, now_micros, users};
use cpre::web::followup::contract::document;
use cpre::web::followup::exports::{build_xlsx, stream_csv};
use diesel::prelude::*;
use platform::{LaunchSpec, TestPlatform};

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;
/// Answer profiles per formation (each student takes one, with their own identity).
const PROFILES: u64 = 64;

/// A well-mixed 64-bit value of `x` (splitmix64): the bench's deterministic randomness.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ------------------------------------------------------------------------------ figures

/// Sorted durations with their median, p95 and mean.
struct Stats(Vec<Duration>);

impl Stats {
    fn new(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        Stats(samples)
    }
    fn pick(&self, q: f64) -> Duration {
        self.0[((self.0.len() as f64 - 1.0) * q).round() as usize]
    }
    fn median_ms(&self) -> f64 {
        self.pick(0.5).as_secs_f64() * 1e3
    }
    fn p95_ms(&self) -> f64 {
        self.pick(0.95).as_secs_f64() * 1e3
    }
    fn line(&self) -> String {
        format!(
            "median {:>8.2} ms   p95 {:>8.2} ms",
            self.median_ms(),
            self.p95_ms()
        )
    }
}

/// Times `f` `n` times after two warm-up calls.
fn time<T>(n: usize, mut f: impl FnMut() -> T) -> Stats {
    for _ in 0..2 {
        black_box(f());
    }
    Stats::new(
        (0..n)
            .map(|_| {
                let started = Instant::now();
                black_box(f());
                started.elapsed()
            })
            .collect(),
    )
}

/// User + system CPU time of a process, in ms (USER_HZ is 100 on Linux).
fn cpu_ms(pid: u32) -> f64 {
    common::cpu_ticks(pid) as f64 * 10.0
}

/// The 1-minute load average (the machine's other work shows in the figures).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned()
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

// ------------------------------------------------------------------- answers to the sample

/// Values chosen in `options` (1, or 2 one time in three), kept in option order.
fn some_of(options: &[&str], p: u64, max: usize) -> Vec<String> {
    if options.is_empty() {
        return Vec::new();
    }
    let n = options.len() as u64;
    let mut chosen = vec![(p % n) as usize];
    if max >= 2 && (p >> 16).is_multiple_of(3) {
        chosen.push(((p >> 8) % n) as usize);
    }
    options
        .iter()
        .enumerate()
        .filter(|(i, _)| chosen.contains(i))
        .map(|(_, v)| (*v).to_owned())
        .collect()
}

const PROJECTS: [&str; 4] = [
    "J'ai choisi cette licence pour devenir professeur des écoles ; je veux consolider mes bases et découvrir la recherche.",
    "Après un bac général, je souhaite poursuivre en master puis travailler dans l'ingénierie ou l'enseignement.",
    "Je me réoriente après une première année de BTS : cette licence correspond mieux à ce que j'aime, les sciences fondamentales.",
    "Je ne sais pas encore quel métier exercer ; j'attends de cette année qu'elle m'aide à choisir une spécialité en L2.",
];

/// What a student of profile `p` answers to a visible question (form values).
fn answer(view: &QuestionView<'_>, p: u64) -> Vec<String> {
    let options: Vec<&str> = view.options.iter().map(|o| o.value).collect();
    let bits = |shift: u32, m: u64| (p >> shift) % m;
    let one = |s: &str| vec![s.to_owned()];
    let maybe = |yes: bool, s: &str| if yes { one(s) } else { Vec::new() };
    match view.id {
        "telephone" => maybe(bits(1, 2) == 0, "06 12 34 56 78"),
        "a_un_statut" => one(if bits(2, 5) < 2 { "oui" } else { "non" }),
        "statuts" => some_of(&options, p >> 5, 2),
        "heures_travail" => one(&(8 + bits(16, 20)).to_string()),
        "employeur" => maybe(bits(21, 2) == 0, "Supermarché du centre-ville"),
        "debut_contrat_travail" => one("2024-09-02"),
        "discipline_sportive" => {
            one(["Judo", "Aviron", "Handball", "Athlétisme"][bits(22, 4) as usize])
        }
        "heures_entrainement" => one("18"),
        "domaine_artistique" => {
            one(["Violon", "Danse contemporaine", "Théâtre"][bits(22, 3) as usize])
        }
        "etablissement_artistique" => one("Conservatoire à rayonnement régional"),
        "besoins_specifiques" => maybe(
            bits(24, 2) == 0,
            "Une place au premier rang et les supports de cours en gros caractères.",
        ),
        "personnes_a_charge" => one(&(1 + bits(25, 3)).to_string()),
        "amenagements_demandes" => {
            let offered: Vec<&str> = options
                .iter()
                .copied()
                .filter(|v| *v != "aucun_amenagement")
                .collect();
            if offered.is_empty() || bits(26, 4) == 0 {
                one("aucun_amenagement")
            } else {
                some_of(&offered, p >> 27, 2)
            }
        }
        "justification_amenagements" => one(
            "Je travaille le soir trois jours par semaine et j'ai besoin d'un rythme adapté aux examens.",
        ),
        "tutorat" => one(if bits(30, 5) < 2 { "oui" } else { "non" }),
        "admission_oui_si" => one(if bits(33, 6) == 0 { "oui" } else { "non" }),
        "projet_formation" => one(PROJECTS[bits(36, 4) as usize]),
        "projet_professionnel" => match bits(39, 4) {
            3 => Vec::new(),
            i => one(options[i as usize % options.len()]),
        },
        "rdv_orientation" => maybe(bits(42, 2) == 0, "oui"),
        _ => match view.type_name {
            "acknowledgement" | "engagement" => one("oui"),
            "identity" => one(&view.input_value),
            "single_choice" if !options.is_empty() => {
                one(options[bits(44, options.len() as u64) as usize])
            }
            "multiple_choice" => some_of(&options, p >> 48, 2),
            _ if view.required => {
                panic!("the bench has no answer for required question {}", view.id)
            }
            _ => Vec::new(),
        },
    }
}

/// What posted values become in the answers (to see which questions they reveal).
fn as_answer(type_name: &str, values: &[String]) -> Option<AnswerValue> {
    let first = values.first()?;
    Some(match type_name {
        "multiple_choice" => AnswerValue::List(values.to_vec()),
        "acknowledgement" | "engagement" => AnswerValue::Bool(true),
        "number" => AnswerValue::Number(first.parse().ok()?),
        _ => AnswerValue::Text(first.clone()),
    })
}

/// The form a student of profile `p` posts on `page_id`, filled against the page as shown
/// for the answers so far plus what is being posted (so that a question revealed on the same
/// page, like `statuts` after `a_un_statut`, is answered too).
fn page_form(
    q: &Questionnaire,
    env: &Environment,
    answers: &Answers,
    page_id: &str,
    p: u64,
) -> Vec<(String, String)> {
    let mut tentative = answers.clone();
    let mut form: Vec<(String, String)> = Vec::new();
    for _ in 0..4 {
        let flow = q.flow(env, &tentative);
        let page = flow.page(page_id).expect("the page is shown");
        let mut next = Vec::new();
        for block in &page.blocks {
            let BlockView::Question(view) = block else {
                continue;
            };
            if view.read_only {
                continue;
            }
            let values = answer(view, p);
            match as_answer(view.type_name, &values) {
                Some(v) => tentative.insert(view.id, v),
                None => {
                    tentative.remove(view.id);
                }
            }
            next.extend(values.into_iter().map(|v| (view.field_name.clone(), v)));
        }
        if next == form {
            break;
        }
        form = next;
    }
    form
}

/// One way of filling the contract: the complete answers, and the drafts after each page.
struct Profile {
    complete: Answers,
    /// (pages done, answers) after each page, for drafts.
    drafts: Vec<(Vec<String>, Answers)>,
}

/// Fills the contract page after page as a student of profile `p` would.
fn walk(q: &Questionnaire, env: &Environment, p: u64) -> Profile {
    let mut answers = Answers::new();
    let mut done = Vec::new();
    let mut drafts = Vec::new();
    let mut page = q.flow(env, &answers).first_page().map(|v| v.id.to_owned());
    while let Some(id) = page {
        let form = page_form(q, env, &answers, &id, p);
        answers = q
            .submit_page(env, &answers, &id, &form)
            .unwrap_or_else(|e| panic!("profile {p:x}, page {id}: {e:?}"));
        done.push(id.clone());
        drafts.push((done.clone(), answers.clone()));
        page = q
            .flow(env, &answers)
            .next_page(&id)
            .map(|v| v.id.to_owned());
    }
    let complete = q
        .check_complete(env, &answers)
        .unwrap_or_else(|e| panic!("profile {p:x} incomplete: {e:?}"));
    Profile { complete, drafts }
}

// ------------------------------------------------------------------------------ population

const GIVEN: [&str; 24] = [
    "Camille", "Léa", "Lucas", "Manon", "Hugo", "Chloé", "Nathan", "Inès", "Louis", "Emma", "Théo",
    "Jade", "Enzo", "Sarah", "Mathis", "Zoé", "Yanis", "Élodie", "Noah", "Clément", "Anaïs",
    "Rayan", "Océane", "Gaël",
];
const FAMILY: [&str; 40] = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
];

/// A student of the population.
struct Person {
    sub: String,
    given: &'static str,
    family: &'static str,
    number: String,
    email: String,
}

impl Person {
    fn new(i: usize) -> Person {
        let h = mix(i as u64 ^ 0x5EED);
        let given = GIVEN[(h % GIVEN.len() as u64) as usize];
        let family = FAMILY[((h >> 8) % FAMILY.len() as u64) as usize];
        let ascii = |s: &str| cpre::followup::fold(s).replace(' ', "-");
        Person {
            sub: (100_000 + i).to_string(),
            given,
            family,
            number: (22_500_000 + i).to_string(),
            email: format!("{}.{}{i}@etu.univ.example.fr", ascii(given), ascii(family)),
        }
    }
    fn name(&self) -> String {
        format!("{} {}", self.given, self.family)
    }
    fn identity(&self) -> users::Person {
        users::Person {
            sub: self.sub.clone(),
            name: self.name(),
            given_name: self.given.into(),
            family_name: self.family.into(),
            email: self.email.clone(),
            person_sourcedid: self.number.clone(),
            username: format!("e{}", self.number),
        }
    }
    /// A profile's answers with this student's identity and phone.
    fn answers(&self, profile: &Answers, i: usize) -> Answers {
        let mut a = profile.clone();
        let phone = format!(
            "06 {:02} {:02} {:02} {:02}",
            i / 1_000_000 % 100,
            i / 10_000 % 100,
            i / 100 % 100,
            i % 100
        );
        for (id, value) in [
            ("nom_complet", self.name()),
            ("numero_etudiant", self.number.clone()),
            ("email_contact", self.email.clone()),
            ("telephone", phone),
        ] {
            if a.get(id).is_some() {
                a.insert(id, AnswerValue::Text(value));
            }
        }
        a
    }
}

/// A formation of the course with what its contracts are answered with.
struct Course {
    row: FormationRow,
    group: i64,
    data: Formation,
    profiles: Vec<Profile>,
    /// Contracts and roster-only students of this formation.
    contracts: usize,
    not_started: usize,
}

/// What the seeding left for the measures.
struct Seeded {
    context_id: cpre::store::ids::CourseId,
    year: String,
    formations: Vec<FormationRow>,
    /// Counts by state (all formations).
    states: BTreeMap<&'static str, usize>,
    /// MATH contracts to print: a typical signed one and the one with the most answers.
    pdf_typical: cpre::store::ids::ContractId,
    pdf_longest: (cpre::store::ids::ContractId, usize),
}

/// Registers the platform, configures the demo course and writes the population.
fn seed(
    db: &DbPool,
    platform: &TestPlatform,
    total: usize,
    in_math: usize,
    not_started: usize,
) -> Seeded {
    let mut conn = db.get().unwrap();
    let conn: &mut DbConn = &mut conn;
    cpre::keyring::ensure_key(conn).unwrap();
    let registered =
        cpre::registration::register(conn, &platform.spec(), cpre::store::platforms::Source::Cli)
            .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lti-config/demo/course.yaml");
    let mut course = file::read(&path).unwrap_or_else(|e| panic!("demo course: {e}"));
    course.issuer = platform.issuer().to_string();
    course.client_id = platform.state.client_id();
    let applied = cpre::store::transaction(conn, |c| cpre::course::configure::apply(c, &course))
        .unwrap_or_else(|e| panic!("configure: {e}"));
    let context = applied.context;
    let year = course.academic_year.clone();
    let (version, questionnaire) = cpre::course::versions::latest(conn, &context.id, "cpre-l1")
        .unwrap()
        .expect("the sample questionnaire is published");

    // The formations, with their answer profiles and their share of the population.
    let rows = cpre::store::formations::of_context(conn, &context.id).unwrap();
    let groups: BTreeMap<cpre::store::ids::FormationId, i64> =
        cpre::store::formations::groups_of_context(conn, &context.id)
            .unwrap()
            .into_iter()
            .map(|(g, f)| (f, g))
            .collect();
    let in_math = in_math.min(total);
    let rest = total - in_math;
    let mut courses: Vec<Course> = rows
        .iter()
        .map(|row| {
            let prepared = cpre::course::prepared_formation(row).unwrap();
            let env = Environment::with_prepared(
                prepared,
                year.clone(),
                false,
                Identity {
                    full_name: Some("Camille Martin".into()),
                    given_name: Some("Camille".into()),
                    family_name: Some("Martin".into()),
                    email: Some("camille.martin@etu.univ.example.fr".into()),
                    student_number: Some("22500000".into()),
                },
            );
            let salt = mix(row.position as u64 + 17);
            let profiles = (0..PROFILES)
                .map(|p| walk(&questionnaire, &env, mix(salt ^ p)))
                .collect();
            let contracts = match row.code.as_str() {
                "MATH" => in_math,
                "PHYS" => rest * 3 / 5,
                _ => rest - rest * 3 / 5,
            };
            Course {
                data: cpre::course::formation_data(row).unwrap(),
                group: groups[&row.id],
                row: row.clone(),
                profiles,
                contracts,
                not_started: not_started * contracts / total.max(1),
            }
        })
        .collect();
    courses.sort_by_key(|c| c.row.position);

    let course_ref = CourseRef {
        id: context.lti_id.clone(),
        title: context.title.clone(),
        label: context.label.clone(),
    };
    let questionnaire_ref = QuestionnaireRef {
        key: version.questionnaire_key.clone(),
        version: version.version,
        title: version.title.clone(),
        content_hash: version.content_hash.clone(),
    };
    let now = now_micros();
    let mut states: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut pdf_typical = cpre::store::ids::ContractId::default();
    let mut pdf_longest = (cpre::store::ids::ContractId::default(), 0);
    let mut roster: Vec<Member> = Vec::new();
    let mut ws_members: Vec<GroupMembers> = Vec::new();
    cpre::store::transaction(conn, |conn| -> Result<(), ContractError> {
        let staff = users::upsert(
            conn,
            &registered.id,
            &users::Person {
                sub: "staff-de".into(),
                name: "Claire Dubois".into(),
                given_name: "Claire".into(),
                family_name: "Dubois".into(),
                email: "de-l1-maths@univ.example.fr".into(),
                ..Default::default()
            },
        )?;
        let mut i = 0;
        for c in &courses {
            let mut userids = Vec::new();
            for k in 0..c.contracts + c.not_started {
                let person = Person::new(i);
                let h = mix(i as u64);
                i += 1;
                userids.push(person.sub.parse::<i64>().unwrap());
                roster.push(Member {
                    user_id: person.sub.clone(),
                    roles: vec!["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner".into()],
                    status: "Active".into(),
                    name: Some(person.name()),
                    given_name: Some(person.given.into()),
                    family_name: Some(person.family.into()),
                    email: Some(person.email.clone()),
                    lis_person_sourcedid: Some(person.number.clone()),
                    ext_user_username: Some(format!("e{}", person.number)),
                });
                if k >= c.contracts {
                    *states
                        .entry(dashboard::StudentState::NotStarted.as_str())
                        .or_default() += 1;
                    continue;
                }
                // Started some day of the last ten weeks, signed one to nine days later.
                let started = now - (h % 70) as i64 * DAY - ((h >> 8) % 20) as i64 * HOUR - HOUR;
                let signed_at = (started + (1 + (h >> 16) % 9) as i64 * DAY).min(now - HOUR);
                let user = users::upsert(conn, &registered.id, &person.identity())?;
                context_launches::record(conn, &context.id, &user.id, started, false)?;
                users::set_groups(conn, &context.id, &user.id, &[c.group])?;
                let profile = &c.profiles[((h >> 24) % PROFILES) as usize];
                let state = match (h >> 32) % 100 {
                    0..10 => ContractState::Draft,
                    10..14 => ContractState::Reopened,
                    14..30 => ContractState::Validated,
                    _ => ContractState::Signed,
                };
                *states.entry(state.as_str()).or_default() += 1;
                let (pages_done, draft) = if state == ContractState::Draft {
                    let (done, a) = &profile.drafts[((h >> 40) as usize) % profile.drafts.len()];
                    (done.clone(), person.answers(a, i))
                } else {
                    (Vec::new(), Answers::new())
                };
                let row = contracts::insert(
                    conn,
                    &NewContract {
                        context_id: &context.id,
                        formation_id: &c.row.id,
                        user_id: &user.id,
                        academic_year: &year,
                        questionnaire_version_id: &version.id,
                        state: ContractState::Draft,
                        answers: &serde_json::to_string(&draft).unwrap(),
                        previous_contract_id: None,
                    },
                )?;
                diesel::update(contracts_t::table.find(&row.id))
                    .set((
                        contracts_t::created_at.eq(started),
                        contracts_t::updated_at.eq(started + HOUR),
                        contracts_t::pages_done.eq(serde_json::to_string(&pages_done).unwrap()),
                    ))
                    .execute(conn)
                    .map_err(cpre::store::StoreError::from)?;
                contracts::add_event(
                    conn,
                    &row.id,
                    EventKind::Started,
                    Some(&user.id),
                    &serde_json::json!({ "questionnaire_version": version.version }),
                )?;
                if state == ContractState::Draft {
                    continue;
                }
                let answers = person.answers(&profile.complete, i);
                let content = SignedContent {
                    format: String::new(),
                    contract: ContractRef {
                        id: String::new(),
                        number: String::new(),
                        seq: 0,
                        academic_year: String::new(),
                        previous_fingerprint: None,
                    },
                    platform: platform.issuer().to_string(),
                    course: course_ref.clone(),
                    formation: c.data.clone(),
                    previous_contract: false,
                    questionnaire: questionnaire_ref.clone(),
                    identity: SignedIdentity {
                        sub: user.sub.clone(),
                        name: user.name.clone(),
                        given_name: user.given_name.clone(),
                        family_name: user.family_name.clone(),
                        email: user.email.clone(),
                        student_number: user.person_sourcedid.clone(),
                    },
                    answers: Answers::new(),
                    signed_at: String::new(),
                };
                let draft_row = contracts::get(conn, &row.id)?;
                signing::sign(
                    conn,
                    Seal {
                        contract: &draft_row,
                        answers: &answers,
                        content,
                        signer_id: &user.id,
                        resource_link_id: None,
                        now: signed_at,
                    },
                )?
                .expect("signed");
                match state {
                    ContractState::Validated => {
                        lifecycle::validate(conn, &row.id, &staff.id)?;
                    }
                    ContractState::Reopened => {
                        lifecycle::reopen(
                            conn,
                            &row.id,
                            &staff.id,
                            "Précisez votre projet de formation.",
                        )?;
                    }
                    _ => {}
                }
                if c.row.code == "MATH" && state == ContractState::Signed {
                    if pdf_typical.is_empty()
                        && answers.get("a_un_statut").and_then(AnswerValue::as_text) == Some("non")
                    {
                        pdf_typical = row.id.clone();
                    }
                    if answers.len() > pdf_longest.1 {
                        pdf_longest = (row.id.clone(), answers.len());
                    }
                }
            }
            ws_members.push(GroupMembers {
                groupid: c.group,
                userids,
            });
        }
        // The roster (NRPS) and the Moodle groups (web service), as a synchronisation leaves them.
        cpre::store::roster::replace(conn, &context.id, &roster, now)?;
        let groups: Vec<CourseGroup> = courses
            .iter()
            .map(|c| CourseGroup {
                id: c.group,
                courseid: 2,
                name: c.row.title.clone(),
                idnumber: String::new(),
                description: String::new(),
            })
            .collect();
        cpre::store::groups::replace(conn, &context.id, &groups, &ws_members, now)?;
        Ok(())
    })
    .unwrap_or_else(|e| panic!("seeding: {e}"));
    assert!(
        !pdf_typical.is_empty() && !pdf_longest.0.is_empty(),
        "MATH has signed contracts"
    );
    Seeded {
        context_id: context.id,
        year,
        formations: courses.into_iter().map(|c| c.row).collect(),
        states,
        pdf_typical,
        pdf_longest,
    }
}

// ----------------------------------------------------------------------------------- HTTP

fn serve(exe: &str, db_url: &str, port: u16) -> Child {
    Command::new(exe)
        .arg("serve")
        .env("CPRE_DATABASE_URL", db_url)
        .env("CPRE_BIND", format!("127.0.0.1:{port}"))
        .env("CPRE_BASE_URL", format!("http://127.0.0.1:{port}"))
        // Nothing in the background: no grade delivery, no roster synchronisation (which
        // would replace the seeded roster with the test platform's).
        .env("CPRE_GRADES_WORKER", "false")
        .env("CPRE_ROSTER_SYNC_HOURS", "0")
        .env(
            "CPRE_LOG",
            std::env::var("CPRE_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A complete launch (login initiation → platform auth → form_post); returns the session's
/// base path `/s/{token}` and the binding cookie when there is one.
async fn launch(
    client: &reqwest::Client,
    base: &str,
    platform: &TestPlatform,
    spec: LaunchSpec,
) -> (String, Option<String>) {
    let hint = platform.expect_launch(spec);
    let (first, binding) =
        common::launch(client, base, &platform.base, &platform.initiation(&hint)).await;
    (first.trim_end_matches('/').to_string(), binding)
}

/// A session of the running tool.
struct Session {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Session {
    /// GETs `path` (under the session) and reads the whole body: (time, status, body).
    async fn get(&self, path: &str) -> (Duration, u16, Vec<u8>) {
        let started = Instant::now();
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap().to_vec();
        (started.elapsed(), status, body)
    }

    /// GETs `path` `n` times (after two warm-ups, all 200): the latencies and the server's
    /// CPU time per request.
    async fn time(&self, path: &str, n: usize, server: u32) -> (Stats, f64, usize) {
        let mut size = 0;
        for _ in 0..2 {
            let (_, status, body) = self.get(path).await;
            assert_eq!(
                status,
                200,
                "GET {path}: {}",
                String::from_utf8_lossy(&body)
            );
            size = body.len();
        }
        let cpu = cpu_ms(server);
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let (t, status, _) = self.get(path).await;
            assert_eq!(status, 200);
            samples.push(t);
        }
        (Stats::new(samples), (cpu_ms(server) - cpu) / n as f64, size)
    }
}

// ----------------------------------------------------------------------------------- main

#[tokio::main]
async fn main() {
    let total = env_or("BENCH_CONTRACTS", 10_000);
    let in_math = env_or("BENCH_DASHBOARD", 5_000).min(total);
    let not_started = env_or("BENCH_NOT_STARTED", total / 20);
    let runs = env_or("BENCH_RUNS", 30).max(1);
    let export_runs = env_or("BENCH_EXPORT_RUNS", 3).max(1);
    // BENCH_DB=path keeps the database there (to study it with the sqlite3 shell).
    let dir = tempfile::tempdir().unwrap();
    let db_path = std::env::var("BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("bench.sqlite"));
    let _ = std::fs::remove_file(&db_path);
    let db_url = format!("sqlite://{}", db_path.display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let exe = env!("CARGO_BIN_EXE_cpre");

    let platform = TestPlatform::start("bench-client").await;
    *platform.state.tool_launch_url.lock().unwrap() = format!("{base}/lti/launch");

    let db = DbPool::open_and_migrate(&db_url, 4).unwrap();
    let seeding = Instant::now();
    let seeded = seed(&db, &platform, total, in_math, not_started);
    db.checkpoint().unwrap();
    let seed_secs = seeding.elapsed().as_secs_f64();
    let db_size = std::fs::metadata(&db_path)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    let math = seeded
        .formations
        .iter()
        .find(|f| f.code == "MATH")
        .expect("MATH")
        .clone();
    let all = Scope {
        context_id: seeded.context_id.clone(),
        formation_ids: seeded.formations.iter().map(|f| f.id.clone()).collect(),
    };
    let math_scope = all.only(&math.id);
    let year = seeded.year.clone();

    println!(
        "staff follow-up benchmark (SQLite, one request at a time; {} CPUs, load average {} at start)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load()
    );
    println!(
        "population: {total} contracts ({in_math} in MATH, the rest in PHYS and INFO), {not_started} roster students not started"
    );
    println!(
        "  states: {}",
        seeded
            .states
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  seeded in {seed_secs:.1} s (answers walked through the questionnaire, real signatures); database {:.1} MiB",
        mib(db_size)
    );

    // ---------------------------------------------------------------- 1. dashboard, in-process
    let mut conn = db.get().unwrap();
    let rows = dashboard::students(&mut conn, &math_scope, &year).unwrap();
    let counts = dashboard::counts(&rows);
    assert_eq!(
        counts.total - counts.not_started,
        in_math,
        "every MATH contract is listed"
    );

    let t_students = time(runs, || {
        dashboard::students(&mut conn, &math_scope, &year).unwrap()
    });
    let t_board = time(runs, || {
        dashboard::dashboard(rows.clone(), &Filter::default(), None)
    });
    let t_choosing = time(runs, || {
        dashboard::choosing(&mut conn, &math_scope, &year, "tiers_temps").unwrap()
    });

    // ------------------------------------------------------------------ 2. exports, in-process
    let prepare = time(export_runs, || {
        Export::prepare(&mut conn, &all, &year, "fr", chrono_tz::Europe::Paris)
            .unwrap()
            .len()
    });
    let prepared = Export::prepare(&mut conn, &all, &year, "fr", chrono_tz::Europe::Paris).unwrap();
    assert_eq!(prepared.len(), total, "every contract is exported");
    let columns = prepared.headers.len();
    drop(conn);
    let rss_before = status_kib("self", "VmRSS:");
    let reset_peak = || std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let peak_reset = reset_peak();
    let mut csv_size = 0;
    let t_csv = time(export_runs, || {
        let bytes = stream_csv(&db, &prepared, Vec::new()).unwrap();
        csv_size = bytes.len();
        bytes.len()
    });
    let csv_peak = status_kib("self", "VmHWM:");
    reset_peak();
    let mut xlsx_size = 0;
    let t_xlsx = time(export_runs, || {
        let bytes = build_xlsx(&db, &prepared, "L1-CONTRAT").unwrap();
        assert_eq!(&bytes[..2], b"PK");
        xlsx_size = bytes.len();
        bytes.len()
    });
    let xlsx_peak = status_kib("self", "VmHWM:");

    // ---------------------------------------------------------------------- 3. PDF, in-process
    let mut conn = db.get().unwrap();
    let mut pdf_stats = Vec::new();
    for (label, id) in [
        ("typical (no particular status)", &seeded.pdf_typical),
        ("longest answers", &seeded.pdf_longest.0),
    ] {
        let rec = record::open(&mut conn, &math_scope, id, None)
            .unwrap()
            .expect("in scope");
        let open = time(runs, || {
            record::open(&mut conn, &math_scope, id, None).unwrap()
        });
        let doc = document(&rec, "fr", "L1 Contrat", chrono_tz::Europe::Paris);
        let layout = time(runs, || {
            document(&rec, "fr", "L1 Contrat", chrono_tz::Europe::Paris)
        });
        let bytes = pdf::render(&doc).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let render = time(runs, || pdf::render(&doc).unwrap());
        let whole = time(runs, || {
            let rec = record::open(&mut conn, &math_scope, id, None)
                .unwrap()
                .unwrap();
            pdf::render(&document(
                &rec,
                "fr",
                "L1 Contrat",
                chrono_tz::Europe::Paris,
            ))
            .unwrap()
        });
        let items: usize = rec.summary.iter().map(|p| p.items.len()).sum();
        pdf_stats.push((
            label,
            id.clone(),
            items,
            bytes.len(),
            open,
            layout,
            render,
            whole,
        ));
    }
    drop(conn);

    // ------------------------------------------------------------------------------- 4. HTTP
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut server = serve(exe, &db_url, port);
    let pid = server.id();
    wait_healthy(&client, &base).await;
    let (teacher_base, teacher_cookie) =
        launch(&client, &base, &platform, LaunchSpec::teacher().groups("1")).await;
    let teacher = Session {
        client: client.clone(),
        base: format!("{base}{teacher_base}"),
        cookie: teacher_cookie,
    };
    let variants = [
        (
            "list, name order, page 1 (default)",
            "/suivi/formations/MATH".to_string(),
        ),
        (
            "search « martin » + state signed",
            "/suivi/formations/MATH?q=martin&etat=signed".into(),
        ),
        (
            "aménagement filter (tiers_temps)",
            "/suivi/formations/MATH?option=tiers_temps".into(),
        ),
        (
            "sorted by state, descending, last page",
            format!(
                "/suivi/formations/MATH?tri=etat&ordre=desc&page={}",
                (in_math + not_started).div_ceil(dashboard::PAGE_SIZE)
            ),
        ),
    ];
    let mut http_board = Vec::new();
    for (label, path) in &variants {
        let (stats, cpu, size) = teacher.time(path, runs, pid).await;
        http_board.push((*label, stats, cpu, size));
    }
    let pdf_path = format!("/suivi/contrats/{}/pdf", seeded.pdf_longest.0);
    let (http_pdf, http_pdf_cpu, _) = teacher.time(&pdf_path, runs, pid).await;

    let (admin_base, admin_cookie) = launch(&client, &base, &platform, LaunchSpec::admin()).await;
    let admin = Session {
        client: client.clone(),
        base: format!("{base}{admin_base}"),
        cookie: admin_cookie,
    };
    let mut http_exports = Vec::new();
    for format in ["csv", "xlsx"] {
        let cpu = cpu_ms(pid);
        let (t, status, body) = admin.get(&format!("/suivi/export/{format}")).await;
        assert_eq!(
            status,
            200,
            "export {format}: {}",
            String::from_utf8_lossy(&body[..body.len().min(500)])
        );
        http_exports.push((format, t, cpu_ms(pid) - cpu, body.len()));
    }
    let server_peak = status_kib(&pid.to_string(), "VmHWM:");
    let _ = server.kill();
    let _ = server.wait();

    // ------------------------------------------------------------------------------ report
    println!();
    println!(
        "1. formation dashboard, MATH: {} contracts + {} not started ({} rows), {runs} requests each",
        in_math, counts.not_started, counts.total
    );
    println!(
        "   HTTP GET /s/…/suivi/formations/MATH as a teacher of group 1 (client time, loopback):"
    );
    for (label, stats, cpu, size) in &http_board {
        println!(
            "     {label:<42} {}   server CPU {cpu:>6.1} ms/request   {:.0} KiB",
            stats.line(),
            *size as f64 / 1024.0
        );
    }
    println!("   in-process breakdown (same database, {runs} runs):");
    println!(
        "     dashboard::students (contracts + not started)   {}",
        t_students.line()
    );
    println!(
        "     dashboard::dashboard (clone, counts, sort, page) {}",
        t_board.line()
    );
    println!(
        "     dashboard::choosing (aménagement filter)         {}",
        t_choosing.line()
    );

    println!();
    println!(
        "2. exports of {total} contracts (3 formations, {columns} columns), {export_runs} runs each, in-process:"
    );
    println!("     Export::prepare                   {}", prepare.line());
    println!(
        "     prepare + stream_csv into a Vec   median {:>6.2} s   {:.1} MiB",
        t_csv.pick(0.5).as_secs_f64() + prepare.pick(0.5).as_secs_f64(),
        mib(csv_size)
    );
    println!(
        "     prepare + build_xlsx              median {:>6.2} s   {:.1} MiB",
        t_xlsx.pick(0.5).as_secs_f64() + prepare.pick(0.5).as_secs_f64(),
        mib(xlsx_size)
    );
    if peak_reset {
        println!(
            "     peak RSS: {:.0} MiB before, {:.0} MiB during CSV, {:.0} MiB during XLSX",
            rss_before as f64 / 1024.0,
            csv_peak as f64 / 1024.0,
            xlsx_peak as f64 / 1024.0
        );
    }
    println!("   HTTP as the course's administrator (every formation), whole body read:");
    for (format, t, cpu, size) in &http_exports {
        println!(
            "     GET /s/…/suivi/export/{format:<5}        {:>6.2} s   server CPU {:.2} s   {:.1} MiB",
            t.as_secs_f64(),
            cpu / 1e3,
            mib(*size)
        );
    }
    println!(
        "     server peak RSS (whole run): {:.0} MiB",
        server_peak as f64 / 1024.0
    );

    println!();
    println!("3. contract PDF (signed MATH contracts), {runs} runs, in-process:");
    for (label, id, items, size, open, layout, render, whole) in &pdf_stats {
        println!(
            "   {label}: {id}, {items} answers shown, {:.0} KiB",
            *size as f64 / 1024.0
        );
        println!("     record::open                      {}", open.line());
        println!("     contract::document                {}", layout.line());
        println!("     pdf::render                       {}", render.line());
        println!("     open + document + render          {}", whole.line());
    }
    println!(
        "   HTTP GET /s/…/suivi/contrats/{{id}}/pdf (longest)   {}   server CPU {http_pdf_cpu:.1} ms/request",
        http_pdf.line()
    );

    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    let board = http_board[0].1.median_ms();
    let csv = t_csv.pick(0.5).as_secs_f64() + prepare.pick(0.5).as_secs_f64();
    let xlsx = t_xlsx.pick(0.5).as_secs_f64() + prepare.pick(0.5).as_secs_f64();
    let pdf_ms = pdf_stats
        .iter()
        .map(|s| s.7.median_ms())
        .fold(0.0, f64::max);
    println!();
    println!(
        "summary against the targets (load average {} at the end):",
        load()
    );
    println!(
        "  dashboard {in_math} contracts: median {board:.1} ms over HTTP (target < 50 ms)   {}",
        verdict(board < 50.0)
    );
    println!(
        "  CSV export {total} contracts: {csv:.2} s (target < 3 s)   {}",
        verdict(csv < 3.0)
    );
    println!(
        "  XLSX export {total} contracts: {xlsx:.2} s (target < 3 s)   {}",
        verdict(xlsx < 3.0)
    );
    println!(
        "  contract PDF: median {pdf_ms:.1} ms, longest contract (target < 100 ms)   {}",
        verdict(pdf_ms < 100.0)
    );
}
