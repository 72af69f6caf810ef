//! Embeds the templates folder into the binary (minijinja-embed).
fn main() {
    minijinja_embed::embed_templates!("templates", &[".html", ".txt", ".svg"]);
}
