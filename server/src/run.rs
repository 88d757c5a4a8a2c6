//! Start-up and shutdown: connect, migrate, bind, serve until SIGTERM/SIGINT, drain, close.

use std::{net::SocketAddr, time::Instant};

use anyhow::Context;
use catalog::service::Catalog;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::{config::Config, db::Db, http, metrics::Metrics, site::Site, state::AppState};

/// A started server: its address and a way to stop it (used by tests and by `serve`).
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop_workers: tokio::sync::watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
    /// The demo's simulated cluster (a child process), stopped with the server.
    simulated: Option<crate::demo::SimulatedCluster>,
    /// The demo's Prometheus (a child process), stopped with the server.
    demo_prometheus: Option<crate::demo::DemoPrometheus>,
}

impl Server {
    /// Connects to the database, applies migrations and starts listening on `config.bind`.
    pub async fn start(config: &Config) -> anyhow::Result<Server> {
        let started = Instant::now();
        let site = Site::load(&config.site_root)?;
        let db = Db::connect(&config.database).await?;
        db.migrate().await?;
        let installation = db.installation().await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = listener.local_addr()?;
        let leptos = LeptosOptions::builder()
            .output_name(site.manifest.bundle.clone())
            .site_root(site.root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let metrics = Metrics::new(db.dialect().display_name());
        let mut catalog_config = config.catalog.clone();
        if config.builtin_templates {
            let dir = config.scaffolder.work_dir.with_file_name("builtin-templates");
            let location = templates::builtin::install(&dir)
                .with_context(|| format!("writing the built-in templates to {}", dir.display()))?;
            catalog_config
                .builtin_locations
                .push(("file".into(), location.display().to_string()));
        }
        // The demo's Prometheus backfills while the rest starts; only where none is configured.
        let demo_prometheus = config
            .demo
            .as_ref()
            .and_then(|d| d.prometheus.clone())
            .filter(|_| config.prometheus.is_empty())
            .map(|settings| tokio::spawn(async move { crate::demo::DemoPrometheus::start(&settings).await }));
        let mut clusters = config.kubernetes.clone();
        let simulated = match config.demo.as_ref().and_then(|d| d.cluster.as_ref()) {
            Some(settings) => {
                let simulated = crate::demo::SimulatedCluster::start(settings).await?;
                tracing::warn!(cluster = %settings.name, url = %simulated.url, "demo: the cluster is simulated");
                clusters.push(simulated.config(settings));
                Some(simulated)
            }
            None => None,
        };
        // The clusters' catalog file is in place before the catalog first reads its locations.
        let kubernetes_entities = config
            .scaffolder
            .work_dir
            .with_file_name("kubernetes")
            .join("clusters.yaml");
        if !clusters.is_empty() {
            let entities: Vec<_> = clusters.iter().map(|c| c.entity.clone()).collect();
            write_new_file(&kubernetes_entities, &deployments::entities::documents(&entities, &[]))
                .with_context(|| format!("writing {}", kubernetes_entities.display()))?;
            catalog_config
                .builtin_locations
                .push(("file".into(), kubernetes_entities.display().to_string()));
        }
        let catalog = Catalog::new(
            catalog::store::Store::new(db.pool().clone(), db.dialect() == crate::db::Dialect::Postgres)
                .with_facet_cache_ttl(catalog_config.facet_cache_ttl),
            catalog_config,
        );
        let scaffolder = templates::service::Scaffolder::new(
            catalog.clone(),
            templates::actions::Services {
                git: catalog.config.git.clone(),
                github: catalog.config.github.clone(),
                catalog: Some(catalog.clone()),
                limits: config.scaffolder.limits.clone(),
            },
            config.scaffolder.clone(),
        );
        let (stop_workers, workers_stopped) = tokio::sync::watch::channel(false);
        let refresh_loop = tokio::spawn(catalog::scheduler::run_refresh_loop(
            catalog.clone(),
            workers_stopped.clone(),
        ));
        let workers_stopped_for_sessions = workers_stopped.clone();
        let stopping = workers_stopped.clone();
        let task_workers = tokio::spawn(templates::worker::run_task_workers(scaffolder.clone(), workers_stopped));
        let auth = std::sync::Arc::new(
            crate::auth::Auth::new(config.auth.clone(), catalog.store.clone(), &config.catalog.git.reading)
                .map_err(anyhow::Error::msg)?,
        );
        if auth.guest_mode() {
            tracing::warn!("no sign-in provider is configured (auth.oidc): guest mode, everyone may do everything");
        }
        let deployments = if clusters.is_empty() {
            None
        } else {
            let names: Vec<&str> = clusters.iter().map(|c| c.entity.name.as_str()).collect();
            tracing::info!(clusters = ?names, "watching Kubernetes clusters");
            // Cost allocation reads usage from the metrics API, polled as often as it samples.
            let timing = deployments::WatchTiming {
                metrics: config.cost.enabled.then_some(deployments::MetricsPolling {
                    interval: config.cost.interval,
                    timeout: config.cost.metrics_timeout,
                    max_bytes: config.cost.metrics_max_bytes,
                }),
                ..Default::default()
            };
            Some(deployments::Deployments::start_with(
                &clusters,
                catalog.clone(),
                Some(kubernetes_entities),
                timing,
            )?)
        };
        let cost = std::sync::Arc::new(
            cost::store::Store::new(catalog.store.clone()).with_cache(config.cost.cache_ttl, config.cost.cache_entries),
        );
        let cost_sampler = match (&deployments, config.cost.enabled) {
            (Some(deployments), true) => Some(tokio::spawn(cost::sampler::run(
                deployments.clone(),
                cost.clone(),
                config.cost.clone(),
                cost::usage::PrometheusUsage::new(&config.cost, &config.prometheus, &config.catalog.git.reading)
                    .map_err(anyhow::Error::msg)?,
                format!("{}/{}", installation_host(), uuid::Uuid::new_v4().simple()),
                workers_stopped_for_sessions.clone(),
            ))),
            _ => None,
        };
        let delivery = std::sync::Arc::new(delivery::Delivery::new(
            catalog.store.clone(),
            config.dora.clone(),
            // The catalog's, with its decision on file:// repositories.
            &catalog.config.git,
            config.catalog.github.clone(),
        ));
        let demo_history = config.demo.as_ref().map(|demo| {
            tracing::warn!(days = demo.history.days, "demo: generating a delivery history");
            tokio::spawn(crate::demo::run_backfill(
                delivery.clone(),
                catalog.store.clone(),
                demo.history.clone(),
                workers_stopped_for_sessions.clone(),
            ))
        });
        let demo_cost = config.demo.as_ref().filter(|_| config.cost.enabled).and_then(|demo| {
            let cluster = demo.cluster.as_ref()?;
            Some(tokio::spawn(crate::demo::backfill_cost(
                cost.clone(),
                cluster.name.clone(),
                demo.history.days,
                workers_stopped_for_sessions.clone(),
            )))
        });
        let mut prometheus_sources = config.prometheus.clone();
        let demo_prometheus = match demo_prometheus {
            None => None,
            Some(starting) => match starting.await.map_err(anyhow::Error::from).and_then(|r| r) {
                Ok(started) => {
                    tracing::warn!(url = %started.url, "demo: Prometheus serves simulated traffic");
                    let settings = slo::prometheus::PrometheusSettings {
                        url: started.url.clone(),
                        private_network: true,
                        ..Default::default()
                    };
                    prometheus_sources.global = Some(slo::prometheus::Prometheus::new(settings, &Default::default())?);
                    Some(started)
                }
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "demo: no Prometheus, so no SLO figures");
                    None
                }
            },
        };
        let slos = slo::service::Slos::new(
            slo::store::Store::new(catalog.store.clone()),
            slo_settings(&config),
            prometheus_sources,
            catalog.config.git.clone(),
            catalog.worker_name().to_string(),
        );
        let slos = std::sync::Arc::new(match &deployments {
            Some(deployments) => {
                let deployments = deployments.clone();
                slos.with_clusters(std::sync::Arc::new(move || {
                    deployments
                        .pyrra_slos()
                        .into_iter()
                        .map(|(cluster, object)| slo::collect::ClusterObject { cluster, object })
                        .collect()
                }))
            }
            None => slos,
        });
        let slo_loop = tokio::spawn(
            slos.clone()
                .run(catalog.entities_changed(), workers_stopped_for_sessions.clone()),
        );
        let session_sweeper = tokio::spawn(sweep_sessions(auth.clone(), workers_stopped_for_sessions));
        let state = AppState {
            db,
            catalog,
            scaffolder,
            auth,
            stopping,
            deployments,
            delivery,
            slos,
            cost,
            cost_settings: std::sync::Arc::new(config.cost.clone()),
            demo: config.demo.is_some(),
            metrics,
            site,
            leptos,
            started,
        };
        let app = http::router(state.clone());
        let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = signal.await;
                })
                .await
        });
        tracing::info!(
            %addr,
            database = state.db.dialect().display_name(),
            installation = %installation.id,
            startup_ms = started.elapsed().as_millis() as u64,
            "listening"
        );
        Ok(Server {
            addr,
            state,
            shutdown,
            task,
            stop_workers,
            workers: [refresh_loop, task_workers, session_sweeper, slo_loop]
                .into_iter()
                .chain(demo_history)
                .chain(demo_cost)
                .chain(cost_sampler)
                .collect(),
            simulated,
            demo_prometheus,
        })
    }

    /// Stops accepting, lets requests in flight finish, then closes the database.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(());
        let _ = self.stop_workers.send(true);
        self.task.await.context("server task")?.context("server")?;
        for worker in self.workers {
            // A refresh in progress is rolled back and its claim released: nothing is left
            // half-written, and the next start (or another replica) does it again.
            let _ = worker.await;
        }
        if let Some(simulated) = self.simulated {
            simulated.stop().await;
        }
        if let Some(prometheus) = self.demo_prometheus {
            prometheus.stop().await;
        }
        self.state.db.close().await;
        Ok(())
    }
}

