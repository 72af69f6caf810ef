//! Reading a course configuration file (YAML or JSON, `docs/configuration-cours.md`): every problem reported at its line, no database.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::Contact;
use crate::questionnaire::diagnostic::{Diagnostic, DiagnosticCode, Severity};
use crate::questionnaire::export::{canonical_json, sha256_hex};
use crate::questionnaire::yaml::{self, escape_segment};
use crate::questionnaire::{
    AttributeValue, Formation, FormationItem, LoadError, Questionnaire, Reporter,
};

/// The only course file format version (`schema_version: 1`).
pub const COURSE_SCHEMA_VERSION: u64 = 1;

/// A course configuration file, read and checked.
#[derive(Debug, Clone)]
pub struct CourseFile {
    /// The file, as named to the reader.
    pub file: String,
    /// Platform issuer (Moodle: its wwwroot).
    pub issuer: String,
    /// The client id Moodle gave the tool.
    pub client_id: String,
    /// The course id as Moodle sends it in launches (LTI context id).
    pub context_id: String,
    /// Title and short name, used when the course was never launched yet.
    pub course_title: Option<String>,
    pub course_label: Option<String>,
    /// The academic year of the contracts started from now on (`2025-2026`).
    pub academic_year: String,
    /// Whom students without a formation should contact (the scolarité).
    pub contact: Contact,
    /// Questionnaires to publish, in file order.
    pub questionnaires: Vec<QuestionnaireSource>,
    /// Formations, in file order.
    pub formations: Vec<FormationConfig>,
    /// Problems that do not prevent configuring (the questionnaires' warnings included).
    pub warnings: Vec<Diagnostic>,
    /// SHA-256 of the configuration (canonical JSON of the file plus the questionnaires' hashes).
    pub content_hash: String,
}

/// A questionnaire file named by the course configuration, loaded.
#[derive(Debug, Clone)]
pub struct QuestionnaireSource {
    /// Where it was read from.
    pub path: PathBuf,
    /// The file name stored with the version (`questionnaire-l1.yaml`).
    pub file_name: String,
    /// The text as read.
    pub text: String,
    pub questionnaire: Arc<Questionnaire>,
}

/// One formation of the course configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct FormationConfig {
    /// The formation data the questionnaire reads (code, title, attributes, lists).
    pub formation: Formation,
    /// Moodle group ids whose members belong to the formation.
    pub groups: Vec<i64>,
    /// Key of the questionnaire its students fill.
    pub questionnaire_key: String,
    /// The formation's referent (directeur ou directrice des études…).
    pub referent: Contact,
    /// Markdown shown to its students on the contract's first page.
    pub info: Option<String>,
}

/// Reads and checks a course configuration file and the questionnaire files it names
/// (paths relative to the file's folder).
pub fn read(path: &Path) -> Result<CourseFile, LoadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        diagnostics: vec![diagnostic(
            Severity::Error,
            DiagnosticCode::Syntax,
            &name,
            None,
            format!("impossible de lire le fichier : {e}"),
        )],
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse(&name, &text, base, &|p: &Path| std::fs::read_to_string(p))
}

/// Checks a course configuration text. `read_file` reads the questionnaire files (relative
/// paths are taken from `base_dir`).
pub fn parse(
    file: &str,
    text: &str,
    base_dir: &Path,
    read_file: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Result<CourseFile, LoadError> {
    let (value, map) = yaml::parse(text).map_err(|e| e.into_load_error(file))?;
    let mut c = Check {
        r: Reporter {
            file,
            map: &map,
            diagnostics: Vec::new(),
        },
    };
    let parsed = read_document(&mut c, &value, base_dir, read_file);
    let mut diagnostics = c.r.diagnostics;
    diagnostics.sort_by_key(|d| (d.file != file, d.line.unwrap_or(0), d.column.unwrap_or(0)));
    match parsed {
        Some(mut course) if !diagnostics.iter().any(Diagnostic::is_error) => {
            let hashes: Vec<&str> = course
                .questionnaires
                .iter()
                .map(|q| q.questionnaire.content_hash())
                .collect();
            let canonical = canonical_json(&(&value, &hashes)).unwrap_or_default();
            course.content_hash = sha256_hex(canonical.as_bytes());
            course.warnings = diagnostics;
            Ok(course)
        }
        _ => Err(LoadError { diagnostics }),
    }
}

fn diagnostic(
    severity: Severity,
    code: DiagnosticCode,
    file: &str,
    pos: Option<(usize, usize)>,
    message: String,
) -> Diagnostic {
    Diagnostic {
        severity,
        code,
        file: file.to_owned(),
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        path: String::new(),
        message,
    }
}

/// Collects diagnostics placed at JSON Pointers of the file.
struct Check<'a> {
    /// Where the diagnostics go, with their line and column (the questionnaire's reporter).
    r: Reporter<'a>,
}

