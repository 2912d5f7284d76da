# METADATA
# title: "containers: privilege-escalation"
# custom:
#   id: BENCH-R02
#   severity: medium
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r02

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` may escalate privileges", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  not c.securityContext.allowPrivilegeEscalation == false
}
