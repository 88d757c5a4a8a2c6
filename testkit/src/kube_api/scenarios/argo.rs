//! Argo Rollouts: a canary's steps.

use serde_json::{Value, json};

use super::pods::PodState;
use super::{State, str_of};

impl State {
    /// An Argo Rollout at canary step `index` (`steps.len()` promotes it): the weight of the last
    /// `setWeight` so far, that share of pods on the canary ReplicaSet, paused on a `pause` step.
    pub(in crate::kube_api) fn canary_step(
        &mut self,
        namespace: &str,
        name: &str,
        index: usize,
    ) -> Result<u64, String> {
        let mut rollout = self.object("rollouts.argoproj.io", namespace, name)?;
        let steps = rollout["spec"]["strategy"]["canary"]["steps"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if index > steps.len() {
            return Err(format!("step {index}: the rollout has {} steps", steps.len()));
        }
        let replicas = rollout["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
        let promoted = index == steps.len();
        let weight = if promoted {
            100
        } else {
            steps[..=index]
                .iter()
                .rev()
                .find_map(|s| s["setWeight"].as_u64())
                .unwrap_or(0)
        };
        let status = rollout["status"].clone();
        let (stable, canary) = (str_of(&status["stableRS"]), str_of(&status["currentPodHash"]));
        let sets = self.owned("replicasets.apps", namespace, &rollout["metadata"]["uid"]);
        let hash_of = |s: &Value| str_of(&s["metadata"]["labels"]["rollouts-pod-template-hash"]);
        let canary_pods = (replicas * weight as usize).div_ceil(100);
        for set in &sets {
            let pods = match hash_of(set) {
                h if h == canary => canary_pods,
                h if h == stable && !promoted => replicas - canary_pods,
                _ => 0,
            };
            self.resize(set, pods, PodState::Ready)?;
        }
        let pausing = !promoted && steps[index].get("pause").is_some();
        let status = &mut rollout["status"];
        status["currentStepIndex"] = index.into();
        status["canary"]["weights"] = json!({
            "canary": { "podTemplateHash": canary, "weight": weight },
            "stable": { "podTemplateHash": if promoted { &canary } else { &stable }, "weight": 100 - weight },
        });
        status["updatedReplicas"] = canary_pods.into();
        if promoted {
            status["stableRS"] = canary.clone().into();
        }
        status["phase"] = (if promoted {
            "Healthy"
        } else if pausing {
            "Paused"
        } else {
            "Progressing"
        })
        .into();
        status["message"] = (if pausing { "CanaryPauseStep" } else { "" }).into();
        status["pauseConditions"] = if pausing {
            json!([{ "reason": "CanaryPauseStep", "startTime": self.now() }])
        } else {
            Value::Null
        };
        status["controllerPause"] = pausing.into();
        self.apply(rollout)
    }
}