impl Check<'_> {
    fn push(&mut self, severity: Severity, code: DiagnosticCode, pointer: &str, message: String) {
        self.r.report(severity, pointer, code, message);
    }

    fn error(&mut self, code: DiagnosticCode, pointer: &str, message: String) {
        self.push(Severity::Error, code, pointer, message);
    }

    fn warn(&mut self, code: DiagnosticCode, pointer: &str, message: String) {
        self.push(Severity::Warning, code, pointer, message);
    }

    /// A block of fields: reports unknown and missing fields.
    fn object<'v>(
        &mut self,
        value: &'v Value,
        pointer: &str,
        name: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(obj) = value.as_object() else {
            self.error(
                DiagnosticCode::Schema,
                pointer,
                format!("« {name} » doit être un bloc de champs « clé: valeur »"),
            );
            return None;
        };
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                let suggestion = allowed
                    .iter()
                    .filter(|a| strsim::levenshtein(a, key) <= 2)
                    .map(|a| format!(" ; vouliez-vous dire « {a} » ?"))
                    .next()
                    .unwrap_or_default();
                self.error(
                    DiagnosticCode::Schema,
                    &child(pointer, key),
                    format!(
                        "champ inconnu « {key} »{suggestion} (champs possibles ici : {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
        for key in required {
            if !obj.contains_key(*key) {
                self.error(
                    DiagnosticCode::Schema,
                    pointer,
                    format!("le champ obligatoire « {key} » manque dans « {name} »"),
                );
            }
        }
        Some(obj)
    }

    /// A non-empty text field (numbers are accepted as text when `numbers_as_text`).
    fn text(
        &mut self,
        obj: &Map<String, Value>,
        pointer: &str,
        key: &str,
        numbers_as_text: bool,
    ) -> Option<String> {
        let at = child(pointer, key);
        match obj.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::String(_) => {
                self.error(
                    DiagnosticCode::InvalidValue,
                    &at,
                    format!("« {key} » ne peut pas être vide"),
                );
                None
            }
            Value::Number(n) if numbers_as_text => Some(n.to_string()),
            _ => {
                self.error(
                    DiagnosticCode::Schema,
                    &at,
                    format!("« {key} » doit être un texte"),
                );
                None
            }
        }
    }

    fn contact(&mut self, value: &Value, pointer: &str, name: &str) -> Contact {
        let Some(obj) = self.object(
            value,
            pointer,
            name,
            &["name", "email", "phone", "details", "url"],
            &[],
        ) else {
            return Contact::default();
        };
        let contact = Contact {
            name: self.text(obj, pointer, "name", false),
            email: self.text(obj, pointer, "email", false),
            phone: self.text(obj, pointer, "phone", true),
            details: self.text(obj, pointer, "details", false),
            url: self.text(obj, pointer, "url", false),
        };
        if let Some(email) = &contact.email
            && !looks_like_email(email)
        {
            self.error(
                DiagnosticCode::InvalidValue,
                &child(pointer, "email"),
                format!("« {email} » n'est pas une adresse électronique"),
            );
        }
        if let Some(url) = &contact.url
            && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            self.error(
                DiagnosticCode::InvalidValue,
                &child(pointer, "url"),
                format!("« {url} » n'est pas une adresse web (https://…)"),
            );
        }
        if contact.is_empty() {
            self.warn(
                DiagnosticCode::Unused,
                pointer,
                format!("« {name} » ne donne ni nom, ni adresse, ni téléphone"),
            );
        }
        contact
    }
}

fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", escape_segment(key))
}

pub(crate) fn looks_like_email(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(user), Some(domain), None)
        if !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !s.contains(char::is_whitespace))
}

/// `2025-2026`: two years, the second one after the first.
pub fn is_academic_year(s: &str) -> bool {
    let Some((a, b)) = s.split_once('-') else {
        return false;
    };
    let digits = |x: &str| x.len() == 4 && x.bytes().all(|c| c.is_ascii_digit());
    match (
        digits(a).then(|| a.parse::<u32>()),
        digits(b).then(|| b.parse::<u32>()),
    ) {
        (Some(Ok(a)), Some(Ok(b))) => b == a + 1,
        _ => false,
    }
}

/// A formation code: letters, digits, `_` and `-`, at most 32 (it appears in addresses).
pub fn is_formation_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Normalises `a/b/../c` to `a/c` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn read_document(
    c: &mut Check<'_>,
    root: &Value,
    base_dir: &Path,
    read_file: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Option<CourseFile> {
    let top = c.object(
        root,
        "",
        "la configuration du cours",
        &[
            "schema_version",
            "platform",
            "course",
            "academic_year",
            "contact",
            "questionnaires",
            "formations",
        ],
        &[
            "schema_version",
            "platform",
            "course",
            "academic_year",
            "formations",
        ],
    )?;
    match top.get("schema_version") {
        Some(v) if v.as_u64() == Some(COURSE_SCHEMA_VERSION) => {}
        Some(v) => c.error(
            DiagnosticCode::UnsupportedVersion,
            "/schema_version",
            format!(
                "version de format {v} inconnue : écrivez schema_version: {COURSE_SCHEMA_VERSION}"
            ),
        ),
        None => {}
    }

    let (mut issuer, mut client_id) = (None, None);
    if let Some(p) = top.get("platform")
        && let Some(obj) = c.object(
            p,
            "/platform",
            "platform",
            &["issuer", "client_id"],
            &["issuer", "client_id"],
        )
    {
        issuer = c.text(obj, "/platform", "issuer", false);
        client_id = c.text(obj, "/platform", "client_id", true);
        if let Some(i) = &issuer
            && !url::Url::parse(i).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            c.error(
                DiagnosticCode::InvalidValue,
                "/platform/issuer",
                format!("« {i} » n'est pas une adresse web : l'émetteur (issuer) de Moodle est son adresse, par exemple https://moodle.univ.fr"),
            );
        }
    }

    let (mut context_id, mut course_title, mut course_label) = (None, None, None);
    if let Some(p) = top.get("course")
        && let Some(obj) = c.object(p, "/course", "course", &["id", "title", "label"], &["id"])
    {
        context_id = c.text(obj, "/course", "id", true);
        course_title = c.text(obj, "/course", "title", false);
        course_label = c.text(obj, "/course", "label", true);
    }

    let academic_year = c.text(top, "", "academic_year", false);
    if let Some(year) = &academic_year
        && !is_academic_year(year)
    {
        c.error(
            DiagnosticCode::InvalidValue,
            "/academic_year",
            format!(
                "« {year} » n'est pas une année universitaire : écrivez par exemple \"2025-2026\""
            ),
        );
    }

    let contact = match top.get("contact") {
        Some(v) => c.contact(v, "/contact", "contact"),
        None => {
            c.warn(
                DiagnosticCode::Unused,
                "",
                "pas de « contact » : les étudiants qui ne sont dans aucune formation ne sauront pas qui contacter".into(),
            );
            Contact::default()
        }
    };

    let questionnaires = read_questionnaires(c, top.get("questionnaires"), base_dir, read_file);
    let formations = read_formations(
        c,
        top.get("formations"),
        &questionnaires,
        academic_year.as_deref(),
    );

    Some(CourseFile {
        file: c.r.file.to_owned(),
        issuer: issuer?,
        client_id: client_id?,
        context_id: context_id?,
        course_title,
        course_label,
        academic_year: academic_year?,
        contact,
        questionnaires,
        formations,
        warnings: Vec::new(),
        content_hash: String::new(),
    })
}

