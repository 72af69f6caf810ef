//! Markdown to sanitised HTML (pulldown-cmark, then ammonia), done once when a text is loaded.

use pulldown_cmark::{Options, Parser, html};

/// Renders designer-written Markdown to HTML that is safe to insert in a page unescaped.
///
/// Raw HTML in the source is not trusted: the rendered HTML goes through ammonia's default
/// allow-list (no scripts, no event handlers, no `style`, links get `rel="noopener noreferrer"`).
pub fn to_safe_html(source: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let parser = Parser::new_ext(source, options);
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    ammonia::clean(&unsafe_html)
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn renders_emphasis_lists_and_links() {
        let html =
            to_safe_html("Un **point** important :\n\n- un\n- deux\n\n[Aide](https://example.org)");
        assert!(html.contains("<strong>point</strong>"), "{html}");
        assert!(html.contains("<li>un</li>"), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
    }

    #[test]
    fn strips_scripts_and_event_handlers() {
        let html = to_safe_html("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn neutralises_javascript_links() {
        let html = to_safe_html("[clic](javascript:alert(1))");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
