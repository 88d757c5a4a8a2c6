//! Command-line interface. Every flag also reads an environment variable; both beat the config file.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};

/// Cairn, the internal developer portal.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, about = "Cairn, the internal developer portal. Without a command, runs `serve`.", long_about = None)]
pub struct Cli {
    /// YAML configuration file (keys follow Backstage's app-config.yaml where they overlap).
    #[arg(long, global = true, env = "CAIRN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the portal (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Lint catalog files the way a repository's CI would (exit 0 valid, 1 invalid, 2 unreadable).
    Validate(ValidateArgs),
    /// Work on golden-path templates (for template authors).
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Work on SLO files (OpenSLO, Sloth, Pyrra).
    #[command(subcommand)]
    Slo(SloCommand),
}

#[derive(Debug, Subcommand)]
pub enum SloCommand {
    /// Write Prometheus recording and alerting rules (Sloth's names, multi-window multi-burn-rate)
    /// for the SLOs of FILEs whose format has no generator of its own (OpenSLO); exit 0 when
    /// written, 1 when a file has problems (each with its file, line and field), 2 when unreadable.
    Rules(SloRulesArgs),
}

#[derive(Debug, Args)]
pub struct SloRulesArgs {
    /// SLO files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Where the rules go (standard output without it).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Largest file accepted, in bytes (as `catalog.reading.maxFileBytes`).
    #[arg(long, default_value_t = catalog::read::ReadLimits::default().max_file_bytes, value_name = "BYTES")]
    pub max_file_size: usize,
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Run a template without publishing anything and write the generated files to a directory
    /// (exit 0 when every step ran, 1 when a step failed, 2 when the input cannot be read).
    DryRun(DryRunArgs),
}

#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// The template file (`template.yaml`); `./skeleton` URLs resolve next to it.
    #[arg(value_name = "TEMPLATE.yaml")]
    pub template: PathBuf,

    /// The form's values, a YAML or JSON mapping (defaults fill what it leaves out).
    #[arg(long, value_name = "VALUES.yaml")]
    pub values: Option<PathBuf>,

    /// Where the generated files go (must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Files, or directories searched for catalog-info.yaml / catalog-info.yml.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// `text` for people, `json` for one JSON object per YAML document.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,

    /// Largest file accepted, in bytes (as `catalog.reading.maxFileBytes`).
    #[arg(long, default_value_t = catalog::read::ReadLimits::default().max_file_bytes, value_name = "BYTES")]
    pub max_file_size: usize,

    /// Most YAML documents in one file (as `catalog.reading.maxDocuments`).
    #[arg(long, default_value_t = catalog::read::ReadLimits::default().max_documents, value_name = "N")]
    pub max_documents: usize,

    /// Deepest nesting in a document (as `catalog.reading.maxDepth`).
    #[arg(long, default_value_t = catalog::read::ReadLimits::default().yaml.max_depth, value_name = "N")]
    pub max_depth: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "CAIRN_BIND", value_name = "ADDR:PORT")]
    pub bind: Option<SocketAddr>,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Directory holding the built site (`cargo xtask build-site`) [default: target/site].
    #[arg(long, env = "CAIRN_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<PathBuf>,
}

static NO_DATABASE: DatabaseArgs = DatabaseArgs { database_url: None };

#[derive(Debug, Default, Args)]
pub struct DatabaseArgs {
    /// `postgres://…` for PostgreSQL, otherwise a SQLite file path or `sqlite://` URL [default: ./data/cairn.db].
    #[arg(long, env = "DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

impl Cli {
    /// Parses arguments (the first is the program name). Without a command, `serve` is meant:
    /// `cairn --bind …` is `cairn serve --bind …`.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let names = [
            "serve",
            "migrate",
            "validate",
            "template",
            "slo",
            "help",
            "-h",
            "--help",
            "-V",
            "--version",
        ];
        if !args.iter().skip(1).any(|a| names.iter().any(|n| a == n)) {
            args.insert(args.len().min(1), "serve".into());
        }
        Cli::try_parse_from(args)
    }

    /// The command to run.
    pub fn command(&self) -> &Command {
        self.command.as_ref().expect("try_parse_args always sets a command")
    }

    pub(crate) fn serve_args(&self) -> Option<&ServeArgs> {
        match self.command() {
            Command::Serve(args) => Some(args),
            Command::Migrate(_) | Command::Validate(_) | Command::Template(_) | Command::Slo(_) => None,
        }
    }

    pub(crate) fn database_args(&self) -> &DatabaseArgs {
        match self.command() {
            Command::Serve(args) => &args.database,
            Command::Migrate(args) => args,
            Command::Validate(_) | Command::Template(_) | Command::Slo(_) => &NO_DATABASE,
        }
    }
}
