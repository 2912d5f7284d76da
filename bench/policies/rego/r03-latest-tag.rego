# METADATA
# title: "containers: latest-tag"
# custom:
#   id: BENCH-R03
#   severity: medium
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r03

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` uses the latest tag", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  endswith(c.image, ":latest")
}
