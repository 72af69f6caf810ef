//! The message catalogue: every string users read, by key, per language (French first).
//!
//! Catalogues are TOML files under `templates/i18n/`, compiled into the binary. Keys are
//! dotted paths (`launch.error.expired.title`); values may hold `{name}` placeholders.
//!
//! French is complete. English covers the command line (`cli.*`, chosen by the process
//! locale, [`cli_lang`]); pages stay French until the English catalogue covers them
//! ([`UI_LANGS`]), so that no page mixes two languages.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The language used when nothing else is asked for.
pub const DEFAULT_LANG: &str = "fr";

const CATALOGUES: &[(&str, &str)] = &[
    ("fr", include_str!("../templates/i18n/fr.toml")),
    ("en", include_str!("../templates/i18n/en.toml")),
];

/// The languages pages are shown in (a catalogue covering every page).
pub const UI_LANGS: &[&str] = &["fr"];

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

/// Stored microseconds since the epoch as a French date and time in `tz` (`31/12/2025 23:59`).
pub fn format_datetime(micros: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// Stored microseconds since the epoch as a French date in `tz` (`31/12/2025`).
pub fn format_date(micros: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%d/%m/%Y")
        .to_string()
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
    UI_LANGS
        .iter()
        .copied()
        .find(|lang| lang.eq_ignore_ascii_case(wanted))
        .unwrap_or(DEFAULT_LANG)
}

/// The language of the command line, from the process locale (`LC_ALL`, then `LC_MESSAGES`,
/// then `LANG`, as POSIX orders them): English for an `en` locale, else French.
pub fn cli_lang() -> &'static str {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    lang_of_locale(&locale)
}

/// `en_GB.UTF-8` → `en`; `fr_FR.UTF-8`, `C`, `POSIX`, anything else → `fr`.
fn lang_of_locale(locale: &str) -> &'static str {
    let language = locale
        .split(['_', '.', '@', '-'])
        .next()
        .unwrap_or_default();
    if language.eq_ignore_ascii_case("en") {
        "en"
    } else {
        DEFAULT_LANG
    }
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
    fn the_command_line_speaks_the_locale() {
        assert_eq!(lang_of_locale("en_US.UTF-8"), "en");
        assert_eq!(lang_of_locale("en"), "en");
        assert_eq!(lang_of_locale("fr_FR.UTF-8"), "fr");
        assert_eq!(lang_of_locale("C.UTF-8"), "fr");
        assert_eq!(lang_of_locale(""), "fr");
        // Pages stay French for an English launch until the English catalogue covers them.
        assert_eq!(pick(Some("en")), "fr");
    }

    /// Both catalogues have the same command-line messages, with the same placeholders.
    #[test]
    fn command_line_messages_exist_in_both_languages() {
        let placeholders = |text: &str| -> Vec<String> {
            let mut found: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            found.sort();
            found
        };
        let (fr, en) = (&MESSAGES["fr"], &MESSAGES["en"]);
        for (key, text) in fr.iter().filter(|(k, _)| k.starts_with("cli.")) {
            let english = en
                .get(key)
                .unwrap_or_else(|| panic!("`{key}` has no English message"));
            assert_eq!(placeholders(text), placeholders(english), "{key}");
        }
        for key in en.keys() {
            assert!(fr.contains_key(key), "`{key}` has no French message");
        }
    }

    /// Every `cli.` key the code names exists.
    #[test]
    fn command_line_keys_exist() {
        for source in [
            include_str!("cli/mod.rs"),
            include_str!("cli/course.rs"),
            include_str!("cli/db.rs"),
            include_str!("cli/demo.rs"),
            include_str!("cli/keys.rs"),
            include_str!("cli/outbox.rs"),
            include_str!("cli/platform.rs"),
            include_str!("cli/questionnaire.rs"),
            include_str!("cli/roster.rs"),
            include_str!("cli/serve.rs"),
            include_str!("main.rs"),
        ] {
            for (i, _) in source.match_indices("\"cli.") {
                let rest = &source[i + 1..];
                let key = &rest[..rest.find('"').unwrap_or(0)];
                if key.ends_with('.') || key.contains('{') {
                    continue; // completed at run time
                }
                assert!(has("fr", key), "`{key}` is not in the catalogue");
            }
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(message("xx", "app.name"), message("fr", "app.name"));
        assert_eq!(message("fr", "no.such.key"), "no.such.key");
    }
}
