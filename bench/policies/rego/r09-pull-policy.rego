# METADATA
# title: "containers: pull-policy"
# custom:
#   id: BENCH-R09
#   severity: low
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r09

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` does not always pull", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  not c.imagePullPolicy == "Always"
}