fn read_questionnaires(
    c: &mut Check<'_>,
    value: Option<&Value>,
    base_dir: &Path,
    read_file: &dyn Fn(&Path) -> std::io::Result<String>,
) -> Vec<QuestionnaireSource> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        c.error(
            DiagnosticCode::Schema,
            "/questionnaires",
            "« questionnaires » doit être une liste de fichiers (lignes commençant par « - »)"
                .into(),
        );
        return Vec::new();
    };
    let mut out: Vec<QuestionnaireSource> = Vec::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let pointer = format!("/questionnaires/{i}");
        let Some(written) = item.as_str().filter(|s| !s.trim().is_empty()) else {
            c.error(
                DiagnosticCode::Schema,
                &pointer,
                "chaque élément de « questionnaires » est le chemin d'un fichier de questionnaire"
                    .into(),
            );
            continue;
        };
        let path = normalize(&base_dir.join(written.trim()));
        let shown = path.display().to_string();
        let text = match read_file(&path) {
            Ok(t) => t,
            Err(e) => {
                c.error(
                    DiagnosticCode::InvalidValue,
                    &pointer,
                    format!("impossible de lire le questionnaire « {shown} » : {e} (le chemin part du dossier de ce fichier)"),
                );
                continue;
            }
        };
        match Questionnaire::load(&shown, &text) {
            Ok(loaded) => {
                c.r.diagnostics.extend(loaded.warnings);
                let q = loaded.questionnaire;
                if let Some(first) = keys.insert(q.key().to_owned(), i) {
                    c.error(
                        DiagnosticCode::DuplicateId,
                        &pointer,
                        format!(
                            "ce questionnaire a la même clé « {} » que le questionnaire n° {} de la liste",
                            q.key(),
                            first + 1
                        ),
                    );
                    continue;
                }
                let file_name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| shown.clone());
                out.push(QuestionnaireSource {
                    path,
                    file_name,
                    text,
                    questionnaire: Arc::new(q),
                });
            }
            Err(e) => {
                c.error(
                    DiagnosticCode::InvalidValue,
                    &pointer,
                    format!(
                        "le questionnaire « {shown} » contient des erreurs (détail ci-dessous)"
                    ),
                );
                c.r.diagnostics.extend(e.diagnostics);
            }
        }
    }
    out
}

