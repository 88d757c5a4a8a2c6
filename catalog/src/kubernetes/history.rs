//! Rollouts observed in the workloads, recorded faithfully and once (see `crate::store`'s rollouts).
