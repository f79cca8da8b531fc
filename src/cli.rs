//! The command line, as clap derive types. Parsing only; [`crate::app`] acts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Severity;
use crate::report::render::ReportFile;
use crate::report::render::junit::Group as JunitGroup;

const EXAMPLES: &str = "\
Examples:
  readyctl check                                   # checks/ against the current directory
  readyctl check --root fixtures/dotmac/broken     # the bundled catalogue against a deployment
  readyctl check --tag redis --format json         # one section, JSON on stdout
  readyctl check --report-json report.json --fail-on high
  readyctl check --format github --report sarif=readyctl.sarif --report markdown=summary.md
  readyctl check --wait 2m --interval 5s             # until services are up, or time is up
  readyctl check --baseline last-week.json           # fail only on new failures
  readyctl diff old.json new.json                    # what got better and worse
  readyctl serve --listen 127.0.0.1:9464             # /readyz, /livez and /metrics
  readyctl init -f docker-compose.yml                # a starter catalogue
  readyctl validate --catalog checks/              # exit 2 with located errors if invalid
  readyctl list --tag security
  readyctl attest approval.security --by 'Lin Wei' --note 'PT-2026-11'
  readyctl explain env_file
  readyctl explain compose/missing-path            # one finding code";

/// Production-readiness checks, declared once, run in seconds.
#[derive(Debug, Parser)]
#[command(name = "readyctl", version, about, after_help = EXAMPLES)]
pub(crate) struct Cli {
    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// `auto` colours only on a terminal and never with `NO_COLOR` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour on a TTY unless `NO_COLOR` is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the catalogue and report.
    Check(CheckArgs),
    /// Load and validate the catalogue without running anything.
    Validate(CatalogueArgs),
    /// List the catalogue's checks (id, kind, severity, tags, title).
    List(ListArgs),
    /// Print a check kind's documentation, with an example, or one finding code's meaning.
    Explain {
        /// The kind, e.g. `file`, `redis`, `http`, or a finding code, e.g. `compose/missing-path`.
        #[arg(value_parser = KindName)]
        kind: String,
    },
    /// List the check kinds readyctl knows.
    Kinds,
    /// Compare two JSON reports: what got better and what got worse (exit 1 if worse).
    Diff(DiffArgs),
    /// Print the catalogue's JSON Schema (for editors: yaml-language-server).
    Schema,
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
        /// Also offer this catalogue's check ids (for `--only`, `--skip`,
        /// `attest`) and tags (`--tag`, `--skip-tag`); regenerate the script
        /// when the catalogue changes.
        #[arg(long = "catalog", visible_alias = "catalogue", value_name = "PATH")]
        catalog: Option<PathBuf>,
        /// Root of the deployment the catalogue reads (for `${VAR}` from its env files).
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
    },
    /// Print the man page (roff) on stdout, or write one per subcommand into a directory.
    Man {
        /// Write readyctl.1 and readyctl-SUBCOMMAND.1 here, e.g. /usr/local/share/man/man1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Keep running: run the catalogue on an interval, serve /readyz, /livez and /metrics.
    Serve(ServeArgs),
    /// Write a starter catalogue from compose files (never overwrites).
    Init(InitArgs),
    /// Compose files as docker compose reads them: `compose config -f A -f B`.
    Compose(ComposeArgs),
    /// Sign off a `manual` check: append who and when to its attestation file.
    Attest(AttestArgs),
    /// The environment names a pydantic-settings class accepts, read from its Python source.
    Settings(SettingsArgs),
}

/// `readyctl attest ID --by NAME [--note TEXT]`.
#[derive(Debug, Clone, Args)]
pub(crate) struct AttestArgs {
    /// The `manual` check's id, e.g. `approval.security`.
    pub id: String,
    /// Who signs off (a name or e-mail address).
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// What was verified, or where (a ticket, a report).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Catalogue and deployment.
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
}

/// `readyctl diff`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DiffArgs {
    /// The earlier JSON report.
    pub old: PathBuf,
    /// The later JSON report.
    pub new: PathBuf,
}