fn read_formations(
    c: &mut Check<'_>,
    value: Option<&Value>,
    questionnaires: &[QuestionnaireSource],
    academic_year: Option<&str>,
) -> Vec<FormationConfig> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
        c.error(
            DiagnosticCode::Schema,
            "/formations",
            "« formations » doit être une liste non vide (une entrée « - code: … » par formation)"
                .into(),
        );
        return Vec::new();
    };
    if let Some(year) = academic_year {
        for q in questionnaires {
            if let Some(qy) = q.questionnaire.academic_year()
                && qy != year
            {
                c.warn(
                    DiagnosticCode::InvalidValue,
                    "/academic_year",
                    format!(
                        "le questionnaire « {} » a été écrit pour l'année {qy}, le cours est configuré pour {year}",
                        q.questionnaire.key()
                    ),
                );
            }
        }
    }
    let mut out = Vec::new();
    let mut codes: HashMap<String, String> = HashMap::new();
    let mut groups_seen: HashMap<i64, String> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let pointer = format!("/formations/{i}");
        let Some(obj) = c.object(
            item,
            &pointer,
            "formation",
            &[
                "code",
                "title",
                "groups",
                "questionnaire",
                "referent",
                "info",
                "attributes",
                "lists",
            ],
            &["code", "title", "groups"],
        ) else {
            continue;
        };
        let code = c.text(obj, &pointer, "code", true);
        let title = c.text(obj, &pointer, "title", false);
        if let Some(code) = &code {
            if !is_formation_code(code) {
                c.error(
                    DiagnosticCode::InvalidValue,
                    &child(&pointer, "code"),
                    format!("« {code} » ne convient pas comme code : lettres sans accent, chiffres, « _ » et « - », 32 caractères au plus (ex. MATH, L1-PHYS)"),
                );
            } else if let Some(previous) = codes.insert(code.to_lowercase(), code.clone()) {
                c.error(
                    DiagnosticCode::DuplicateId,
                    &child(&pointer, "code"),
                    format!("deux formations ont le code « {code} » (ou « {previous} ») : les codes doivent être uniques dans le cours"),
                );
            }
        }
        let groups = read_groups(
            c,
            obj.get("groups"),
            &pointer,
            code.as_deref(),
            &mut groups_seen,
        );
        let key = match obj.get("questionnaire") {
            Some(_) => c.text(obj, &pointer, "questionnaire", false),
            None if questionnaires.len() == 1 => {
                Some(questionnaires[0].questionnaire.key().to_owned())
            }
            None => {
                c.error(
                    DiagnosticCode::Schema,
                    &pointer,
                    "le champ « questionnaire » manque : indiquez la clé (key) du questionnaire de cette formation".into(),
                );
                None
            }
        };
        let referent = match obj.get("referent") {
            Some(v) => c.contact(v, &child(&pointer, "referent"), "referent"),
            None => Contact::default(),
        };
        let info = match obj.get("info") {
            Some(_) => c.text(obj, &pointer, "info", false),
            None => None,
        };
        let attributes = read_attributes(c, obj.get("attributes"), &pointer);
        let lists = read_lists(c, obj.get("lists"), &pointer);
        let (Some(code), Some(title), Some(key)) = (code, title, key) else {
            continue;
        };
        let formation = Formation {
            code,
            title,
            attributes,
            lists,
        };
        match questionnaires
            .iter()
            .find(|q| q.questionnaire.key() == key)
        {
            Some(q) => check_against(c, &q.questionnaire, &formation, &pointer),
            None => c.warn(
                DiagnosticCode::UnknownName,
                &child(&pointer, "questionnaire"),
                format!(
                    "le questionnaire « {key} » n'est pas dans « questionnaires » : il doit déjà être publié dans le cours (cpre questionnaire import)"
                ),
            ),
        }
        out.push(FormationConfig {
            formation,
            groups,
            questionnaire_key: key,
            referent,
            info,
        });
    }
    out
}

fn read_groups(
    c: &mut Check<'_>,
    value: Option<&Value>,
    pointer: &str,
    code: Option<&str>,
    seen: &mut HashMap<i64, String>,
) -> Vec<i64> {
    let at = child(pointer, "groups");
    let Some(value) = value else {
        return Vec::new();
    };
    let items: Vec<(String, &Value)> = match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(j, v)| (format!("{at}/{j}"), v))
            .collect(),
        single @ Value::Number(_) => vec![(at.clone(), single)],
        _ => {
            c.error(
                DiagnosticCode::Schema,
                &at,
                "« groups » doit être une liste d'identifiants de groupes Moodle, par exemple [12, 15]".into(),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (p, v) in items {
        let id = v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|id| *id > 0);
        let Some(id) = id else {
            c.error(
                DiagnosticCode::InvalidValue,
                &p,
                format!("{v} n'est pas un identifiant de groupe Moodle (un nombre entier positif)"),
            );
            continue;
        };
        let owner = code.unwrap_or("?").to_owned();
        match seen.get(&id) {
            Some(other) if *other == owner => c.warn(
                DiagnosticCode::DuplicateId,
                &p,
                format!("le groupe {id} est écrit deux fois pour cette formation"),
            ),
            Some(other) => c.error(
                DiagnosticCode::DuplicateId,
                &p,
                format!("le groupe {id} est déjà associé à la formation « {other} » : un groupe Moodle ne peut appartenir qu'à une formation (pour une double licence, l'étudiant est dans deux groupes)"),
            ),
            None => {
                seen.insert(id, owner);
                out.push(id);
            }
        }
    }
    if out.is_empty()
        && !c
            .r
            .diagnostics
            .iter()
            .any(|d| d.path.starts_with(&at) && d.is_error())
    {
        c.warn(
            DiagnosticCode::Unused,
            &at,
            "aucun groupe Moodle : aucun étudiant ne sera orienté vers cette formation".into(),
        );
    }
    out
}

