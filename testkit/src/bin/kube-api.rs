//! `kube-api [--fixtures DIR] [--synthetic DEPLOYMENTSxPODS] [--offset N] [--namespace NS] [--namespaces K] [--token T]
//! [--demo] [--demo-every SECONDS] [--exit-with-stdin] [--wall-clock]`: a local Kubernetes API server on 127.0.0.1
//! (a free port) for browser tests, benchmarks and the demo. Prints `listening on
//! http://127.0.0.1:PORT` as its first line, then serves until killed (or, with
//! `--exit-with-stdin`, until its standard input closes: the parent that started it is gone); the
//! cluster is changed through the `/_testkit/` control endpoints (see `testkit::kube_api`'s
//! `control`). `--demo` runs the Northwind services on the wall clock (`testkit::kube_api::demo`),
//! `--demo-every` plays its live script, an episode every so many seconds.

use std::io::Write;
use std::path::PathBuf;

use std::time::Duration;

use testkit::kube_api::{KubeApi, demo};

const USAGE: &str = "usage: kube-api [--fixtures DIR] [--synthetic DEPLOYMENTSxPODS] [--offset N] [--namespace NS] [--namespaces K] [--token T] [--demo] [--demo-every SECONDS] [--exit-with-stdin] [--wall-clock]";

struct Options {
    fixtures: Option<PathBuf>,
    synthetic: Option<(usize, usize)>,
    /// The first synthetic Deployment's number.
    offset: usize,
    /// Synthetic Deployments are spread over this many namespaces, `NS-0`…`NS-(K-1)`.
    namespaces: usize,
    namespace: String,
    token: Option<String>,
    demo: bool,
    /// Seconds between the demo script's episodes (none: the demo cluster stands still).
    demo_every: Option<u64>,
    exit_with_stdin: bool,
    /// Scenarios write the wall clock's time, not the fixed one tests compare (benchmarks).
    wall_clock: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        fixtures: None,
        synthetic: None,
        offset: 0,
        namespaces: 1,
        namespace: "synthetic".into(),
        token: None,
        demo: false,
        demo_every: None,
        exit_with_stdin: false,
        wall_clock: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--fixtures" => options.fixtures = Some(value()?.into()),
            "--synthetic" => {
                let text = value()?;
                let parsed = text
                    .split_once('x')
                    .and_then(|(d, p)| Some((d.parse().ok()?, p.parse().ok()?)));
                options.synthetic =
                    Some(parsed.ok_or_else(|| format!("--synthetic {text}: expected DEPLOYMENTSxPODS, as 10x100"))?);
            }
            "--offset" => {
                let text = value()?;
                options.offset = text
                    .parse()
                    .map_err(|_| format!("--offset {text}: expected a number"))?;
            }
            "--namespace" => options.namespace = value()?,
            "--namespaces" => {
                let text = value()?;
                options.namespaces = text
                    .parse()
                    .ok()
                    .filter(|k| *k > 0)
                    .ok_or_else(|| format!("--namespaces {text}: expected a number above 0"))?;
            }
            "--token" => options.token = Some(value()?),
            "--demo" => options.demo = true,
            "--demo-every" => {
                let text = value()?;
                options.demo_every = Some(
                    text.parse()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| format!("--demo-every {text}: expected seconds above 0"))?,
                );
            }
            "--exit-with-stdin" => options.exit_with_stdin = true,
            "--wall-clock" => options.wall_clock = true,
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let api = KubeApi::start_controlled().await;
    api.state().token = options.token;
    api.state().live_clock = options.wall_clock;
    if let Some(dir) = &options.fixtures
        && let Err(error) = api.load_fixtures(dir)
    {
        eprintln!("kube-api: cannot load fixtures: {error}");
        std::process::exit(1);
    }
    if let Some((deployments, pods)) = options.synthetic {
        let spread = options.namespaces.min(deployments.max(1));
        let mut first = options.offset;
        for n in 0..spread {
            // Round-robin sizes: the first namespaces take the remainder.
            let here = deployments / spread + usize::from(n < deployments % spread);
            let namespace = if spread == 1 {
                options.namespace.clone()
            } else {
                format!("{}-{n}", options.namespace)
            };
            api.load_synthetic_from(first, here, pods, &namespace);
            first += here;
        }
    }
    let _script = options.demo.then(|| start_demo(&api, options.demo_every)).flatten();
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {}", api.url);
    let _ = stdout.flush();
    if options.exit_with_stdin {
        // Reads until end of file: the parent closed its end, or died.
        let _ = tokio::io::copy(&mut tokio::io::stdin(), &mut tokio::io::sink()).await;
    } else {
        std::future::pending::<()>().await;
    }
}

/// The Northwind demo cluster, and its live script when `every` is given.
fn start_demo(api: &KubeApi, every: Option<u64>) -> Option<tokio::task::JoinHandle<()>> {
    let (run, first_revision) = demo::run_stamp(std::time::SystemTime::now());
    if let Err(error) = api.load_demo(&run, first_revision) {
        eprintln!("kube-api: cannot load the demo: {error}");
        std::process::exit(1);
    }
    every.map(|seconds| api.play(demo::Script::new(first_revision, &run), Duration::from_secs(seconds)))
}
