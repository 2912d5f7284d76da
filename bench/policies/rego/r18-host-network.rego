# METADATA
# title: "pods: host-network"
# custom:
#   id: BENCH-R18
#   severity: high
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r18

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

deny contains "the pod shares the host network" if {
  spec.hostNetwork == true
}
