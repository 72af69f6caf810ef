//! The `cpre` binary: parses the command line and runs it.

use clap::Parser;

/// mimalloc: markedly less time in the allocator than glibc's under a multi-threaded server.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() {
    let cli = cpre::cli::Cli::parse();
    match cli.run().await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!(
                "{}",
                cpre::cli::t("cli.error", &[("error", &format!("{e:#}"))])
            );
            std::process::exit(1);
        }
    }
}