/// `readyctl serve`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// Catalogue and deployment.
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
    /// Selection.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub listen: String,
    /// Run the catalogue every this long, from start-up (from the start of one run to the next).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub interval: std::time::Duration,
    /// At most this many checks at once (1 or more).
    #[arg(long, value_name = "N", default_value_t = crate::runner::DEFAULT_CONCURRENCY, value_parser = parse_positive)]
    pub concurrency: usize,
    /// Waiver file (default: `readyctl-waivers.yml` under --root, when present).
    #[arg(long, value_name = "PATH")]
    pub waivers: Option<PathBuf>,
    /// /readyz answers 503 only for failures at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = severity_parser())]
    pub fail_on: Severity,
    /// Stop a run after this long; unfinished checks are `cancelled`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub deadline: Option<std::time::Duration>,
}

/// `readyctl init`.
#[derive(Debug, Clone, Args)]
pub(crate) struct InitArgs {
    /// Compose file(s) to read [default: compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml under --root].
    #[arg(short = 'f', long = "file", value_name = "COMPOSE")]
    pub files: Vec<PathBuf>,
    /// The deployment root; compose files and env files are read relative to it.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Where to write the catalogue (relative to --root). Never overwritten.
    #[arg(long, short, value_name = "PATH", default_value = "readyctl.yml")]
    pub output: PathBuf,
    /// Print the catalogue on stdout instead of writing it.
    #[arg(long)]
    pub stdout: bool,
}

/// `readyctl compose config [-f FILE...] [-p NAME] [--profile P...] [--env-file FILE] [--format yaml|json]`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ComposeArgs {
    /// The action; `config` prints the merged, interpolated model.
    #[arg(value_enum)]
    pub action: ComposeAction,
    /// Compose files in order; later files override earlier ones (repeatable)
    /// [default: COMPOSE_FILE, else compose.yaml/compose.yml/docker-compose.yml/docker-compose.yaml and its override file, here or in a parent].
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Project name [default: COMPOSE_PROJECT_NAME, the top-level `name:`, the project directory's name].
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Enable a profile (repeatable) [default: COMPOSE_PROFILES].
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profile: Vec<String>,
    /// Env files for interpolation (repeatable) [default: the project directory's .env].
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ComposeFormat::Yaml)]
    pub format: ComposeFormat,
    /// Print the model without interpolating variables.
    #[arg(long)]
    pub no_interpolate: bool,
    /// Print the service names, one a line.
    #[arg(long)]
    pub services: bool,
    /// Print the profile names, one a line.
    #[arg(long)]
    pub profiles: bool,
    /// Print values of secret-looking variables instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,
}

/// `readyctl settings PATH[:Class] [--format table|json]`.
#[derive(Debug, Clone, Args)]
pub(crate) struct SettingsArgs {
    /// The settings module and class, e.g. `src/app/settings.py:Settings` [class default: `Settings`].
    pub module: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SettingsFormat::Table)]
    pub format: SettingsFormat,
}

/// `readyctl settings` output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SettingsFormat {
    /// One row per name: type, default, required, aliases.
    Table,
    /// The whole model as JSON (names, config, notes, variables read with `os.getenv`).
    Json,
}

/// What `readyctl compose` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ComposeAction {
    /// Print the merged, interpolated model.
    Config,
}

/// `compose config` output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ComposeFormat {
    /// YAML, like `docker compose config`.
    Yaml,
    /// JSON, like `docker compose config --format json`.
    Json,
}

/// Where the catalogue and the deployment are.
#[derive(Debug, Clone, Args)]
pub(crate) struct CatalogueArgs {
    /// Catalogue file or directory [default: ./checks/ or ./readyctl.yml].
    #[arg(
        long = "catalog",
        visible_alias = "catalogue",
        short = 'c',
        value_name = "PATH"
    )]
    pub catalog: Option<PathBuf>,
    /// Root of the deployment being checked; relative paths resolve against it.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
}

