//! Embeds the templates folder into the binary (minijinja-embed), and rebuilds when a
//! migration changes (diesel's `embed_migrations!` reads the folder at compile time, which
//! cargo does not watch by itself).
fn main() {
    minijinja_embed::embed_templates!("templates", &[".html", ".txt", ".svg"]);
    println!("cargo:rerun-if-changed=migrations");
}
