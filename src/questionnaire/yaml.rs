//! YAML/JSON text to a JSON value plus a map from JSON Pointers to source positions, and back to YAML.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, Yaml, YamlData, YamlEmitter};
use serde_json::{Map, Number, Value};

/// A 1-based line and column in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Where a node was written: the key introducing it (for mapping entries) and its value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodePos {
    /// Position of the mapping key, for a mapping entry.
    pub key: Option<Pos>,
    /// Position of the value itself.
    pub value: Pos,
}

impl NodePos {
    /// The position to show a designer: the key if there is one, else the value.
    pub fn best(&self) -> Pos {
        self.key.unwrap_or(self.value)
    }
}

/// Source positions of every node, by JSON Pointer (`""` is the root).
#[derive(Debug, Default)]
pub(crate) struct SourceMap {
    nodes: HashMap<String, NodePos>,
    lines: Vec<String>,
}

impl SourceMap {
    /// The position of the node at `pointer`, or of its nearest ancestor written in the file.
    pub fn locate(&self, pointer: &str) -> Option<NodePos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.nodes.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// Where the expression text of the scalar at `pointer` starts, and whether it is a
    /// block scalar (`|` or `>`), whose text starts on the next line.
    pub fn scalar_text_start(&self, pointer: &str) -> Option<(Pos, bool)> {
        let node = self.nodes.get(pointer)?;
        let pos = node.value;
        let line = self.lines.get(pos.line.checked_sub(1)?)?;
        let first = line.chars().nth(pos.column.checked_sub(1)?)?;
        if matches!(first, '"' | '\'') {
            return Some((
                Pos {
                    line: pos.line,
                    column: pos.column + 1,
                },
                false,
            ));
        }
        // A value starting below its key is a block scalar (`|` or `>`): its lines share the
        // indentation of the first one.
        let block = node.key.is_some_and(|k| k.line < pos.line);
        Some((pos, block))
    }
}

/// A syntax error with its position, message already in French.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub pos: Option<Pos>,
    pub message: String,
}

impl SyntaxError {
    /// The load error that reports this syntax error in `file`.
    pub(crate) fn into_load_error(self, file: &str) -> super::LoadError {
        super::LoadError {
            diagnostics: vec![super::Diagnostic {
                severity: super::Severity::Error,
                code: super::DiagnosticCode::Syntax,
                file: file.to_owned(),
                line: self.pos.map(|p| p.line),
                column: self.pos.map(|p| p.column),
                path: String::new(),
                message: self.message,
            }],
        }
    }
}

/// Escapes one JSON Pointer segment.
pub(crate) fn escape_segment(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// Parses YAML (or JSON, which YAML includes) into a JSON value and the positions of its nodes.
pub(crate) fn parse(text: &str) -> Result<(Value, SourceMap), SyntaxError> {
    // YAML forbids tabs for indentation but JSON files often use them: outside of strings,
    // leading tabs are replaced by spaces one for one, so lines and columns stay right.
    let detabbed = detab_leading(text);
    let docs = MarkedYaml::load_from_str(&detabbed).map_err(|e| SyntaxError {
        pos: Some(Pos {
            line: e.marker().line(),
            column: e.marker().col() + 1,
        }),
        message: french_scan_error(e.info()),
    })?;
    let mut docs = docs.into_iter();
    let Some(root) = docs.next() else {
        return Err(SyntaxError {
            pos: None,
            message: "le fichier est vide".into(),
        });
    };
    if let Some(second) = docs.next() {
        return Err(SyntaxError {
            pos: Some(marker_pos(&second)),
            message: "le fichier contient plusieurs documents YAML (séparés par `---`) ; un seul questionnaire par fichier".into(),
        });
    }
    let mut map = SourceMap {
        nodes: HashMap::new(),
        lines: text.lines().map(str::to_owned).collect(),
    };
    map.nodes.insert(
        String::new(),
        NodePos {
            key: None,
            value: marker_pos(&root),
        },
    );
    let value = convert(&root, "", &mut map)?;
    Ok((value, map))
}

fn detab_leading(text: &str) -> Cow<'_, str> {
    if !text.contains('\t') {
        return Cow::Borrowed(text);
    }
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let tabs = line.chars().take_while(|c| *c == '\t' || *c == ' ').count();
        for c in line.chars().take(tabs) {
            out.push(if c == '\t' { ' ' } else { c });
        }
        out.push_str(&line[tabs..]);
    }
    Cow::Owned(out)
}

