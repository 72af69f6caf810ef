//! The questionnaire file format (schema version 1): the types a YAML or JSON document deserialises into.
//!
//! These types are both the published format (their JSON Schema is generated from them, see
//! [`super::schema`]) and the loaded model: once [`super::Questionnaire::load`] has checked a
//! document, every [`Markdown`] carries its sanitised HTML, every [`Condition`] its compiled
//! program and every [`Pattern`] its compiled regex, next to the source text they came from.
//! Serialising a model gives back the source texts only.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The only file format version this engine reads (`schema_version: 1`).
pub const SCHEMA_VERSION: u32 = 1;

/// A whole questionnaire document, as written by the instructional designer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Questionnaire CPRE",
    description = "Définition d'un questionnaire du Contrat Pédagogique pour la Réussite Étudiante (format cpre, version 1)."
)]
pub struct QuestionnaireDoc {
    /// Version du format de fichier : toujours `1` pour ce format.
    #[schemars(range(min = 1))]
    pub schema_version: u32,
    /// Identifiant stable du questionnaire, en minuscules (ex. `cpre-l1`).
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"), length(max = 64))]
    pub key: String,
    /// Titre affiché à l'étudiant.
    #[schemars(length(min = 1))]
    pub title: String,
    /// Année universitaire visée, au format `2025-2026`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{4}$"))]
    pub academic_year: Option<String>,
    /// Langue du questionnaire (code de langue, ex. `fr`).
    #[schemars(regex(pattern = r"^[a-z]{2}(-[A-Z]{2})?$"))]
    pub language: String,
    /// Présentation du questionnaire (Markdown), affichée avant la première page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Markdown>,
    /// Listes de données que chaque formation doit fournir (ex. `amenagements`), par nom.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub formation_lists: BTreeMap<String, FormationListDecl>,
    /// Attributs de formation utilisés dans les conditions (ex. `oui_si`), par nom, avec leur type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub formation_attributes: BTreeMap<String, FormationAttributeDecl>,
    /// Les pages, dans l'ordre où l'étudiant les parcourt.
    #[schemars(length(min = 1))]
    pub pages: Vec<Page>,
}

/// Declaration of a list every formation provides (e.g. its aménagements).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormationListDecl {
    /// À quoi sert cette liste (pour les personnes qui configurent les formations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Declaration of a formation attribute usable in conditions as `formation.<name>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormationAttributeDecl {
    /// Type de la valeur : `boolean` (oui/non), `text` ou `number`.
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// À quoi sert cet attribut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Type of a formation attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttributeType {
    /// `true` / `false`; `false` when a formation does not set it.
    Boolean,
    /// A string; `""` when a formation does not set it.
    Text,
    /// A number; `0` when a formation does not set it.
    Number,
}

/// One page of the questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Identifiant unique de la page (lettres minuscules, chiffres, `_`).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"), length(max = 64))]
    pub id: String,
    /// Titre de la page.
    #[schemars(length(min = 1))]
    pub title: String,
    /// Condition d'affichage de la page (expression CEL) ; absente = toujours affichée.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Contenu de la page : textes et questions, dans l'ordre d'affichage.
    #[schemars(length(min = 1))]
    pub blocks: Vec<Block>,
}

/// A piece of page content: a Markdown text or a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Block {
    /// A Markdown text (`type: text`).
    Text(TextBlock),
    /// A question (any other `type`).
    Question(Box<Question>),
}

impl Block {
    /// The question in this block, if it is one.
    pub fn as_question(&self) -> Option<&Question> {
        match self {
            Block::Question(q) => Some(q),
            Block::Text(_) => None,
        }
    }

    /// The display condition of this block, if any.
    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Block::Question(q) => q.condition.as_ref(),
            Block::Text(t) => t.condition.as_ref(),
        }
    }
}

/// A Markdown text block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBlock {
    /// Toujours `text`.
    #[serde(rename = "type")]
    pub kind: TextKind,
    /// Le texte, en Markdown.
    pub text: Markdown,
    /// Condition d'affichage du texte ; absente = toujours affiché.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
}

/// The `type` of a text block: always `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// `text`
    Text,
}

/// A question: what every kind shares, plus its kind and the kind's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Question {
    /// Identifiant unique dans tout le questionnaire ; c'est aussi le nom de la réponse dans
    /// les conditions (lettres minuscules, chiffres, `_`).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"), length(max = 64))]
    pub id: String,
    /// Intitulé de la question (texte simple).
    #[schemars(length(min = 1))]
    pub label: String,
    /// Bulle d'aide (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Markdown>,
    /// Réponse obligatoire ? Par défaut : non, sauf `acknowledgement` et `engagement` (oui).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Condition d'affichage (expression CEL) ; absente = toujours affichée.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Reprendre la réponse du contrat de l'an dernier comme valeur proposée.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub carry_over: bool,
    /// The question kind (`type`) and its own parameters.
    #[serde(flatten)]
    pub kind: QuestionKind,
}

