//! What a cluster's controllers would do, done at once so tests can drive the scenarios:
//! scaling, a rollout of a new image (progressing, complete or failed), a rollback (a rollout back
//! to an image an older ReplicaSet runs: that ReplicaSet is reused with a new revision, as
//! `kubectl rollout undo` does), a crash loop, an autoscaler scaling, an Argo Rollouts canary
//! step. Each keeps Deployment → ReplicaSet → Pod names, uids, labels and counts consistent and
//! writes the objects as the API server would (each write a revision, reaching open watches).

use serde_json::{Value, json};

use super::State;

/// Every time written here: a fixed clock keeps fixtures and scenarios comparable.
const NOW: &str = "2026-12-05T11:00:00Z";
const NODES: [&str; 3] = ["worker-1", "worker-2", "worker-3"];

/// How far a [`State::roll_out`] gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// One new pod started, not ready yet; the old pods still serve.
    Progressing,
    /// Every pod replaced and ready; the old ReplicaSets scaled to 0.
    Complete,
    /// The new pod cannot pull its image; the deadline passed (`ProgressDeadlineExceeded`).
    Failed,
}

impl Outcome {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "progressing" => Ok(Self::Progressing),
            "complete" => Ok(Self::Complete),
            "failed" => Ok(Self::Failed),
            other => Err(format!("outcome {other:?}: expected progressing, complete or failed")),
        }
    }
}

impl State {
    fn object(&self, type_name: &str, namespace: &str, name: &str) -> Result<Value, String> {
        self.objects
            .get(&(type_name.to_owned(), namespace.to_owned(), name.to_owned()))
            .cloned()
            .ok_or_else(|| format!("no {type_name} {namespace}/{name}"))
    }

