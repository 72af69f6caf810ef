//! Running the `cpre` binary as an operator would: on a database, in a locale (French unless
//! a test asks for English), with nothing of the developer's environment leaking in.

use std::process::{Command, Output};

/// `cpre` on the database `db_url`, French locale.
pub fn cpre(db_url: &str, args: &[&str]) -> Output {
    cpre_in(db_url, args, "fr_FR.UTF-8")
}

/// `cpre` on the database `db_url` with the locale `lang` (`LANG`).
pub fn cpre_in(db_url: &str, args: &[&str], lang: &str) -> Output {
    command(db_url, lang)
        .args(args)
        .output()
        .expect("cpre runs")
}

/// The command, ready for more arguments or environment.
pub fn command(db_url: &str, lang: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cpre"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CPRE_DATABASE_URL", db_url)
        .env("CPRE_LOG", "warn")
        .env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("CPRE_BASE_URL")
        .env_remove("CPRE_MOODLE_WS_TOKEN");
    cmd
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
