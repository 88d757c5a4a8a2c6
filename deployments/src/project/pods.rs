//! A pod as the views show it: phase, readiness, restarts, node, and each container's state with
//! its reason (CrashLoopBackOff, ImagePullBackOff, OOMKilled) and the scheduler's reason when unplaced.

use k8s_openapi::api::core::v1::{self as core, ContainerStatus, Pod};

use super::images::digest_of_image_id;
use super::{ms, time_ms};
use crate::model::{ContainerInfo, ContainerState, PodInfo, Termination};

pub fn pod_info(pod: &Pod) -> PodInfo {
    let status = pod.status.as_ref();
    let condition = |kind: &str| status?.conditions.as_ref()?.iter().find(|c| c.type_ == kind);
    let unschedulable = condition("PodScheduled").filter(|c| c.status == "False").map(|c| {
        c.message
            .clone()
            .or_else(|| c.reason.clone())
            .unwrap_or_else(|| "Unschedulable".into())
    });
    let containers = containers(pod);
    PodInfo {
        name: pod.metadata.name.clone().unwrap_or_default(),
        phase: status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into()),
        ready: condition("Ready").is_some_and(|c| c.status == "True"),
        restarts: containers.iter().map(|c| c.restarts).sum(),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        created_ms: time_ms(pod.metadata.creation_timestamp.as_ref()),
        unschedulable,
        containers,
    }
}

/// The app containers in the spec's order, then init containers that are stuck or failing (an
/// init container in CrashLoopBackOff is why a pod never starts).
fn containers(pod: &Pod) -> Vec<ContainerInfo> {
    let status = pod.status.as_ref();
    let statuses = status.and_then(|s| s.container_statuses.as_deref()).unwrap_or_default();
    let spec_names = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    let mut out: Vec<ContainerInfo> = spec_names
        .iter()
        .map(|c| match statuses.iter().find(|s| s.name == c.name) {
            Some(s) => container_info(s),
            None => ContainerInfo {
                name: c.name.clone(),
                ready: false,
                restarts: 0,
                state: ContainerState::Unknown,
                last_termination: None,
                digest: None,
            },
        })
        .collect();
    let init = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or_default();
    out.extend(init.iter().map(container_info).filter(|c| match &c.state {
        ContainerState::Waiting { reason, .. } => reason != "PodInitializing",
        ContainerState::Terminated(t) => t.exit_code != 0,
        ContainerState::Running { .. } | ContainerState::Unknown => false,
    }));
    out
}

fn container_info(status: &ContainerStatus) -> ContainerInfo {
    ContainerInfo {
        name: status.name.clone(),
        ready: status.ready,
        restarts: u32::try_from(status.restart_count).unwrap_or(0),
        state: status.state.as_ref().map_or(ContainerState::Unknown, state),
        last_termination: status
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .map(termination),
        digest: digest_of_image_id(&status.image_id).map(str::to_string),
    }
}

fn state(state: &core::ContainerState) -> ContainerState {
    if let Some(waiting) = &state.waiting {
        ContainerState::Waiting {
            reason: waiting.reason.clone().unwrap_or_else(|| "Waiting".into()),
            message: waiting.message.clone(),
        }
    } else if let Some(terminated) = &state.terminated {
        ContainerState::Terminated(termination(terminated))
    } else if let Some(running) = &state.running {
        ContainerState::Running {
            since_ms: running.started_at.as_ref().map(ms),
        }
    } else {
        ContainerState::Unknown
    }
}

fn termination(t: &core::ContainerStateTerminated) -> Termination {
    Termination {
        reason: t
            .reason
            .clone()
            .unwrap_or_else(|| if t.exit_code == 0 { "Completed" } else { "Error" }.into()),
        exit_code: t.exit_code,
        finished_ms: t.finished_at.as_ref().map(ms),
    }
}
