# METADATA
# title: "containers: privileged"
# custom:
#   id: BENCH-R01
#   severity: high
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r01

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` runs privileged", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  c.securityContext.privileged == true
}
