//! Test support: databases, the test platform, the application and its browsers.
#![allow(dead_code)]

pub mod app;
pub mod cli;
pub mod db;
pub mod platform;

/// The visible text of an HTML page (entities decoded, tags dropped, whitespace collapsed).
pub fn text(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
