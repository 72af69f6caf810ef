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

/// The timezone of the page (`tz`, the name from `Settings::timezone`, which every page with
/// times puts in its context): a page without it cannot show a time.
fn page_tz(state: &State) -> Result<chrono_tz::Tz, minijinja::Error> {
    state
        .lookup("tz")
        .and_then(|v| v.as_str().and_then(|name| name.parse().ok()))
        .ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::UndefinedError,
                "a page showing times needs `tz` in its context",
            )
        })
}

fn datetime(state: &State, micros: i64) -> Result<String, minijinja::Error> {
    Ok(crate::i18n::format_datetime(micros, page_tz(state)?))
}

fn date(state: &State, micros: i64) -> Result<String, minijinja::Error> {
    Ok(crate::i18n::format_date(micros, page_tz(state)?))
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
