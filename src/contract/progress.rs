//! Progress through a contract: pages saved, where to resume, « Étape 3 sur 9 ».

use std::collections::HashSet;

use crate::questionnaire::{Answers, Environment, Flow, Questionnaire};

/// Where to take a student who comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// The first visible page not saved yet, or with an answer missing or invalid.
    Page(String),
    /// Everything is answered: the summary before signing.
    Summary,
}

/// Reads the stored list of saved pages.
pub fn pages_done(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The stored list with `page` added (kept in the order pages were first saved).
pub fn with_page_done(done: &[String], page: &str) -> Vec<String> {
    let mut out = done.to_vec();
    if !out.iter().any(|p| p == page) {
        out.push(page.to_owned());
    }
    out
}

/// Where to resume: the first visible page that was never saved or has a problem.
pub fn resume(q: &Questionnaire, env: &Environment, answers: &Answers, done: &[String]) -> Resume {
    let flow = q.flow(env, answers);
    let problems: HashSet<String> = match q.check_complete(env, answers) {
        Ok(_) => HashSet::new(),
        Err(incomplete) => incomplete.problems.into_iter().map(|p| p.page_id).collect(),
    };
    flow.pages
        .iter()
        .find(|p| !done.iter().any(|d| d == p.id) || problems.contains(p.id))
        .map_or(Resume::Summary, |p| Resume::Page(p.id.to_owned()))
}

/// Pages saved among the visible ones, and how many are visible: the one counter of the
/// contract's pages, computed from the flow (the pages shown after conditions). A page shows
/// its number out of `total`, the overview `done` out of `total`, the summary (after the last
/// page) no number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// The progress of a flow.
pub fn progress(flow: &Flow<'_>, done: &[String]) -> Progress {
    Progress {
        done: flow
            .pages
            .iter()
            .filter(|p| done.iter().any(|d| d == p.id))
            .count(),
        total: flow.pages.len(),
    }
}
