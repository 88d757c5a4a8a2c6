//! Pods as their controllers create them and the kubelet reports them, and a crash loop.

use serde_json::{Value, json};

use super::deployments::template_hash;
use super::{NODES, State, str_of};

impl State {
    /// A pod's first container crash-looping after `restarts` restarts, terminated for `reason`
    /// (`OOMKilled` exits 137, anything else 1), with the kubelet's `BackOff` warning.
    pub(in crate::kube_api) fn crash_loop(
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
        let (now, last_start) = (self.now(), self.seconds_ago(30));
        let status = &mut pod["status"]["containerStatuses"][0];
        status["ready"] = false.into();
        status["started"] = false.into();
        status["restartCount"] = restarts.into();
        status["state"] = json!({ "waiting": {
            "reason": "CrashLoopBackOff",
            "message": format!("back-off 5m0s restarting failed container={container} pod={pod_name}_{namespace}"),
        }});
        status["lastState"] = json!({ "terminated": {
            "exitCode": exit_code, "reason": reason, "startedAt": last_start, "finishedAt": now,
        }});
        set_ready_conditions(&mut pod, false, &container, &now);
        let uid = pod["metadata"]["uid"].clone();
        self.apply(pod.clone())?;
        self.apply(warning(
            namespace,
            pod_name,
            &uid,
            "BackOff",
            &format!("Back-off restarting failed container {container} in pod {pod_name}_{namespace}"),
            &now,
        ))?;
        self.refresh_owner_of(&pod)
    }
}

impl State {
    /// A crash-looping pod's container running (and ready) again; its restarts and last
    /// termination stay, as the kubelet keeps them.
    pub(in crate::kube_api) fn recover(&mut self, namespace: &str, pod_name: &str) -> Result<u64, String> {
        let mut pod = self.object("pods", namespace, pod_name)?;
        make_ready(&mut pod, &self.now());
        self.apply(pod.clone())?;
        self.refresh_owner_of(&pod)
    }
}

#[derive(Clone, Copy)]
pub(super) enum PodState {
    Ready,
    Starting,
    CannotPull,
}

pub(super) fn new_pod(set: &Value, serial: u64, index: usize, state: PodState, now: &str) -> Value {
    let set_name = str_of(&set["metadata"]["name"]);
    let template = &set["spec"]["template"];
    let container = template["spec"]["containers"][0].clone();
    let image = str_of(&container["image"]);
    let node = NODES[index % NODES.len()];
    let ip = format!("10.244.{}.{}", 8 + serial / 250, 2 + serial % 250);
    let container_state = match state {
        PodState::Ready => json!({ "running": { "startedAt": now } }),
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
            "generateName": format!("{set_name}-"), "creationTimestamp": now,
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
            "startTime": now, "qosClass": "Burstable",
            "containerStatuses": [{
                "name": container["name"], "ready": ready, "started": ready, "restartCount": 0,
                "image": image, "imageID": if ready { format!("{}@sha256:{:064x}", image.split(':').next().unwrap_or_default(), serial) } else { String::new() },
                "state": container_state, "lastState": {},
            }],
        },
    });
    if let Some(volumes) = template["spec"].get("volumes") {
        pod["spec"]["volumes"] = volumes.clone();
    }
    set_ready_conditions(&mut pod, ready, &str_of(&container["name"]), now);
    pod
}

pub(super) fn make_ready(pod: &mut Value, now: &str) {
    let container = str_of(&pod["spec"]["containers"][0]["name"]);
    pod["status"]["phase"] = "Running".into();
    let status = &mut pod["status"]["containerStatuses"][0];
    status["ready"] = true.into();
    status["started"] = true.into();
    status["state"] = json!({ "running": { "startedAt": now } });
    set_ready_conditions(pod, true, &container, now);
}

fn pod_suffix(serial: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|i| ALPHABET[((serial.wrapping_mul(2_654_435_761) >> (i * 5)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn set_ready_conditions(pod: &mut Value, ready: bool, container: &str, now: &str) {
    let (status, reason, message) = if ready {
        ("True", Value::Null, Value::Null)
    } else {
        (
            "False",
            "ContainersNotReady".into(),
            format!("containers with unready status: [{container}]").into(),
        )
    };
    let condition = |kind: &str| json!({ "type": kind, "status": status, "reason": reason, "message": message, "lastProbeTime": null, "lastTransitionTime": now });
    pod["status"]["conditions"] = json!([
        { "type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": now },
        condition("Ready"),
        condition("ContainersReady"),
        { "type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now },
    ]);
}

pub(super) fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

fn warning(namespace: &str, pod: &str, uid: &Value, reason: &str, message: &str, now: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": { "name": format!("{pod}.{}", template_hash(&format!("{pod}{reason}"))), "namespace": namespace, "creationTimestamp": now },
        "involvedObject": { "kind": "Pod", "namespace": namespace, "name": pod, "uid": uid, "apiVersion": "v1" },
        "reason": reason, "message": message, "type": "Warning", "count": 1,
        "source": { "component": "kubelet" }, "firstTimestamp": now, "lastTimestamp": now,
        "reportingComponent": "kubelet", "reportingInstance": "",
    })
}
