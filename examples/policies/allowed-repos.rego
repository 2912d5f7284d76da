# METADATA
# title: Images come from the company registry
# description: >-
#   Every container, init container and ephemeral container of a Pod or a workload's pod
#   template pulls its image from one of the repositories in `parameters.repos`. Written in
#   Gatekeeper's style (Rego v0, `input.review.object`, `input.parameters`), so the same
#   module also works as the rego of a Gatekeeper ConstraintTemplate.
# related_resources:
#   - ref: https://open-policy-agent.github.io/gatekeeper-library/website/validation/allowedrepos
# custom:
#   id: ORG001
#   name: image-from-company-registry
#   severity: high
#   kinds: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob]
#   parameters:
#     repos: ["registry.example.com/"]
package k8sallowedrepos

violation[{"msg": msg, "path": path}] {
  some kind, i
  container := pod_spec[[prefix, spec]][kind][i]
  not allowed(container.image)
  msg := sprintf("container `%v` pulls `%v`, which is not under %v", [container.name, container.image, input.parameters.repos])
  path := array.concat(prefix, [kind, i, "image"])
}

allowed(image) {
  startswith(image, input.parameters.repos[_])
}

# The pod spec of a Pod, a CronJob or any other workload, with its path from the root.
pod_spec[[["spec"], spec]] = spec {
  input.review.object.kind == "Pod"
  spec := input.review.object.spec
}

pod_spec[[["spec", "jobTemplate", "spec", "template", "spec"], spec]] = spec {
  input.review.object.kind == "CronJob"
  spec := input.review.object.spec.jobTemplate.spec.template.spec
}

pod_spec[[["spec", "template", "spec"], spec]] = spec {
  not input.review.object.kind == "Pod"
  not input.review.object.kind == "CronJob"
  spec := input.review.object.spec.template.spec
}