fn marker_pos(node: &MarkedYaml<'_>) -> Pos {
    Pos {
        line: node.span.start.line(),
        column: node.span.start.col() + 1,
    }
}

fn convert(
    node: &MarkedYaml<'_>,
    pointer: &str,
    map: &mut SourceMap,
) -> Result<Value, SyntaxError> {
    let here = marker_pos(node);
    let err = |message: String| SyntaxError {
        pos: Some(here),
        message,
    };
    match &node.data {
        YamlData::Value(scalar) => scalar_to_json(scalar).ok_or_else(|| {
            err("nombre non représentable (infini ou NaN) : écrivez une valeur finie".into())
        }),
        YamlData::Representation(text, _, _) => Ok(Value::String(text.to_string())),
        YamlData::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let child = format!("{pointer}/{i}");
                map.nodes.insert(
                    child.clone(),
                    NodePos {
                        key: None,
                        value: marker_pos(item),
                    },
                );
                out.push(convert(item, &child, map)?);
            }
            Ok(Value::Array(out))
        }
        YamlData::Mapping(entries) => {
            let mut out = Map::new();
            for (key, value) in entries {
                let key_text = match &key.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(Scalar::Integer(i)) => i.to_string(),
                    YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
                    YamlData::Representation(s, _, _) => s.to_string(),
                    _ => {
                        return Err(SyntaxError {
                            pos: Some(marker_pos(key)),
                            message: "une clé doit être un simple mot (ex. `title:`)".into(),
                        });
                    }
                };
                let child = format!("{pointer}/{}", escape_segment(&key_text));
                map.nodes.insert(
                    child.clone(),
                    NodePos {
                        key: Some(marker_pos(key)),
                        value: marker_pos(value),
                    },
                );
                let converted = convert(value, &child, map)?;
                if out.insert(key_text.clone(), converted).is_some() {
                    return Err(SyntaxError {
                        pos: Some(marker_pos(key)),
                        message: format!("la clé « {key_text} » apparaît deux fois"),
                    });
                }
            }
            Ok(Value::Object(out))
        }
        YamlData::Tagged(_, inner) => convert(inner, pointer, map),
        YamlData::Alias(_) => Err(err(
            "les alias YAML (`*nom`) ne sont pas acceptés : recopiez le contenu".into(),
        )),
        YamlData::BadValue => Err(err("valeur illisible".into())),
    }
}

fn scalar_to_json(scalar: &Scalar<'_>) -> Option<Value> {
    Some(match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => Value::Number(Number::from_f64(f.into_inner())?),
        Scalar::String(s) => Value::String(s.to_string()),
    })
}

/// Translates the scanner's messages a designer is most likely to meet.
fn french_scan_error(info: &str) -> String {
    let hint = if info.contains("duplicate") || info.contains("twice") {
        "une même clé apparaît deux fois dans le même bloc"
    } else if info.contains("mapping values are not allowed") {
        "un « : » est mal placé ; si un texte contient « : », mettez-le entre guillemets"
    } else if info.contains("did not find expected key") || info.contains("expected key") {
        "l'indentation n'est pas cohérente (vérifiez les espaces en début de ligne)"
    } else if info.contains("cannot start any token") || info.contains("tab") {
        "caractère inattendu (une tabulation ? utilisez des espaces pour indenter)"
    } else if info.contains("did not find expected") || info.contains("while parsing") {
        "structure incomplète (un crochet, une accolade ou un guillemet n'est pas refermé ?)"
    } else if info.contains("unclosed") || info.contains("end of stream") {
        "un guillemet ou une accolade n'est pas refermé"
    } else {
        "le texte n'est pas du YAML (ou du JSON) valide"
    };
    format!("erreur de syntaxe : {hint} (détail : {info})")
}

/// The order keys are written in by [`to_yaml`], most general first; others follow sorted.
const KEY_ORDER: &[&str] = &[
    "schema_version",
    "key",
    "id",
    "type",
    "title",
    "value",
    "label",
    "field",
    "academic_year",
    "language",
    "description",
    "formation_lists",
    "formation_attributes",
    "required",
    "read_only",
    "carry_over",
    "condition",
    "help",
    "text",
    "statement",
    "options_from",
    "options",
    "min_selections",
    "max_selections",
    "min_length",
    "max_length",
    "pattern",
    "pattern_message",
    "placeholder",
    "min",
    "max",
    "integer",
    "unit",
    "blocks",
    "pages",
];

