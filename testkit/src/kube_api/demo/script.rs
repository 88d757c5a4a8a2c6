//! The demo cluster's live script: every period one episode, its steps a sixth of a period
//! apart. Mostly a release rolled out to completion; sometimes a rollout that cannot pull its
//! image, rolled back; a pod crash-looping, then recovering; an autoscaler scaling up and back.
//! Seeded, so a run can be replayed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::super::scenarios::Outcome;
use super::super::{KubeApi, State};
use super::{NORTHWIND, Service, image};

/// One thing a controller does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    RollOut {
        service: &'static Service,
        image: String,
        outcome: Outcome,
    },
    /// The service's first pod crash-loops after `restarts` restarts.
    CrashLoop { service: &'static Service, restarts: u64 },
    /// The crash-looping pod runs again.
    Recover { service: &'static Service },
    Autoscale {
        service: &'static Service,
        replicas: usize,
        cpu: u64,
    },
}

/// What happens in one period: a line for the log and its steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Episode {
    pub summary: String,
    pub steps: Vec<Step>,
}

/// The seeded sequence of episodes.
pub struct Script {
    random: u64,
    run: String,
    /// Each service's last version: `(major, minor, patch)`.
    versions: BTreeMap<&'static str, (u32, u32, u32)>,
}

impl Script {
    /// `run`: the stamp `load_demo` was given, so new versions look like its.
    pub fn new(seed: u64, run: &str) -> Script {
        Script {
            random: seed,
            run: run.to_owned(),
            versions: NORTHWIND
                .iter()
                .map(|s| (s.name, (s.version.0, s.version.1, 0)))
                .collect(),
        }
    }

    /// The next episode.
    pub fn next_episode(&mut self) -> Episode {
        let dice = self.below(100);
        if dice < 55 {
            let service = self.pick(|_| true);
            let image = self.release(service);
            Episode {
                summary: format!("{} rolls out {image}", service.name),
                steps: vec![
                    roll(service, &image, Outcome::Progressing),
                    roll(service, &image, Outcome::Complete),
                ],
            }
        } else if dice < 75 {
            let service = self.pick(|_| true);
            let previous = self.current(service);
            let image = self.release(service);
            // The broken version is never deployed again: the next release moves past it.
            Episode {
                summary: format!("{} fails to roll out {image} and is rolled back", service.name),
                steps: vec![
                    roll(service, &image, Outcome::Progressing),
                    roll(service, &image, Outcome::Failed),
                    roll(service, &previous, Outcome::Complete),
                ],
            }
        } else if dice < 90 {
            let service = self.pick(|_| true);
            Episode {
                summary: format!("a pod of {} crash-loops, then recovers", service.name),
                steps: vec![
                    Step::CrashLoop { service, restarts: 2 },
                    Step::CrashLoop { service, restarts: 5 },
                    Step::Recover { service },
                ],
            }
        } else {
            let service = self.pick(|s| s.autoscaled);
            let (base, peak) = (service.replicas, service.replicas * 2);
            Episode {
                summary: format!("{} scales to {peak} under load, then back to {base}", service.name),
                steps: vec![
                    Step::Autoscale {
                        service,
                        replicas: peak,
                        cpu: 88,
                    },
                    Step::Autoscale {
                        service,
                        replicas: base,
                        cpu: 41,
                    },
                ],
            }
        }
    }

    fn current(&self, service: &Service) -> String {
        image(service, self.versions[service.name], &self.run)
    }

    /// A new version: usually a patch, every so often a minor release.
    fn release(&mut self, service: &Service) -> String {
        let minor = self.below(5) == 0;
        let version = self.versions.entry(service.name).or_default();
        *version = if minor {
            (version.0, version.1 + 1, 0)
        } else {
            (version.0, version.1, version.2 + 1)
        };
        let version = *version;
        image(service, version, &self.run)
    }

    fn pick(&mut self, which: impl Fn(&Service) -> bool) -> &'static Service {
        let candidates: Vec<&'static Service> = NORTHWIND.iter().filter(|s| which(s)).collect();
        candidates[self.below(candidates.len() as u64) as usize]
    }

    /// SplitMix64: a few lines, the same sequence on every platform and version.
    fn below(&mut self, n: u64) -> u64 {
        self.random = self.random.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

fn roll(service: &'static Service, image: &str, outcome: Outcome) -> Step {
    Step::RollOut {
        service,
        image: image.to_owned(),
        outcome,
    }
}

impl State {
    /// Plays one step, as the cluster's controllers would.
    pub(in crate::kube_api) fn play(&mut self, step: &Step) -> Result<u64, String> {
        match step {
            Step::RollOut {
                service,
                image,
                outcome,
            } => self.roll_out(service.namespace, service.name, image, *outcome),
            Step::CrashLoop { service, restarts } => {
                let pod = self.first_pod(service)?;
                self.crash_loop(service.namespace, &pod, *restarts, "Error")
            }
            Step::Recover { service } => {
                let pod = self.first_pod(service)?;
                self.recover(service.namespace, &pod)
            }
            Step::Autoscale { service, replicas, cpu } => {
                self.autoscale(service.namespace, service.name, *replicas, *cpu)
            }
        }
    }

    /// The oldest pod of the service's current ReplicaSet (by name: stable while it runs).
    fn first_pod(&self, service: &Service) -> Result<String, String> {
        let deployment = self.object("deployments.apps", service.namespace, service.name)?;
        let set = self.current_replica_set(&deployment)?;
        let mut pods: Vec<String> = self
            .owned("pods", service.namespace, &set["metadata"]["uid"])
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        pods.sort();
        pods.into_iter()
            .next()
            .ok_or_else(|| format!("{} has no pod", service.name))
    }
}

impl KubeApi {
    /// Plays one step at once.
    pub fn play_step(&self, step: &Step) -> Result<u64, String> {
        self.state().play(step)
    }

    /// Plays `script` until the returned task is aborted (or the server dropped): an episode every
    /// `every`, the first after a sixth of it. Each episode is printed to stderr.
    pub fn play(&self, mut script: Script, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.state.clone();
        let gap = every / 6;
        tokio::spawn(async move {
            tokio::time::sleep(gap).await;
            loop {
                let next = tokio::time::Instant::now() + every;
                let episode = script.next_episode();
                eprintln!("kube-api demo: {}", episode.summary);
                for (i, step) in episode.steps.iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(gap).await;
                    }
                    if let Err(error) = lock(&state).play(step) {
                        eprintln!("kube-api demo: {error}");
                    }
                }
                tokio::time::sleep_until(next).await;
            }
        })
    }
}

fn lock(state: &Arc<Mutex<State>>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}
