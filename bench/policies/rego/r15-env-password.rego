# METADATA
# title: "containers: env-password"
# custom:
#   id: BENCH-R15
#   severity: high
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r15

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` writes a password in env", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  some e in c.env
  contains(lower(e.name), "password")
  e.value
}
