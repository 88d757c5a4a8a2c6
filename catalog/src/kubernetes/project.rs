//! A cluster's objects (`ClusterObjects`) turned into the Deployments views' workloads
//! (`crate::deployments::Workload`), and the workloads that belong to a catalog entity.
