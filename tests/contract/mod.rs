//! The student's contract through HTTP: routing, the page-by-page flow, signing, receipts, tampering; the course and questionnaire commands.

mod cli;
mod flow;
mod gradebook;
mod lifecycle;
mod routing;
mod tampering;

use std::path::Path;

use cpre::course::configure::{self, Applied};
use cpre::course::file::{self, CourseFile};
use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::support::app::{Browser, TestApp, location};
use crate::support::platform::LaunchSpec;

/// The demo course configuration (lti-config/demo/course.yaml) for the test platform.
pub fn demo_course(app: &TestApp) -> CourseFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("lti-config/demo/course.yaml");
    let mut course = file::read(&path).unwrap_or_else(|e| panic!("demo course: {e}"));
    course.issuer = app.platform.issuer().to_string();
    course
}

/// Applies a course configuration to the app's database.
pub async fn configure(app: &TestApp, course: CourseFile) -> Applied {
    app.state
        .db
        .run(move |conn| {
            Ok(cpre::store::transaction(conn, |c| {
                configure::apply(c, &course)
            }))
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("configure: {e}"))
}

/// Configures the demo course (MATH group 1, PHYS group 2, INFO group 3, year 2025-2026).
pub async fn configure_demo(app: &TestApp) -> Applied {
    configure(app, demo_course(app)).await
}

/// A launched student and their browser.
pub struct Student {
    pub browser: Browser,
    /// `/s/{token}`.
    pub base: String,
    /// The page after the launch.
    pub home: String,
}

/// Launches a student of `groups` (a distinct person per `sub`).
pub async fn launch_student(app: &TestApp, sub: &str, groups: &str) -> Student {
    let browser = app.browser();
    let spec = LaunchSpec::student()
        .person(
            sub,
            "Camille",
            &format!("Martin{sub}"),
            &format!("2251{sub:0>4}"),
        )
        .groups(groups);
    let launched = browser.launch(&app.platform, spec).await;
    Student {
        browser,
        base: launched.base,
        home: launched.page,
    }
}

/// A page: status, body, and where a redirect goes.
pub struct Page {
    pub status: StatusCode,
    pub html: String,
    pub location: Option<String>,
}

impl Page {
    pub fn text(&self) -> String {
        crate::support::text(&self.html)
    }

    /// The `<h1>`'s text.
    pub fn h1(&self) -> String {
        select_text(&self.html, "h1")
    }

    /// The `<title>`'s text.
    pub fn title(&self) -> String {
        select_text(&self.html, "title")
    }

    /// The form posting to an action ending with `suffix`, with what a browser would send.
    pub fn form(&self, suffix: &str) -> Form {
        Form::parse(&self.html, suffix)
    }

    pub fn has(&self, selector: &str) -> bool {
        let doc = Html::parse_document(&self.html);
        let sel = Selector::parse(selector).unwrap();
        doc.select(&sel).next().is_some()
    }

    /// The values of the options of field `q.<id>` offered on the page.
    pub fn options(&self, id: &str) -> Vec<String> {
        let doc = Html::parse_document(&self.html);
        let sel = Selector::parse(&format!("input[name=\"q.{id}\"]")).unwrap();
        doc.select(&sel)
            .filter_map(|e| e.value().attr("value").map(str::to_owned))
            .collect()
    }
}

pub fn select_text(html: &str, selector: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .next()
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// A form as a browser would post it: hidden fields, filled inputs, ticked boxes.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    pub fn parse(html: &str, suffix: &str) -> Form {
        let doc = Html::parse_document(html);
        let forms = Selector::parse("form").unwrap();
        let form = doc
            .select(&forms)
            .find(|f| {
                f.value()
                    .attr("action")
                    .is_some_and(|a| a.ends_with(suffix))
            })
            .unwrap_or_else(|| panic!("no form posting to …{suffix} in {html}"));
        let mut fields = Vec::new();
        let inputs = Selector::parse("input, textarea").unwrap();
        for input in form.select(&inputs) {
            let v = input.value();
            let Some(name) = v.attr("name") else { continue };
            if input.value().name() == "textarea" {
                fields.push((name.to_owned(), input.text().collect()));
                continue;
            }
            match v.attr("type").unwrap_or("text") {
                "radio" | "checkbox" => {
                    if v.attr("checked").is_some() {
                        fields.push((name.to_owned(), v.attr("value").unwrap_or("on").to_owned()));
                    }
                }
                "submit" | "button" => {}
                _ => fields.push((name.to_owned(), v.attr("value").unwrap_or("").to_owned())),
            }
        }
        // Selects post their selected option (or their first one).
        let selects = Selector::parse("select").unwrap();
        let options = Selector::parse("option").unwrap();
        for select in form.select(&selects) {
            let Some(name) = select.value().attr("name") else {
                continue;
            };
            let all: Vec<_> = select.select(&options).collect();
            let chosen = all
                .iter()
                .find(|o| o.value().attr("selected").is_some())
                .or(all.first());
            if let Some(o) = chosen {
                let value = o
                    .value()
                    .attr("value")
                    .map(str::to_owned)
                    .unwrap_or_else(|| o.text().collect());
                fields.push((name.to_owned(), value));
            }
        }
        Form {
            action: form.value().attr("action").unwrap_or_default().to_owned(),
            fields,
        }
    }

    /// Replaces every value of `name` with `values` (none: the field is not sent).
    pub fn set(mut self, name: &str, values: &[&str]) -> Form {
        self.fields.retain(|(n, _)| n != name);
        self.fields
            .extend(values.iter().map(|v| (name.to_owned(), (*v).to_owned())));
        self
    }

    /// Sets question `id`'s answer(s).
    pub fn answer(self, id: &str, values: &[&str]) -> Form {
        self.set(&format!("q.{id}"), values)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Student {
    pub async fn get(&self, path: &str) -> Page {
        let url = if path.starts_with('/') && !path.starts_with("/s/") {
            format!("{}{path}", self.base)
        } else {
            path.to_owned()
        };
        let r = self.browser.get(&url).await;
        page(r).await
    }

    pub async fn post(&self, action: &str, fields: &[(String, String)]) -> Page {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = self.browser.post_form(action, &pairs).await;
        page(r).await
    }

    /// Posts a form with `nav=next` (the main button).
    pub async fn submit(&self, form: Form) -> Page {
        let form = form.set("nav", &["next"]);
        self.post(&form.action, &form.fields).await
    }

    /// The contract overview of formation `code`.
    pub async fn overview(&self, code: &str) -> Page {
        self.get(&format!("/contrat/{code}/")).await
    }

    /// Starts the contract of `code` (from its overview) and returns the first page.
    pub async fn start(&self, code: &str) -> Page {
        let overview = self.overview(code).await;
        assert_eq!(overview.status, StatusCode::OK, "{}", overview.html);
        let started = self.submit(overview.form("/commencer")).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.html);
        self.follow(&started).await
    }

    /// Follows a redirect.
    pub async fn follow(&self, p: &Page) -> Page {
        let to = p
            .location
            .clone()
            .unwrap_or_else(|| panic!("not a redirect: {} {}", p.status, p.html));
        self.get(&to).await
    }

    /// The page id of a page URL (`…/page/<id>`).
    pub fn page_id(location: &str) -> Option<String> {
        location.rsplit_once("/page/").map(|(_, id)| id.to_owned())
    }

    /// Fills every page from `first` with `answer` (called with the page id and its form)
    /// until the summary; returns the summary page.
    pub async fn fill<F>(&self, first: Page, mut answer: F) -> Page
    where
        F: FnMut(&str, Form) -> Form,
    {
        let mut current = first;
        for _ in 0..40 {
            let form = current.form("");
            let id = Self::page_id(&form.action)
                .unwrap_or_else(|| panic!("not a page: {}", current.html));
            let posted = self.submit(answer(&id, form)).await;
            assert_eq!(
                posted.status,
                StatusCode::SEE_OTHER,
                "page {id} refused: {}",
                posted.text()
            );
            let to = posted.location.clone().unwrap();
            current = self.get(&to).await;
            if to.ends_with("/recapitulatif") {
                return current;
            }
        }
        panic!("the contract did not end");
    }
}

async fn page(r: reqwest::Response) -> Page {
    let status = r.status();
    let location = r
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|_| location(r.headers()));
    Page {
        status,
        html: r.text().await.unwrap(),
        location,
    }
}

