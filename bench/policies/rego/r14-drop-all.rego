# METADATA
# title: "containers: drop-all"
# custom:
#   id: BENCH-R14
#   severity: medium
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r14

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` does not drop all capabilities", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  not "ALL" in c.securityContext.capabilities.drop
}
