//! What workloads run on and keep their data in, shaped as the API server returns them: Nodes
//! (capacity and allocatable CPU, memory, pods and `nvidia.com/gpu`; the well-known labels,
//! `node.kubernetes.io/instance-type` among them) and PersistentVolumeClaims bound to
//! PersistentVolumes (storage class, capacity, `Bound` both ways), for the demo, the generated
//! clusters and tests.

use serde_json::{Value, json};

/// A node of `cpu` vCPUs, `memory_gib` GiB and `gpus` NVIDIA GPUs, of `instance_type`.
/// Allocatable is capacity less the kubelet's reservations (100 m CPU, 5 % of memory plus 100 MiB
/// for eviction), as a managed node pool reports it.
pub fn node(name: &str, instance_type: &str, cpu: u32, memory_gib: u32, gpus: u32) -> Value {
    let memory_ki = u64::from(memory_gib) * 1024 * 1024;
    let reserved_ki = memory_ki / 20 + 100 * 1024;
    let mut capacity = json!({
        "cpu": cpu.to_string(), "memory": format!("{memory_ki}Ki"), "pods": "110",
        "ephemeral-storage": "101430960Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
    });
    let mut allocatable = json!({
        "cpu": format!("{}m", cpu * 1000 - 100), "memory": format!("{}Ki", memory_ki - reserved_ki),
        "pods": "110", "ephemeral-storage": "93478772582", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
    });
    if gpus > 0 {
        capacity["nvidia.com/gpu"] = gpus.to_string().into();
        allocatable["nvidia.com/gpu"] = gpus.to_string().into();
    }
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/instance-type": instance_type,
                "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": instance_type,
                "topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": "eu-west-1a",
            },
            "annotations": { "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true" },
            "creationTimestamp": "2026-11-20T07:00:00Z",
        },
        "spec": { "providerID": format!("aws:///eu-west-1a/i-{:017x}", fnv(name) >> 4) },
        "status": {
            "capacity": capacity, "allocatable": allocatable,
            "conditions": [
                { "type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                  "message": "kubelet has sufficient memory available",
                  "lastHeartbeatTime": "2026-12-05T10:58:00Z", "lastTransitionTime": "2026-11-20T07:01:00Z" },
                { "type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure",
                  "message": "kubelet has no disk pressure",
                  "lastHeartbeatTime": "2026-12-05T10:58:00Z", "lastTransitionTime": "2026-11-20T07:01:00Z" },
                { "type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID",
                  "message": "kubelet has sufficient PID available",
                  "lastHeartbeatTime": "2026-12-05T10:58:00Z", "lastTransitionTime": "2026-11-20T07:01:00Z" },
                { "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                  "lastHeartbeatTime": "2026-12-05T10:58:00Z", "lastTransitionTime": "2026-11-20T07:02:00Z" },
            ],
            "addresses": [
                { "type": "InternalIP", "address": format!("10.0.{}.{}", fnv(name) % 200, 10 + fnv(name) % 240) },
                { "type": "Hostname", "address": name },
            ],
            "nodeInfo": {
                "architecture": "amd64", "operatingSystem": "linux", "osImage": "Bottlerocket OS 1.28.0 (aws-k8s-1.33)",
                "kernelVersion": "6.1.119", "containerRuntimeVersion": "containerd://1.7.24+bottlerocket",
                "kubeletVersion": "v1.33.4-eks-1234567", "kubeProxyVersion": "v1.33.4-eks-1234567",
                "machineID": format!("{:032x}", fnv(name)), "systemUUID": format!("ec2{:029x}", fnv(name)),
                "bootID": format!("{:08x}-0000-4000-8000-000000000000", fnv(name) as u32),
            },
        },
    })
}

/// A claim of `gib` GiB of `class` in `namespace`, bound to the volume `pvc-<uid>` (see `volume`).
pub fn claim(namespace: &str, name: &str, class: &str, gib: u32) -> Value {
    let volume = volume_name(namespace, name);
    json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name, "namespace": namespace, "uid": claim_uid(namespace, name),
            "annotations": {
                "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
            },
            "finalizers": ["kubernetes.io/pvc-protection"],
            "creationTimestamp": "2026-11-21T09:00:00Z",
        },
        "spec": {
            "accessModes": ["ReadWriteOnce"], "storageClassName": class, "volumeMode": "Filesystem",
            "resources": { "requests": { "storage": format!("{gib}Gi") } },
            "volumeName": volume,
        },
        "status": { "phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": { "storage": format!("{gib}Gi") } },
    })
}

/// The volume a [`claim`] of the same arguments is bound to, provisioned by the EBS CSI driver.
pub fn volume(namespace: &str, claim_name: &str, class: &str, gib: u32) -> Value {
    let name = volume_name(namespace, claim_name);
    json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {
            "name": name,
            "annotations": { "pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com", "volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": "" },
            "finalizers": ["external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection"],
            "creationTimestamp": "2026-11-21T09:00:02Z",
        },
        "spec": {
            "accessModes": ["ReadWriteOnce"], "capacity": { "storage": format!("{gib}Gi") },
            "claimRef": {
                "apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": claim_name, "namespace": namespace,
                "uid": claim_uid(namespace, claim_name), "resourceVersion": "1",
            },
            "csi": { "driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": format!("vol-{:017x}", fnv(&name) >> 4) },
            "persistentVolumeReclaimPolicy": "Delete", "storageClassName": class, "volumeMode": "Filesystem",
            "nodeAffinity": { "required": { "nodeSelectorTerms": [{ "matchExpressions": [{
                "key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a"],
            }] }] } },
        },
        "status": { "phase": "Bound", "lastPhaseTransitionTime": "2026-11-21T09:00:02Z" },
    })
}

/// `pvc-<uid of the claim>`, as dynamic provisioning names a claim's volume.
pub fn volume_name(namespace: &str, claim_name: &str) -> String {
    format!("pvc-{}", claim_uid(namespace, claim_name))
}

fn claim_uid(namespace: &str, name: &str) -> String {
    let h = fnv(&format!("{namespace}/{name}"));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 20) & 0xfff,
        h & 0xffff_ffff_ffff
    )
}

/// Mounts the claim `claim_name` as volume `data` of a pod template's spec (or a pod's), at
/// `/data` in every container.
pub fn mount_claim(spec: &mut Value, claim_name: &str) {
    spec["volumes"] = json!([{ "name": "data", "persistentVolumeClaim": { "claimName": claim_name } }]);
    if let Some(containers) = spec["containers"].as_array_mut() {
        for container in containers {
            container["volumeMounts"] = json!([{ "name": "data", "mountPath": "/data" }]);
        }
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