impl Question {
    /// Whether an answer is required when the question is visible.
    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(matches!(
            self.kind,
            QuestionKind::Acknowledgement | QuestionKind::Engagement(_)
        ))
    }

    /// Whether the student cannot change the value (identity fields not marked editable).
    pub fn is_read_only(&self) -> bool {
        match &self.kind {
            QuestionKind::Identity(rules) => rules.read_only.unwrap_or(true),
            _ => false,
        }
    }

    /// The inline options and the formation list name of a choice question.
    pub fn choice_source(&self) -> Option<ChoiceSource<'_>> {
        match &self.kind {
            QuestionKind::SingleChoice(c) => Some(ChoiceSource {
                options: &c.options,
                options_from: c.options_from.as_deref(),
            }),
            QuestionKind::MultipleChoice(m) => Some(ChoiceSource {
                options: &m.options,
                options_from: m.options_from.as_deref(),
            }),
            _ => None,
        }
    }

    pub(crate) fn inline_options_mut(&mut self) -> Option<&mut Vec<ChoiceOption>> {
        match &mut self.kind {
            QuestionKind::SingleChoice(c) => Some(&mut c.options),
            QuestionKind::MultipleChoice(m) => Some(&mut m.options),
            _ => None,
        }
    }

    /// The name of the form field carrying this question's answer: `q.<id>`.
    pub fn field_name(&self) -> String {
        format!("{}{}", super::FIELD_PREFIX, self.id)
    }
}

/// Where the options of a choice question come from.
#[derive(Debug, Clone, Copy)]
pub struct ChoiceSource<'a> {
    /// Options written in the questionnaire, offered first.
    pub options: &'a [ChoiceOption],
    /// Name of the formation list whose items are offered after them.
    pub options_from: Option<&'a str>,
}

/// The kind of a question (the `type` field) with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// Texte court (une ligne).
    ShortText(TextRules),
    /// Texte long (plusieurs lignes).
    LongText(TextRules),
    /// Choix unique parmi des options.
    SingleChoice(Choices),
    /// Choix multiple parmi des options.
    MultipleChoice(MultipleChoices),
    /// Case « J'ai lu cette page » à cocher.
    Acknowledgement,
    /// Date.
    Date(DateRules),
    /// Nombre.
    Number(NumberRules),
    /// Champ d'identité prérempli depuis Moodle.
    Identity(IdentityRules),
    /// Engagement à cocher (signature du contrat).
    Engagement(EngagementRules),
}

impl QuestionKind {
    /// The `type` keyword of this kind, as written in the file.
    pub fn type_name(&self) -> &'static str {
        match self {
            QuestionKind::ShortText(_) => "short_text",
            QuestionKind::LongText(_) => "long_text",
            QuestionKind::SingleChoice(_) => "single_choice",
            QuestionKind::MultipleChoice(_) => "multiple_choice",
            QuestionKind::Acknowledgement => "acknowledgement",
            QuestionKind::Date(_) => "date",
            QuestionKind::Number(_) => "number",
            QuestionKind::Identity(_) => "identity",
            QuestionKind::Engagement(_) => "engagement",
        }
    }

    /// How a French designer names this kind in messages.
    pub fn french_name(&self) -> &'static str {
        match self {
            QuestionKind::ShortText(_) => "un texte court",
            QuestionKind::LongText(_) => "un texte long",
            QuestionKind::SingleChoice(_) => "un choix unique",
            QuestionKind::MultipleChoice(_) => "un choix multiple",
            QuestionKind::Acknowledgement => "une case « j'ai lu »",
            QuestionKind::Date(_) => "une date",
            QuestionKind::Number(_) => "un nombre",
            QuestionKind::Identity(_) => "un champ d'identité",
            QuestionKind::Engagement(_) => "un engagement",
        }
    }
}

/// Rules of a short or long text answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextRules {
    /// Nombre minimal de caractères.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Nombre maximal de caractères.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Expression régulière que toute la réponse doit respecter (ex. `[0-9]{8}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    /// Message affiché quand la réponse ne respecte pas `pattern`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern_message: Option<String>,
    /// Exemple affiché en grisé dans le champ vide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

/// Options of a single choice question.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choices {
    /// Options écrites dans le questionnaire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// Nom d'une liste de la formation (déclarée dans `formation_lists`) dont les éléments
    /// s'ajoutent aux options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_from: Option<String>,
}

