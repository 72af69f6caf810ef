//! The message catalogue: every string users read, by key, per language (French first).
//!
//! Catalogues are TOML files under `templates/i18n/`, compiled into the binary. Keys are
//! dotted paths (`launch.error.expired.title`); values may hold `{name}` placeholders.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The language used when nothing else is asked for.
pub const DEFAULT_LANG: &str = "fr";

const CATALOGUES: &[(&str, &str)] = &[("fr", include_str!("../templates/i18n/fr.toml"))];

static MESSAGES: LazyLock<HashMap<&'static str, HashMap<String, String>>> = LazyLock::new(|| {
    CATALOGUES
        .iter()
        .map(|(lang, source)| (*lang, flatten(source)))
        .collect()
});

fn flatten(source: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    // A broken catalogue is caught by the test `catalogues_parse`; at run time keys then show.
    if let Ok(table) = source.parse::<toml::Table>() {
        walk(&mut out, String::new(), &toml::Value::Table(table));
    }
    out
}

fn walk(out: &mut HashMap<String, String>, prefix: String, value: &toml::Value) {
    match value {
        toml::Value::Table(table) => {
            for (k, v) in table {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(out, key, v);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix, s.clone());
        }
        other => {
            out.insert(prefix, other.to_string());
        }
    }
}

/// The message for `key` in `lang` (falling back to French, then to the key itself).
pub fn message(lang: &str, key: &str) -> String {
    let messages = &*MESSAGES;
    messages
        .get(lang)
        .and_then(|m| m.get(key))
        .or_else(|| messages.get(DEFAULT_LANG).and_then(|m| m.get(key)))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// The message with `{name}` placeholders replaced.
pub fn format(lang: &str, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = message(lang, key);
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// True when the catalogue of `lang` has `key`.
pub fn has(lang: &str, key: &str) -> bool {
    MESSAGES.get(lang).is_some_and(|m| m.contains_key(key))
}

/// Picks the language from a platform locale (`fr-FR`, `en`…): only languages with a catalogue.
pub fn pick(locale: Option<&str>) -> &'static str {
    let wanted = locale
        .unwrap_or(DEFAULT_LANG)
        .split(['-', '_'])
        .next()
        .unwrap_or(DEFAULT_LANG);
    CATALOGUES
        .iter()
        .map(|(lang, _)| *lang)
        .find(|lang| lang.eq_ignore_ascii_case(wanted))
        .unwrap_or(DEFAULT_LANG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_parse() {
        for (lang, source) in CATALOGUES {
            assert!(
                source.parse::<toml::Table>().is_ok(),
                "catalogue {lang} is valid TOML"
            );
        }
        assert!(has("fr", "app.name"));
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(message("xx", "app.name"), message("fr", "app.name"));
        assert_eq!(message("fr", "no.such.key"), "no.such.key");
    }
}