/// A project text long enough for the sample (at least 50 characters).
pub const PROJECT: &str =
    "Je souhaite devenir professeure de mathématiques au collège, après un master MEEF.";

/// Answers of a student with no special status, for every page of the sample.
pub fn plain_answers(page: &str, form: Form) -> Form {
    match page {
        "presentation" => form.answer("lu_presentation", &["oui"]),
        "assiduite" => form.answer("lu_assiduite", &["oui"]),
        "controle_connaissances" => form.answer("lu_controle", &["oui"]),
        "tutorat_regles" => form.answer("lu_tutorat", &["oui"]),
        "reorientation" => form.answer("lu_reorientation", &["oui"]),
        "statut" => form.answer("a_un_statut", &["non"]),
        "accompagnement" => form
            .answer("tutorat", &["non"])
            .answer("admission_oui_si", &["non"]),
        "projet" => form.answer("projet_formation", &[PROJECT]),
        "engagement" => form.answer("engagement_etudiant", &["oui"]),
        _ => form,
    }
}

/// Signs from the summary page (consent ticked); returns the response (303 when signed).
pub async fn sign(student: &Student, summary: &Page) -> Page {
    let form = summary.form("/signer").set("consent", &["oui"]);
    student.post(&form.action, &form.fields).await
}

/// Launches a student of `groups`, fills the sample with `plain_answers` and signs;
/// returns the student and the receipt page.
pub async fn signed_student(app: &TestApp, sub: &str, groups: &str, code: &str) -> (Student, Page) {
    let student = launch_student(app, sub, groups).await;
    let first = student.start(code).await;
    let summary = student.fill(first, plain_answers).await;
    let signed = sign(&student, &summary).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text());
    let receipt = student.follow(&signed).await;
    assert_eq!(receipt.status, StatusCode::OK);
    (student, receipt)
}

/// A reopened contract: the student goes to the summary and signs the new version.
pub async fn fill_and_sign_again(student: &Student, code: &str) -> Page {
    let summary = student.get(&format!("/contrat/{code}/recapitulatif")).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.text());
    let signed = sign(student, &summary).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text());
    student.follow(&signed).await
}

/// A row count with a condition (`SELECT COUNT(*) FROM table WHERE …`).
pub async fn count_where(app: &TestApp, table: &str, condition: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}");
    app.state
        .db
        .run(move |conn| Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n))
        .await
        .unwrap()
}

/// The stored contracts (all of them, oldest first).
pub async fn contracts(app: &TestApp) -> Vec<cpre::store::contracts::ContractRow> {
    use cpre::store::schema::contracts;
    use diesel::prelude::*;
    app.state
        .db
        .run(|conn| {
            Ok(contracts::table
                .order(contracts::created_at.asc())
                .select(cpre::store::contracts::ContractRow::as_select())
                .load(conn)?)
        })
        .await
        .unwrap()
}

/// The answers stored in a contract.
pub fn answers_of(row: &cpre::store::contracts::ContractRow) -> serde_json::Value {
    serde_json::from_str(&row.answers).unwrap()
}