/// Options and selection bounds of a multiple choice question.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MultipleChoices {
    /// Options écrites dans le questionnaire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// Nom d'une liste de la formation (déclarée dans `formation_lists`) dont les éléments
    /// s'ajoutent aux options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options_from: Option<String>,
    /// Nombre minimal de cases à cocher (si la question est affichée et qu'une réponse est donnée
    /// ou obligatoire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_selections: Option<u32>,
    /// Nombre maximal de cases à cocher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_selections: Option<u32>,
}

/// One option of a choice question written in the questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Valeur enregistrée dans la réponse et utilisée dans les conditions.
    #[schemars(length(min = 1, max = 128))]
    pub value: String,
    /// Libellé affiché.
    #[schemars(length(min = 1))]
    pub label: String,
    /// Bulle d'aide de l'option (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Markdown>,
    /// Condition d'affichage de l'option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
}

/// Bounds of a date answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRules {
    /// Date la plus ancienne acceptée, au format `AAAA-MM-JJ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date"))]
    pub min: Option<String>,
    /// Date la plus récente acceptée, au format `AAAA-MM-JJ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date"))]
    pub max: Option<String>,
}

/// Bounds of a number answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberRules {
    /// Plus petite valeur acceptée.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Plus grande valeur acceptée.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// N'accepter que des nombres entiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer: Option<bool>,
    /// Unité affichée après le champ (ex. `heures par semaine`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// Which identity value an identity question shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityRules {
    /// Le champ d'identité : `full_name`, `given_name`, `family_name`, `email` ou `student_number`.
    pub field: IdentityField,
    /// Non modifiable par l'étudiant (par défaut : oui).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}

/// An identity value received from the LTI launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityField {
    /// Nom complet (`name`).
    FullName,
    /// Prénom (`given_name`).
    GivenName,
    /// Nom de famille (`family_name`).
    FamilyName,
    /// Adresse électronique (`email`).
    Email,
    /// Numéro d'étudiant (`lis.person_sourcedid`).
    StudentNumber,
}

/// The commitment a student ticks to sign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EngagementRules {
    /// Texte de l'engagement (Markdown), affiché au-dessus de la case à cocher.
    pub statement: Markdown,
}

/// Markdown source with the sanitised HTML rendered from it at load time.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Markdown {
    source: String,
    html: String,
}

impl Markdown {
    /// Markdown from its source; [`Markdown::html`] stays empty until rendered.
    pub fn new(source: impl Into<String>) -> Self {
        Markdown {
            source: source.into(),
            html: String::new(),
        }
    }

    /// The Markdown text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The sanitised HTML (safe to insert unescaped in a page).
    pub fn html(&self) -> &str {
        &self.html
    }

    pub(crate) fn render(&mut self) {
        self.html = super::markdown::to_safe_html(&self.source);
    }
}

impl fmt::Debug for Markdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Markdown").field(&self.source).finish()
    }
}

/// A display condition: CEL source with the program compiled from it at load time.
#[derive(Clone, Default)]
pub struct Condition {
    source: String,
    compiled: Option<Arc<super::condition::Compiled>>,
}

impl Condition {
    /// A condition from its source; it is compiled and checked by the loader.
    pub fn new(source: impl Into<String>) -> Self {
        Condition {
            source: source.into(),
            compiled: None,
        }
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub(crate) fn compiled(&self) -> Option<&super::condition::Compiled> {
        self.compiled.as_deref()
    }

    pub(crate) fn set_compiled(&mut self, compiled: super::condition::Compiled) {
        self.compiled = Some(Arc::new(compiled));
    }
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Condition").field(&self.source).finish()
    }
}

/// A regular expression a text answer must match as a whole, compiled at load time.
#[derive(Clone, Default)]
pub struct Pattern {
    source: String,
    regex: Option<regex::Regex>,
}

impl Pattern {
    /// A pattern from its source; it is compiled by the loader.
    pub fn new(source: impl Into<String>) -> Self {
        Pattern {
            source: source.into(),
            regex: None,
        }
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Compiles the pattern, anchored so that it must match the whole answer.
    pub(crate) fn compile(&mut self) -> Result<(), regex::Error> {
        let anchored = format!("^(?:{})$", self.source);
        self.regex = Some(
            regex::RegexBuilder::new(&anchored)
                .size_limit(1 << 20)
                .build()?,
        );
        Ok(())
    }

    /// Whether `text` matches; an uncompiled pattern matches nothing.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(text))
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

macro_rules! string_newtype_serde {
    ($ty:ty, $desc:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.source())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(<$ty>::new)
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "description": $desc })
            }
        }
    };
}

string_newtype_serde!(Markdown, "Texte au format Markdown.");
string_newtype_serde!(
    Condition,
    "Expression CEL qui doit valoir vrai pour afficher l'élément (voir docs/questionnaire.md)."
);
string_newtype_serde!(
    Pattern,
    "Expression régulière (syntaxe Rust regex) que toute la réponse doit respecter."
);
