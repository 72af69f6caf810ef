//! What every page shows around its content and needs for links and forms: the student's
//! contract pages (course, user, formation, scolarité contact) and the staff pages (role,
//! sections).

use minijinja::Value;

use super::session::Session;
use super::templates::ser;
use crate::contract::student::Workspace;
use crate::course::Contact;

/// A contact for templates.
pub fn contact_value(json: &str) -> Value {
    let c = Contact::from_json(json);
    if c.is_empty() {
        Value::from(())
    } else {
        ser(c)
    }
}

/// What every contract page shows around its content and needs for links and forms.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: &'static str,
    /// `/s/{token}`.
    pub base: String,
    pub csrf: String,
    /// The course (`contexts` row) and the user, as template values.
    pub course: Value,
    pub user: Value,
    /// The timezone times are shown in.
    pub tz: chrono_tz::Tz,
}

impl Chrome {
    /// The chrome of a session's pages.
    pub fn of(session: &Session) -> Chrome {
        Chrome {
            lang: session.lang(),
            base: session.base(),
            csrf: session.row.csrf_token.clone(),
            course: ser(&session.context),
            user: ser(&session.user),
            tz: session.tz,
        }
    }

    /// The URL of a contract's pages: `/s/{token}/contrat/{code}/`.
    pub fn contract_url(&self, code: &str) -> String {
        format!("{}/contrat/{code}/", self.base)
    }

    fn context(&self) -> Value {
        minijinja::context! {
            lang => self.lang,
            base => self.base.clone(),
            csrf => self.csrf.clone(),
            course => self.course.clone(),
            user => self.user.clone(),
            tz => self.tz.name(),
        }
    }
}

/// What every contract page shows in its header and needs for links and forms.
pub fn base_context(session: &Session) -> Value {
    Chrome::of(session).context()
}

/// The formation's part of the page context.
fn formation_context(chrome: &Chrome, ws: &Workspace) -> Value {
    minijinja::context! {
        code => ws.formation.code.clone(),
        title => ws.formation.title.clone(),
        url => chrome.contract_url(&ws.formation.code),
        referent => contact_value(&ws.formation.referent),
        info_html => ws.env.prepared().info_html(),
    }
}

/// Merges page-specific values into the base context.
pub fn page_context(session: &Session, ws: Option<&Workspace>, extra: Value) -> Value {
    chrome_context(&Chrome::of(session), ws, extra)
}

/// [`page_context`] for a given chrome.
pub fn chrome_context(chrome: &Chrome, ws: Option<&Workspace>, extra: Value) -> Value {
    let formation = ws.map(|ws| formation_context(chrome, ws));
    let year = ws.map(|ws| ws.config.academic_year.clone());
    let contact = ws.map(|ws| contact_value(&ws.config.contact));
    // The last map that has a key wins (minijinja's `MergeDict`): the page's own values
    // over the formation's over the session's.
    minijinja::value::merge_maps([
        chrome.context(),
        minijinja::context! {
            formation => formation,
            academic_year => year,
            scolarite => contact,
        },
        extra,
    ])
}

/// What every staff page shows of the session: language, session prefix, CSRF token, course,
/// user and role; merged with the page's own values (`extra` wins).
pub fn staff_context<C: serde::Serialize>(
    session: &Session<C>,
    extra: minijinja::Value,
) -> minijinja::Value {
    minijinja::value::merge_maps([
        extra,
        minijinja::context! {
            lang => session.lang(),
            base => session.base(),
            config => format!("{}/config", session.base()),
            suivi => format!("{}/suivi", session.base()),
            csrf => session.row.csrf_token.clone(),
            course => ser(&session.context),
            user => ser(&session.user),
            tool_role => session.tool_role.as_str(),
            admin => session.tool_role == crate::lti::roles::ToolRole::Admin,
            tz => session.tz.name(),
        },
    ])
}
