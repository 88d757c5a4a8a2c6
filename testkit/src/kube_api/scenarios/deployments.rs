//! Deployments: scaling, rollouts and rollbacks, and the autoscaler that scales them.

use serde_json::{Value, json};

use super::pods::{PodState, is_ready, make_ready, new_pod};
use super::{Outcome, State, str_of};

impl State {
    /// Sets a Deployment's replicas; its current ReplicaSet gains or loses ready pods.
    pub(in crate::kube_api) fn scale(&mut self, namespace: &str, name: &str, replicas: usize) -> Result<u64, String> {
        let mut deployment = self.object("deployments.apps", namespace, name)?;
        deployment["spec"]["replicas"] = replicas.into();
        bump_generation(&mut deployment);
        self.apply(deployment.clone())?;
        let current = self.current_replica_set(&deployment)?;
        self.resize(&current, replicas, PodState::Ready)?;
        self.refresh_deployment(namespace, name, None)
    }

    /// A rollout of `image` (the first container's) to a Deployment, as far as `outcome` says.
    pub(in crate::kube_api) fn roll_out(
        &mut self,
        namespace: &str,
        name: &str,
        image: &str,
        outcome: Outcome,
    ) -> Result<u64, String> {
        let mut deployment = self.object("deployments.apps", namespace, name)?;
        let replicas = deployment["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
        // The image the template already has: the same rollout, further on (same revision).
        let continuing = deployment["spec"]["template"]["spec"]["containers"][0]["image"] == image;
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] = image.into();
        let sets = self.owned("replicasets.apps", namespace, &deployment["metadata"]["uid"]);
        let revision = match revision_of(&deployment) {
            current if continuing && current > 0 => current,
            _ => {
                bump_generation(&mut deployment);
                sets.iter().map(revision_of).max().unwrap_or(0) + 1
            }
        };
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = revision.to_string().into();
        self.apply(deployment.clone())?;
        // An older ReplicaSet of the same template (here: image) is reused (a rollback), under the
        // new revision.
        let same_template = |s: &&Value| s["spec"]["template"]["spec"]["containers"][0]["image"] == image;
        let mut new_set = match sets.iter().find(same_template) {
            Some(existing) => existing.clone(),
            None => {
                let hash = template_hash(image);
                replica_set_of(&deployment, &format!("{name}-{hash}"), &hash, &self.now())
            }
        };
        let new_name = str_of(&new_set["metadata"]["name"]);
        new_set["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = revision.to_string().into();
        new_set["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = replicas.to_string().into();
        self.apply(new_set)?;
        let new_set = self.object("replicasets.apps", namespace, &new_name)?;
        if outcome == Outcome::Complete {
            // The pods an earlier step started are up by now.
            for mut pod in self.owned("pods", namespace, &new_set["metadata"]["uid"]) {
                if !is_ready(&pod) {
                    make_ready(&mut pod, &self.now());
                    self.apply(pod)?;
                }
            }
        }
        let (new_pods, pod_state) = match outcome {
            Outcome::Progressing => (1, PodState::Starting),
            Outcome::Complete => (replicas, PodState::Ready),
            Outcome::Failed => (1, PodState::CannotPull),
        };
        self.resize(&new_set, new_pods, pod_state)?;
        if outcome == Outcome::Complete {
            for old in sets.iter().filter(|s| s["metadata"]["name"] != new_name.as_str()) {
                self.resize(old, 0, PodState::Ready)?;
            }
        }
        let progress = match outcome {
            Outcome::Progressing => (
                "True",
                "ReplicaSetUpdated",
                format!("ReplicaSet \"{new_name}\" is progressing."),
            ),
            Outcome::Complete => (
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet \"{new_name}\" has successfully progressed."),
            ),
            Outcome::Failed => (
                "False",
                "ProgressDeadlineExceeded",
                format!("ReplicaSet \"{new_name}\" has timed out progressing."),
            ),
        };
        self.refresh_deployment(namespace, name, Some(progress))
    }

    /// An autoscaler's decision: its status shows `cpu` % and `replicas`, and its Deployment scales.
    pub(in crate::kube_api) fn autoscale(
        &mut self,
        namespace: &str,
        name: &str,
        replicas: usize,
        cpu: u64,
    ) -> Result<u64, String> {
        let mut hpa = self.object("horizontalpodautoscalers.autoscaling", namespace, name)?;
        let target = hpa["spec"]["scaleTargetRef"]["name"]
            .as_str()
            .unwrap_or(name)
            .to_owned();
        let status = &mut hpa["status"];
        status["currentReplicas"] = replicas.into();
        status["desiredReplicas"] = replicas.into();
        status["lastScaleTime"] = self.now().into();
        status["currentMetrics"] = json!([{ "type": "Resource", "resource": {
            "name": "cpu", "current": { "averageUtilization": cpu },
        }}]);
        self.apply(hpa)?;
        self.scale(namespace, &target, replicas)
    }

    /// The current ReplicaSet of a Deployment: the one of its revision.
    pub(in crate::kube_api) fn current_replica_set(&self, deployment: &Value) -> Result<Value, String> {
        let revision = deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"].clone();
        let namespace = str_of(&deployment["metadata"]["namespace"]);
        self.owned("replicasets.apps", &namespace, &deployment["metadata"]["uid"])
            .into_iter()
            .find(|s| s["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == revision)
            .ok_or_else(|| {
                format!(
                    "deployment {namespace}/{} has no ReplicaSet of its revision",
                    str_of(&deployment["metadata"]["name"])
                )
            })
    }

    /// Gives a ReplicaSet `count` pods: new ones in `state`, the newest removed first.
    pub(super) fn resize(&mut self, set: &Value, count: usize, state: PodState) -> Result<(), String> {
        let namespace = str_of(&set["metadata"]["namespace"]);
        let set_name = str_of(&set["metadata"]["name"]);
        let mut set = self.object("replicasets.apps", &namespace, &set_name)?;
        let mut pods = self.owned("pods", &namespace, &set["metadata"]["uid"]);
        pods.sort_by(|a, b| {
            str_of(&a["metadata"]["creationTimestamp"]).cmp(&str_of(&b["metadata"]["creationTimestamp"]))
        });
        while pods.len() > count {
            let pod = pods.pop().unwrap_or_default();
            self.delete("pods", &namespace, &str_of(&pod["metadata"]["name"]))?;
        }
        for index in pods.len()..count {
            self.uids += 1;
            let pod = new_pod(&set, self.uids, index, state, &self.now());
            self.apply(pod)?;
        }
        let ready = self
            .owned("pods", &namespace, &set["metadata"]["uid"])
            .iter()
            .filter(|p| is_ready(p))
            .count();
        set["spec"]["replicas"] = count.into();
        set["status"] = json!({
            "replicas": count, "fullyLabeledReplicas": count, "readyReplicas": ready,
            "availableReplicas": ready, "observedGeneration": set["metadata"]["generation"].clone(),
        });
        self.apply(set).map(|_| ())
    }

    pub(super) fn refresh_owner_of(&mut self, pod: &Value) -> Result<u64, String> {
        let namespace = str_of(&pod["metadata"]["namespace"]);
        let owner = &pod["metadata"]["ownerReferences"][0];
        if owner["kind"] != "ReplicaSet" {
            return Ok(self.revision);
        }
        let set = self.object("replicasets.apps", &namespace, &str_of(&owner["name"]))?;
        let count = set["spec"]["replicas"].as_u64().unwrap_or(0) as usize;
        self.resize(&set, count, PodState::Ready)?;
        let set = self.object("replicasets.apps", &namespace, &str_of(&owner["name"]))?;
        match &set["metadata"]["ownerReferences"][0] {
            parent if parent["kind"] == "Deployment" => {
                self.refresh_deployment(&namespace, &str_of(&parent["name"]), None)
            }
            _ => Ok(self.revision),
        }
    }

    /// A Deployment's status from its ReplicaSets' pods, and its `Progressing` condition if given.
    pub(super) fn refresh_deployment(
        &mut self,
        namespace: &str,
        name: &str,
        progress: Option<(&str, &str, String)>,
    ) -> Result<u64, String> {
        let mut deployment = self.object("deployments.apps", namespace, name)?;
        let current = self.current_replica_set(&deployment)?;
        let (mut total, mut ready) = (0, 0);
        for set in self.owned("replicasets.apps", namespace, &deployment["metadata"]["uid"]) {
            let pods = self.owned("pods", namespace, &set["metadata"]["uid"]);
            total += pods.len();
            ready += pods.iter().filter(|p| is_ready(p)).count();
        }
        let updated = self.owned("pods", namespace, &current["metadata"]["uid"]).len();
        let desired = deployment["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
        let generation = deployment_generation(&deployment);
        let now = self.now();
        let status = &mut deployment["status"];
        status["observedGeneration"] = generation.into();
        status["replicas"] = total.into();
        status["updatedReplicas"] = updated.into();
        status["readyReplicas"] = ready.into();
        status["availableReplicas"] = ready.into();
        status["unavailableReplicas"] = if desired > ready {
            (desired - ready).into()
        } else {
            Value::Null
        };
        let available = ready + desired.div_ceil(4) >= desired;
        let mut conditions = vec![json!({
            "type": "Available", "status": if available { "True" } else { "False" },
            "reason": if available { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
            "message": if available { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." },
            "lastUpdateTime": now, "lastTransitionTime": now,
        })];
        let previous = status["conditions"].as_array().cloned().unwrap_or_default();
        match progress {
            Some((state, reason, message)) => conditions.push(json!({
                "type": "Progressing", "status": state, "reason": reason, "message": message,
                "lastUpdateTime": now, "lastTransitionTime": now,
            })),
            None => conditions.extend(previous.into_iter().filter(|c| c["type"] == "Progressing")),
        }
        status["conditions"] = conditions.into();
        self.apply(deployment)
    }
}

fn deployment_generation(deployment: &Value) -> u64 {
    deployment["metadata"]["generation"].as_u64().unwrap_or(1)
}

fn bump_generation(object: &mut Value) {
    let generation = object["metadata"]["generation"].as_u64().unwrap_or(1);
    object["metadata"]["generation"] = (generation + 1).into();
}

/// A ReplicaSet's or Deployment's `deployment.kubernetes.io/revision`.
fn revision_of(object: &Value) -> u64 {
    str_of(&object["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        .parse()
        .unwrap_or(0)
}

/// A stable stand-in for the controller's hash of the pod template (here: of its image).
pub(super) fn template_hash(image: &str) -> String {
    let hash = image.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    // The controller's alphabet: no vowels, so no words.
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..10)
        .map(|i| ALPHABET[((hash >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn replica_set_of(deployment: &Value, name: &str, hash: &str, now: &str) -> Value {
    let mut template = deployment["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = hash.into();
    let mut selector = deployment["spec"]["selector"]["matchLabels"].clone();
    selector["pod-template-hash"] = hash.into();
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": name, "namespace": deployment["metadata"]["namespace"], "generation": 1,
            "creationTimestamp": now, "labels": template["metadata"]["labels"],
            "annotations": {},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"],
                "uid": deployment["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": { "replicas": 0, "selector": { "matchLabels": selector }, "template": template },
        "status": { "replicas": 0, "observedGeneration": 1 },
    })
}