/// Which checks to run.
#[derive(Debug, Clone, Args)]
pub(crate) struct FilterArgs {
    /// Run only checks whose id matches this glob (repeatable), e.g. `redis.*`.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Leave out checks whose id matches this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub skip: Vec<String>,
    /// Run only checks with this tag (repeatable; any of them).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Leave out checks with this tag (repeatable), e.g. `live` for a static-only run.
    #[arg(long, value_name = "TAG")]
    pub skip_tag: Vec<String>,
}

/// Output format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A table for people.
    Table,
    /// The JSON report.
    Json,
    /// GitHub Actions workflow annotations (`::error file=…,line=…::…`).
    Github,
}

/// `readyctl check`.
#[derive(Debug, Clone, Args)]
pub(crate) struct CheckArgs {
    /// Catalogue and deployment.
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
    /// Selection.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write the JSON report to this file (same as `--report json=PATH`).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Also write a report file, FORMAT=PATH (repeatable): json, junit, sarif, markdown, prometheus.
    #[arg(long, value_name = "FORMAT=PATH")]
    pub report: Vec<ReportFile>,
    /// How JUnit groups testcases into testsuites.
    #[arg(long, value_enum, value_name = "BY", default_value_t = JunitGroup::Kind)]
    pub junit_group: JunitGroup,
    /// The repository top that SARIF and `--format github` name files from
    /// [default: `git rev-parse --show-toplevel` in --root, else --root].
    #[arg(long, value_name = "DIR")]
    pub repo_root: Option<PathBuf>,
    /// Waiver file [default: `readyctl-waivers.yml` under --root, when present].
    #[arg(long, value_name = "PATH")]
    pub waivers: Option<PathBuf>,
    /// A previous JSON report: failures it already had are `known` and do not fail the run.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub baseline: Option<PathBuf>,
    /// Rerun failing checks until all pass or this much time has passed (e.g. `2m`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<std::time::Duration>,
    /// Pause between reruns under `--wait`.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration, requires = "wait")]
    pub interval: std::time::Duration,
    /// At most this many checks at once (1 or more).
    #[arg(long, value_name = "N", default_value_t = crate::runner::DEFAULT_CONCURRENCY, value_parser = parse_positive)]
    pub concurrency: usize,
    /// Stop the whole run after this long (e.g. `2m`); unfinished checks are `cancelled`.
    #[arg(long, value_name = "DURATION", value_parser = parse_positive_duration)]
    pub deadline: Option<std::time::Duration>,
    /// Exit 1 only for failures at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = severity_parser())]
    pub fail_on: Severity,
    /// Show only failing checks and the summary; no progress on stderr.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Show every finding, hint and remediation, passing details and each pending sign-off.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `readyctl list`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ListArgs {
    /// Catalogue and deployment.
    #[command(flatten)]
    pub catalogue: CatalogueArgs,
    /// Selection.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Parses `10s`, `2m`, `500ms`.
pub(crate) fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    crate::domain::units::parse_duration_within(s, crate::domain::units::MAX_TIMEOUT)
        .map_err(|e| format!("{e} (write e.g. 30s, 2m, 500ms)"))
}

/// A duration that is more than zero: `--deadline 0s` would cancel every
/// check before it starts, so it is a usage error rather than a silent no-op.
pub(crate) fn parse_positive_duration(s: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("must be more than zero (write e.g. 30s, 2m)".into());
    }
    Ok(d)
}

/// A count of 1 or more: `--concurrency 0` would run nothing.
fn parse_positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be 1 or more".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e} (write a whole number, e.g. 8)")),
    }
}

/// Severities as a closed list, so shell completions offer them.
/// Any text (`explain` answers an unknown kind with a did-you-mean of its
/// own), while offering the registry's kind names to shell completions.
#[derive(Debug, Clone, Copy)]
struct KindName;

impl clap::builder::TypedValueParser for KindName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::kinds::REGISTRY
                .iter()
                .map(|k| clap::builder::PossibleValue::new(k.name)),
        ))
    }
}

fn severity_parser() -> impl clap::builder::TypedValueParser<Value = Severity> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Severity::ALL.map(Severity::as_str))
        .map(|s| s.parse::<Severity>().unwrap_or(Severity::Info))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