fn read_attributes(
    c: &mut Check<'_>,
    value: Option<&Value>,
    pointer: &str,
) -> BTreeMap<String, AttributeValue> {
    let at = child(pointer, "attributes");
    let mut out = BTreeMap::new();
    let Some(value) = value else {
        return out;
    };
    let Some(obj) = value.as_object() else {
        c.error(
            DiagnosticCode::Schema,
            &at,
            "« attributes » doit être un bloc « nom: valeur »".into(),
        );
        return out;
    };
    for (name, v) in obj {
        let value = match v {
            Value::Bool(b) => AttributeValue::Bool(*b),
            Value::Number(n) => match n.as_f64() {
                Some(f) => AttributeValue::Number(f),
                None => continue,
            },
            Value::String(s) => AttributeValue::Text(s.clone()),
            _ => {
                c.error(
                    DiagnosticCode::Schema,
                    &child(&at, name),
                    format!("l'attribut « {name} » doit valoir true, false, un nombre ou un texte"),
                );
                continue;
            }
        };
        out.insert(name.clone(), value);
    }
    out
}

fn read_lists(
    c: &mut Check<'_>,
    value: Option<&Value>,
    pointer: &str,
) -> BTreeMap<String, Vec<FormationItem>> {
    let at = child(pointer, "lists");
    let mut out = BTreeMap::new();
    let Some(value) = value else {
        return out;
    };
    let Some(obj) = value.as_object() else {
        c.error(
            DiagnosticCode::Schema,
            &at,
            "« lists » doit être un bloc « nom_de_liste: [éléments] »".into(),
        );
        return out;
    };
    for (name, items) in obj {
        let list_at = child(&at, name);
        let Some(items) = items.as_array() else {
            c.error(
                DiagnosticCode::Schema,
                &list_at,
                format!("la liste « {name} » doit être une liste d'éléments (lignes commençant par « - »)"),
            );
            continue;
        };
        let mut list = Vec::new();
        for (k, item) in items.iter().enumerate() {
            let item_at = format!("{list_at}/{k}");
            let Some(fields) = c.object(
                item,
                &item_at,
                "élément de liste",
                &["value", "label", "help", "condition"],
                &["value", "label"],
            ) else {
                continue;
            };
            let value = c.text(fields, &item_at, "value", true);
            let label = c.text(fields, &item_at, "label", false);
            let help = c.text(fields, &item_at, "help", false);
            let condition = c.text(fields, &item_at, "condition", false);
            if let (Some(value), Some(label)) = (value, label) {
                list.push(FormationItem {
                    value,
                    label,
                    help,
                    condition,
                });
            }
        }
        out.insert(name.clone(), list);
    }
    out
}

/// The engine's check of a formation's data against its questionnaire, placed in this file.
fn check_against(c: &mut Check<'_>, q: &Questionnaire, formation: &Formation, pointer: &str) {
    for d in q.check_formation(formation) {
        let at = format!("{pointer}{}", d.path);
        let message = format!("formation {} : {}", formation.code, d.message);
        c.push(d.severity, d.code, &at, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn academic_years_and_codes() {
        assert!(is_academic_year("2025-2026"));
        assert!(!is_academic_year("2025-2027"));
        assert!(!is_academic_year("25-26"));
        assert!(!is_academic_year("2025"));
        assert!(is_formation_code("MATH"));
        assert!(is_formation_code("L1-PHYS_2"));
        assert!(!is_formation_code("-MATH"));
        assert!(!is_formation_code("MATHS ÉCO"));
        assert!(!is_formation_code(""));
    }

    #[test]
    fn paths_are_normalised_lexically() {
        assert_eq!(
            normalize(Path::new("lti-config/demo/../../docs/examples/q.yaml")),
            PathBuf::from("docs/examples/q.yaml")
        );
        assert_eq!(normalize(Path::new("../a/./b")), PathBuf::from("../a/b"));
    }

    #[test]
    fn emails() {
        assert!(looks_like_email("scolarite@univ.fr"));
        assert!(!looks_like_email("scolarite"));
        assert!(!looks_like_email("a b@univ.fr"));
        assert!(!looks_like_email("a@b@c.fr"));
    }
}
