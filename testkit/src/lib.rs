//! Local stand-ins for the outside world, speaking the real protocols, for tests and benchmarks:
//! `kube_api`, a Kubernetes API server (also the `kube-api` binary, for browser tests and benches),
//! `hostile`, a catalog of hostile strings for the escaping tests (the `hostile-catalog` binary),
//! and `prometheus`, Debian's Prometheus over a backfilled history (the `prometheus-fixture` binary).

pub mod hostile;
pub mod kube_api;
pub mod prometheus;
