//! The template environment (templates compiled into the binary) and page rendering.
//!
//! Templates read every user-facing string through `t("key", name=value…)` from the
//! catalogue (`crate::i18n`), in the language of the `lang` variable of the page.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};

static ENV: LazyLock<Environment<'static>> = LazyLock::new(build);

fn build() -> Environment<'static> {
    let mut env = Environment::new();
    minijinja_embed::load_templates!(&mut env);
    env.add_function("t", translate);
    env.add_filter("datetime", datetime);
    env.add_filter("date", date);
    env
}

/// `t("key", name=value…)`: the catalogue message in the page's language.
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| crate::i18n::DEFAULT_LANG.to_string());
    let mut text = crate::i18n::message(&lang, key);
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    Ok(text)
}

static TIMEZONE: std::sync::OnceLock<chrono_tz::Tz> = std::sync::OnceLock::new();

/// Sets the timezone in which pages show times (`CPRE_TIMEZONE`, once, at start).
pub fn set_timezone(tz: chrono_tz::Tz) {
    let _ = TIMEZONE.set(tz);
}

/// The display timezone (Europe/Paris unless configured).
pub fn timezone() -> chrono_tz::Tz {
    *TIMEZONE.get().unwrap_or(&chrono_tz::Europe::Paris)
}

/// Formats stored microseconds as a French date and time in the display timezone.
pub fn format_datetime(micros: i64) -> String {
    let dt = crate::store::micros_to_datetime(micros).with_timezone(&timezone());
    dt.format("%d/%m/%Y %H:%M").to_string()
}

/// Formats stored microseconds as a French date in the display timezone.
pub fn format_date(micros: i64) -> String {
    let dt = crate::store::micros_to_datetime(micros).with_timezone(&timezone());
    dt.format("%d/%m/%Y").to_string()
}

fn datetime(micros: i64) -> String {
    format_datetime(micros)
}

fn date(micros: i64) -> String {
    format_date(micros)
}

/// Turns any serialisable value into a template value.
pub fn ser<T: serde::Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// The shared environment.
pub fn env() -> &'static Environment<'static> {
    &ENV
}

/// Renders a template to a string.
pub fn render_string(name: &str, ctx: Value) -> Result<String, minijinja::Error> {
    env().get_template(name)?.render(ctx)
}

/// Renders a template as an HTML response with status 200.
pub fn render(name: &str, ctx: Value) -> Result<HttpResponse, minijinja::Error> {
    let body = render_string(name, ctx)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(body))
}

/// Names of the embedded templates (for tests).
pub fn template_names() -> Vec<String> {
    env()
        .templates()
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The embedded template sources (for the catalogue check).
#[cfg(test)]
pub fn sources() -> Vec<(String, String)> {
    env()
        .templates()
        .map(|(name, t)| (name.to_string(), t.source().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t("…")` key used by a template exists in the French catalogue.
    #[test]
    fn every_template_key_is_in_the_catalogue() {
        let re_start = "t(\"";
        let mut missing = Vec::new();
        for (name, source) in crate::web::templates::sources() {
            let mut rest = source.as_str();
            while let Some(pos) = rest.find(re_start) {
                rest = &rest[pos + re_start.len()..];
                if let Some(end) = rest.find('"') {
                    let key = &rest[..end];
                    if !key.ends_with('.') && !crate::i18n::has("fr", key) {
                        missing.push(format!("{name}: {key}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from fr.toml: {missing:#?}"
        );
    }

    #[test]
    fn every_template_compiles() {
        for name in template_names() {
            assert!(env().get_template(&name).is_ok(), "{name}");
        }
    }
}
