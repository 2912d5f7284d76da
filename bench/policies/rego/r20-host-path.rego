# METADATA
# title: "pods: host-path"
# custom:
#   id: BENCH-R20
#   severity: high
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r20

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

deny contains "the pod mounts a host path" if {
  some v in spec.volumes
  v.hostPath
}