fn key_rank(key: &str) -> usize {
    KEY_ORDER
        .iter()
        .position(|k| *k == key)
        .unwrap_or(KEY_ORDER.len())
}

fn json_to_yaml(value: &Value) -> Yaml<'static> {
    match value {
        Value::Null => Yaml::Value(Scalar::Null),
        Value::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Value(Scalar::Integer(i)),
            None => Yaml::Value(Scalar::FloatingPoint(n.as_f64().unwrap_or(0.0).into())),
        },
        Value::String(s) => Yaml::Value(Scalar::String(Cow::Owned(s.clone()))),
        Value::Array(items) => Yaml::Sequence(items.iter().map(json_to_yaml).collect()),
        Value::Object(entries) => {
            let mut keys: Vec<&String> = entries.keys().collect();
            keys.sort_by(|a, b| key_rank(a).cmp(&key_rank(b)).then_with(|| a.cmp(b)));
            let mut mapping = saphyr::Mapping::new();
            for key in keys {
                if let Some(v) = entries.get(key) {
                    mapping.insert(
                        Yaml::Value(Scalar::String(Cow::Owned(key.clone()))),
                        json_to_yaml(v),
                    );
                }
            }
            Yaml::Mapping(mapping)
        }
    }
}

/// Writes a JSON value as a YAML document (multi-line texts as `|` blocks).
pub(crate) fn to_yaml(value: &Value) -> Result<String, std::fmt::Error> {
    let yaml = json_to_yaml(value);
    let mut out = String::new();
    {
        let mut emitter = YamlEmitter::new(&mut out);
        emitter.multiline(true);
        emitter.dump(&yaml).map_err(|_| std::fmt::Error)?;
    }
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_key_and_value_positions() {
        let text = "title: Bonjour\npages:\n  - id: p1\n    title: Une\n";
        let (value, map) = parse(text).unwrap();
        assert_eq!(value["pages"][0]["id"], "p1");
        let pos = map.locate("/pages/0/title").unwrap();
        assert_eq!(pos.best(), Pos { line: 4, column: 5 });
        assert_eq!(
            pos.value,
            Pos {
                line: 4,
                column: 12
            }
        );
        // A pointer below a written node falls back to it.
        assert_eq!(map.locate("/pages/0/blocks/3").unwrap().value.line, 3);
    }

    #[test]
    fn json_with_tabs_keeps_lines() {
        let text = "{\n\t\"title\": \"x\",\n\t\"pages\": [\n\t\t{\"id\": \"p\"}\n\t]\n}\n";
        let (value, map) = parse(text).unwrap();
        assert_eq!(value["pages"][0]["id"], "p");
        assert_eq!(map.locate("/pages/0/id").unwrap().best().line, 4);
    }

    #[test]
    fn syntax_error_has_line() {
        let err = parse("title: a\n  pages: [\n").unwrap_err();
        assert!(err.pos.is_some());
        assert!(
            err.message.starts_with("erreur de syntaxe"),
            "{}",
            err.message
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse("title: a\ntitle: b\n").unwrap_err();
        assert_eq!(err.pos.map(|p| p.line), Some(2), "{err:?}");
    }

    #[test]
    fn scalar_text_start_handles_quotes_and_blocks() {
        let text = "a: x == 1\nb: \"y == 2\"\nc: |\n  z == 3\n";
        let (_, map) = parse(text).unwrap();
        assert_eq!(
            map.scalar_text_start("/a").unwrap().0,
            Pos { line: 1, column: 4 }
        );
        assert_eq!(
            map.scalar_text_start("/b").unwrap().0,
            Pos { line: 2, column: 5 }
        );
        assert_eq!(
            map.scalar_text_start("/c").unwrap(),
            (Pos { line: 4, column: 3 }, true)
        );
    }

    #[test]
    fn yaml_export_round_trips() {
        let value = serde_json::json!({
            "title": "Titre : avec deux-points",
            "schema_version": 1,
            "text": "ligne 1\nligne 2\n",
            "list": ["a", "b"],
            "n": 1.5,
            "yes": "yes",
        });
        let text = to_yaml(&value).unwrap();
        assert!(text.starts_with("---\nschema_version: 1\ntitle:"), "{text}");
        let (back, _) = parse(&text).unwrap();
        assert_eq!(back, value);
    }
}
