# METADATA
# title: "containers: sys-admin"
# custom:
#   id: BENCH-R11
#   severity: critical
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r11

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` adds SYS_ADMIN", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  "SYS_ADMIN" in c.securityContext.capabilities.add
}
