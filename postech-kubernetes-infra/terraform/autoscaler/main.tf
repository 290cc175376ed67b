# Cluster Autoscaler: adds app nodes when pods are Pending for lack of room (the HPA asked for
# more than the nodes hold) and removes an under-used node by draining it through the eviction
# API, so every PodDisruptionBudget (the app keeps maxUnavailable 1) is respected; a node whose
# pods cannot be evicted within a PDB stays. README.md explains why this rather than Karpenter.

locals {
  chart_version   = "9.46.6"
  namespace       = "kube-system"
  service_account = "cluster-autoscaler"

  oidc_issuer = var.oidc_provider_arn == null ? "" : replace(var.oidc_provider_arn, "/^arn:[^:]+:iam::[0-9]+:oidc-provider\\//", "")
  minor       = join(".", slice(split(".", var.kubernetes_version), 0, 2))
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_iam_policy_document" "trust" {
  count = var.create_irsa_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${local.namespace}:${local.service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "autoscaler" {
  count = var.create_irsa_role ? 1 : 0

  name                 = "${var.name}-cluster-autoscaler"
  description          = "Cluster Autoscaler of ${var.cluster_name} (IRSA: ${local.namespace}/${local.service_account})"
  assume_role_policy   = data.aws_iam_policy_document.trust[0].json
  max_session_duration = 3600
}

# Least privilege (the autoscaler's AWS provider documentation): reads are account-wide
# because the Describe* actions have no resource-level permissions; the two writes reach only
# the node groups' own Auto Scaling groups, by name and by the cluster's ownership tag.
data "aws_iam_policy_document" "autoscaler" {
  statement {
    sid = "DiscoverNodeGroups"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ReadNodeGroups"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:aws:eks:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:nodegroup/${var.cluster_name}/*/*"]
  }

  statement {
    sid     = "ResizeOwnNodeGroups"
    actions = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    resources = [
      for group in var.node_autoscaling_group_names :
      "arn:aws:autoscaling:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:autoScalingGroup:*:autoScalingGroupName/${group}"
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}"
      values   = ["owned"]
    }
  }
}

resource "aws_iam_role_policy" "autoscaler" {
  count = var.create_irsa_role ? 1 : 0

  name   = "resize-node-groups"
  role   = aws_iam_role.autoscaler[0].id
  policy = data.aws_iam_policy_document.autoscaler.json
}

resource "helm_release" "cluster_autoscaler" {
  name       = "cluster-autoscaler"
  namespace  = local.namespace
  repository = "https://kubernetes.github.io/autoscaler"
  chart      = "cluster-autoscaler"
  version    = local.chart_version

  # Fail the apply instead of leaving a half-installed release.
  atomic  = true
  wait    = true
  timeout = 600

  values = [yamlencode({
    cloudProvider = "aws"
    awsRegion     = data.aws_region.current.name
    autoDiscovery = { clusterName = var.cluster_name }
    image         = { tag = var.image_tags[local.minor] }

    rbac = {
      serviceAccount = {
        create = true
        name   = local.service_account
        annotations = var.create_irsa_role ? {
          "eks.amazonaws.com/role-arn" = aws_iam_role.autoscaler[0].arn
        } : {}
      }
    }

    extraArgs = {
      # One node group today; balancing keeps zones even if it is ever split per zone.
      "balance-similar-node-groups"      = true
      expander                           = "least-waste"
      "scale-down-utilization-threshold" = var.scale_down_utilization_threshold
      "scale-down-unneeded-time"         = var.scale_down_unneeded_time
      "scale-down-delay-after-add"       = "10m"
      # Longer than the app's terminationGracePeriodSeconds (40 s): a drained pod finishes its
      # requests. Pods with emptyDir stay unevictable unless they say which volumes may go
      # (the app does: cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes).
      "max-graceful-termination-sec"  = 120
      "skip-nodes-with-local-storage" = true
      "skip-nodes-with-system-pods"   = true
    }

    # The autoscaler itself: one replica (leader election), its own PDB, never evicted by
    # its own scale-down.
    replicaCount        = 1
    priorityClassName   = "system-cluster-critical"
    podDisruptionBudget = { maxUnavailable = 1 }
    podAnnotations      = { "cluster-autoscaler.kubernetes.io/safe-to-evict" = "false" }
    resources = {
      requests = { cpu = "100m", memory = "300Mi" }
      limits   = { cpu = "500m", memory = "600Mi" }
    }
    securityContext = {
      runAsNonRoot   = true
      runAsUser      = 65534
      runAsGroup     = 65534
      seccompProfile = { type = "RuntimeDefault" }
    }
    containerSecurityContext = {
      allowPrivilegeEscalation = false
      readOnlyRootFilesystem   = true
      capabilities             = { drop = ["ALL"] }
    }
  })]
}