/// Runs the portal until the process is asked to stop.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let server = Server::start(&config).await?;
    // Handlers go in before the URL is announced: whoever starts us may signal as soon as it reads it.
    let stop = shutdown_signal()?;
    println!("Cairn is running at http://{}", server.addr);
    stop.await;
    tracing::info!("shutting down: finishing requests in flight");
    server.stop().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Installs the SIGINT (Ctrl-C) and SIGTERM (Kubernetes, systemd) handlers at once and returns a
/// future that resolves on either.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut terminate = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        Ok(async move {
            tokio::select! { _ = interrupt.recv() => {}, _ = terminate.recv() => {} }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Deletes lapsed sessions every ten minutes until the server stops.
async fn sweep_sessions(auth: std::sync::Arc<crate::auth::Auth>, mut stopped: tokio::sync::watch::Receiver<bool>) {
    loop {
        match auth.store.delete_expired_sessions().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "expired sessions deleted"),
            Err(err) => tracing::warn!(error = %err, "deleting expired sessions"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// This machine's name, for the claims a replica writes (`HOSTNAME`, the pod's name on
/// Kubernetes), else `cairn`.
/// The `slo:` settings with the `dora:` environments, so deploy markers are production rollouts
/// only, judged as the delivery metrics judge them.
fn slo_settings(config: &Config) -> slo::service::SloSettings {
    let mut settings = config.slo.clone();
    settings.environments = config
        .dora
        .environments
        .iter()
        .map(|e| slo::store::Environment {
            production: e.name == "production",
            clusters: e.clusters.clone(),
            namespaces: e.namespaces.clone(),
        })
        .collect();
    settings
}

fn installation_host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty() && h.len() <= 253)
        .unwrap_or_else(|| "cairn".into())
}

/// Writes `text` unless the file already holds it (a restart keeps what was discovered until the
/// clusters answer again, and rewrites only what changed).
fn write_new_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if path.exists() {
        return Ok(());
    }
    std::fs::write(path, text)
}
