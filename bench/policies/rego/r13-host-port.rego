# METADATA
# title: "containers: host-port"
# custom:
#   id: BENCH-R13
#   severity: medium
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r13

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` binds a host port", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  some p in c.ports
  p.hostPort
}
