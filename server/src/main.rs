//! `cairn`: the developer portal in one binary.

use std::process::ExitCode;

use cairn_server::{
    cli::{Cli, Command},
    config::Config,
    telemetry,
};

// mimalloc: ingestion allocates and frees millions of small values on several threads; glibc's
// allocator spent a fifth of the time there and kept the freed memory resident.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|err| err.exit());
    // Linting needs no configuration, database or runtime: CI runs it on bare checkouts.
    if let Command::Validate(args) = cli.command() {
        return cairn_server::validate::run(args);
    }
    if let Command::Template(cairn_server::cli::TemplateCommand::DryRun(args)) = cli.command() {
        return cairn_server::template_dry_run::run(args);
    }
    if let Command::Slo(cairn_server::cli::SloCommand::Rules(args)) = cli.command() {
        return cairn_server::slo_rules::run(args);
    }
    let config = match Config::load(&cli) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("cairn: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("cairn: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command() {
            Command::Serve(_) => cairn_server::serve(config).await,
            Command::Migrate(_) => cairn_server::db::Db::connect(&config.database)
                .await?
                .migrate()
                .await
                .map_err(Into::into),
            Command::Validate(_) | Command::Template(_) | Command::Slo(_) => {
                unreachable!("handled before the runtime starts")
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("cairn: {err:#}");
            ExitCode::FAILURE
        }
    }
}
