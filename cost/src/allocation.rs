//! Allocation: what each container of a cluster costs over a window. CPU and memory cost
//! max(request, usage) × hours × the node's rate (requests alone when usage is unknown, and the
//! allocation says which basis it used), GPUs their requested count, and a persistent volume's
//! capacity is shared by the pods mounting its claim. Inputs (`input`) are plain structs the
//! Kubernetes watches and a metrics source fill; `rollup` sums allocations by any key.

mod compute;
mod input;
mod rollup;

pub use compute::{Allocation, Basis, ClusterCost, NodeCost, VolumeCost, VolumeShare, compute};
pub use input::{Capacity, Claim, Cluster, Container, Node, Owner, Pod, Requests, Usage, Volume};
pub use rollup::{Aggregate, IDLE, SHARED, Totals, UNALLOCATED, UNMOUNTED, rollup};
