# METADATA
# title: "containers: registry"
# custom:
#   id: BENCH-R08
#   severity: high
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r08

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` pulls from an unapproved registry", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  not startswith(c.image, "registry.example.com/")
}