    /// Objects of a type in a namespace whose controller is `owner_uid`.
    fn owned(&self, type_name: &str, namespace: &str, owner_uid: &Value) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((t, ns, _), o)| {
                t == type_name
                    && ns == namespace
                    && o["metadata"]["ownerReferences"]
                        .as_array()
                        .is_some_and(|refs| refs.iter().any(|r| r["uid"] == *owner_uid))
            })
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// Sets a Deployment's replicas; its current ReplicaSet gains or loses ready pods.
    pub(super) fn scale(&mut self, namespace: &str, name: &str, replicas: usize) -> Result<u64, String> {
        let mut deployment = self.object("deployments.apps", namespace, name)?;
        deployment["spec"]["replicas"] = replicas.into();
        bump_generation(&mut deployment);
        self.apply(deployment.clone())?;
        let current = self.current_replica_set(&deployment)?;
        self.resize(&current, replicas, PodState::Ready)?;
        self.refresh_deployment(namespace, name, None)
    }

    /// A rollout of `image` (the first container's) to a Deployment, as far as `outcome` says.
    pub(super) fn roll_out(
        &mut self,
        namespace: &str,
        name: &str,
        image: &str,
        outcome: Outcome,
    ) -> Result<u64, String> {
        let mut deployment = self.object("deployments.apps", namespace, name)?;
        let replicas = deployment["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] = image.into();
        bump_generation(&mut deployment);
        let sets = self.owned("replicasets.apps", namespace, &deployment["metadata"]["uid"]);
        let revision = sets.iter().map(revision_of).max().unwrap_or(0) + 1;
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = revision.to_string().into();
        self.apply(deployment.clone())?;
        // An older ReplicaSet of the same template (here: image) is reused (a rollback), under the
        // new revision.
        let same_template = |s: &&Value| s["spec"]["template"]["spec"]["containers"][0]["image"] == image;
        let mut new_set = match sets.iter().find(same_template) {
            Some(existing) => existing.clone(),
            None => {
                let hash = template_hash(image);
                replica_set_of(&deployment, &format!("{name}-{hash}"), &hash)
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
                    make_ready(&mut pod);
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

    /// A pod's first container crash-looping after `restarts` restarts, terminated for `reason`
    /// (`OOMKilled` exits 137, anything else 1), with the kubelet's `BackOff` warning.
    pub(super) fn crash_loop(
        &mut self,
        namespace: &str,
        pod_name: &str,
        restarts: u64,
        reason: &str,
    ) -> Result<u64, String> {
        let mut pod = self.object("pods", namespace, pod_name)?;
        let container = pod["spec"]["containers"][0]["name"]
            .as_str()
            .unwrap_or("app")
            .to_owned();
        let exit_code = if reason == "OOMKilled" { 137 } else { 1 };
        let status = &mut pod["status"]["containerStatuses"][0];
        status["ready"] = false.into();
        status["started"] = false.into();
        status["restartCount"] = restarts.into();
        status["state"] = json!({ "waiting": {
            "reason": "CrashLoopBackOff",
            "message": format!("back-off 5m0s restarting failed container={container} pod={pod_name}_{namespace}"),
        }});
        status["lastState"] = json!({ "terminated": {
            "exitCode": exit_code, "reason": reason, "startedAt": "2026-12-05T10:59:30Z", "finishedAt": NOW,
        }});
        set_ready_conditions(&mut pod, false, &container);
        let uid = pod["metadata"]["uid"].clone();
        self.apply(pod.clone())?;
        self.apply(warning(
            namespace,
            pod_name,
            &uid,
            "BackOff",
            &format!("Back-off restarting failed container {container} in pod {pod_name}_{namespace}"),
        ))?;
        self.refresh_owner_of(&pod)
    }

    /// An autoscaler's decision: its status shows `cpu` % and `replicas`, and its Deployment scales.
    pub(super) fn autoscale(&mut self, namespace: &str, name: &str, replicas: usize, cpu: u64) -> Result<u64, String> {
        let mut hpa = self.object("horizontalpodautoscalers.autoscaling", namespace, name)?;
        let target = hpa["spec"]["scaleTargetRef"]["name"]
            .as_str()
            .unwrap_or(name)
            .to_owned();
        let status = &mut hpa["status"];
        status["currentReplicas"] = replicas.into();
        status["desiredReplicas"] = replicas.into();
        status["lastScaleTime"] = NOW.into();
        status["currentMetrics"] = json!([{ "type": "Resource", "resource": {
            "name": "cpu", "current": { "averageUtilization": cpu },
        }}]);
        self.apply(hpa)?;
        self.scale(namespace, &target, replicas)
    }

    /// An Argo Rollout at canary step `index` (`steps.len()` promotes it): the weight of the last
    /// `setWeight` so far, that share of pods on the canary ReplicaSet, paused on a `pause` step.
    pub(super) fn canary_step(&mut self, namespace: &str, name: &str, index: usize) -> Result<u64, String> {
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
            json!([{ "reason": "CanaryPauseStep", "startTime": NOW }])
        } else {
            Value::Null
        };
        status["controllerPause"] = pausing.into();
        self.apply(rollout)
    }

    /// The current ReplicaSet of a Deployment: the one of its revision.
    fn current_replica_set(&self, deployment: &Value) -> Result<Value, String> {
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
    fn resize(&mut self, set: &Value, count: usize, state: PodState) -> Result<(), String> {
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
            let pod = new_pod(&set, self.uids, index, state);
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

    fn refresh_owner_of(&mut self, pod: &Value) -> Result<u64, String> {
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
    fn refresh_deployment(
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
            "lastUpdateTime": NOW, "lastTransitionTime": NOW,
        })];
        let previous = status["conditions"].as_array().cloned().unwrap_or_default();
        match progress {
            Some((state, reason, message)) => conditions.push(json!({
                "type": "Progressing", "status": state, "reason": reason, "message": message,
                "lastUpdateTime": NOW, "lastTransitionTime": NOW,
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

fn revision_of(set: &Value) -> u64 {
    str_of(&set["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
        .parse()
        .unwrap_or(0)
}

fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// A stable stand-in for the controller's hash of the pod template (here: of its image).
fn template_hash(image: &str) -> String {
    let hash = image.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    // The controller's alphabet: no vowels, so no words.
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..10)
        .map(|i| ALPHABET[((hash >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn replica_set_of(deployment: &Value, name: &str, hash: &str) -> Value {
    let mut template = deployment["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = hash.into();
    let mut selector = deployment["spec"]["selector"]["matchLabels"].clone();
    selector["pod-template-hash"] = hash.into();
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": name, "namespace": deployment["metadata"]["namespace"], "generation": 1,
            "creationTimestamp": NOW, "labels": template["metadata"]["labels"],
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

#[derive(Clone, Copy)]
enum PodState {
    Ready,
    Starting,
    CannotPull,
}

fn new_pod(set: &Value, serial: u64, index: usize, state: PodState) -> Value {
    let set_name = str_of(&set["metadata"]["name"]);
    let template = &set["spec"]["template"];
    let container = template["spec"]["containers"][0].clone();
    let image = str_of(&container["image"]);
    let node = NODES[index % NODES.len()];
    let ip = format!("10.244.{}.{}", 8 + serial / 250, 2 + serial % 250);
    let container_state = match state {
        PodState::Ready => json!({ "running": { "startedAt": NOW } }),
        PodState::Starting => json!({ "waiting": { "reason": "ContainerCreating" } }),
        PodState::CannotPull => json!({ "waiting": {
            "reason": "ImagePullBackOff",
            "message": format!("Back-off pulling image \"{image}\": ErrImagePull: failed to pull and unpack image \"{image}\": not found"),
        }}),
    };
    let ready = matches!(state, PodState::Ready);
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": format!("{set_name}-{}", pod_suffix(serial)), "namespace": set["metadata"]["namespace"],
            "generateName": format!("{set_name}-"), "creationTimestamp": NOW,
            "labels": template["metadata"]["labels"],
            "ownerReferences": [{
                "apiVersion": set["apiVersion"], "kind": "ReplicaSet", "name": set_name,
                "uid": set["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": { "containers": template["spec"]["containers"], "nodeName": node, "restartPolicy": "Always" },
        "status": {
            "phase": if ready { "Running" } else { "Pending" },
            "hostIP": format!("10.0.1.{}", 11 + index % NODES.len()), "podIP": ip, "podIPs": [{ "ip": ip }],
            "startTime": NOW, "qosClass": "Burstable",
            "containerStatuses": [{
                "name": container["name"], "ready": ready, "started": ready, "restartCount": 0,
                "image": image, "imageID": if ready { format!("{}@sha256:{:064x}", image.split(':').next().unwrap_or_default(), serial) } else { String::new() },
                "state": container_state, "lastState": {},
            }],
        },
    });
    set_ready_conditions(&mut pod, ready, &str_of(&container["name"]));
    pod
}

fn make_ready(pod: &mut Value) {
    let container = str_of(&pod["spec"]["containers"][0]["name"]);
    pod["status"]["phase"] = "Running".into();
    let status = &mut pod["status"]["containerStatuses"][0];
    status["ready"] = true.into();
    status["started"] = true.into();
    status["state"] = json!({ "running": { "startedAt": NOW } });
    set_ready_conditions(pod, true, &container);
}

fn pod_suffix(serial: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|i| ALPHABET[((serial.wrapping_mul(2_654_435_761) >> (i * 5)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn set_ready_conditions(pod: &mut Value, ready: bool, container: &str) {
    let (status, reason, message) = if ready {
        ("True", Value::Null, Value::Null)
    } else {
        (
            "False",
            "ContainersNotReady".into(),
            format!("containers with unready status: [{container}]").into(),
        )
    };
    let condition = |kind: &str| json!({ "type": kind, "status": status, "reason": reason, "message": message, "lastProbeTime": null, "lastTransitionTime": NOW });
    pod["status"]["conditions"] = json!([
        { "type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": NOW },
        condition("Ready"),
        condition("ContainersReady"),
        { "type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": NOW },
    ]);
}

fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

fn warning(namespace: &str, pod: &str, uid: &Value, reason: &str, message: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": { "name": format!("{pod}.{}", template_hash(&format!("{pod}{reason}"))), "namespace": namespace, "creationTimestamp": NOW },
        "involvedObject": { "kind": "Pod", "namespace": namespace, "name": pod, "uid": uid, "apiVersion": "v1" },
        "reason": reason, "message": message, "type": "Warning", "count": 1,
        "source": { "component": "kubelet" }, "firstTimestamp": NOW, "lastTimestamp": NOW,
        "reportingComponent": "kubelet", "reportingInstance": "",
    })
}
