# METADATA
# title: "containers: read-only-root"
# custom:
#   id: BENCH-R12
#   severity: medium
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
package bench.r12

import rego.v1

spec := input.spec if input.kind == "Pod"

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec := input.spec.template.spec if not input.kind in {"Pod", "CronJob"}

violation contains {"msg": sprintf("container `%v` has a writable root filesystem", [c.name]), "path": ["spec", "containers", i]} if {
  some i, c in spec.containers
  not c.securityContext.readOnlyRootFilesystem == true
}
