# The cluster's monitoring: metrics and alerts (prometheus.tf, alerting.tf), traces
# (tracing.tf), container logs (logging.tf). This file holds what they share: the namespaces,
# the encrypted StorageClass and the EBS CSI driver behind it, and the key of the volumes
# and of the alert topic.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name

  # Namespaces and their Pod Security level. node-exporter (host network and PID) and Fluent
  # Bit (the node's log files) need host access, hence "privileged" where they run; the
  # tracing pods meet "restricted".
  namespaces = {
    monitoring = "privileged"
    tracing    = "restricted"
    logging    = "privileged"
  }
}

resource "kubernetes_namespace_v1" "this" {
  for_each = local.namespaces

  metadata {
    name = each.key
    labels = {
      "pod-security.kubernetes.io/enforce"         = each.value
      "pod-security.kubernetes.io/enforce-version" = "latest"
      # Warn about anything that would not pass "restricted", even where it is allowed.
      "pod-security.kubernetes.io/warn" = "restricted"
    }
  }
}

# ---- Encryption at rest -------------------------------------------------------------------
# One key for the monitoring data at rest: the EBS volumes of Prometheus, Alertmanager and
# Jaeger, and the alert topic. Rotated yearly by KMS. Its users get it through IAM (the EBS
# CSI driver's role, Alertmanager's role), not through this key policy.
resource "aws_kms_key" "monitoring" {
  description             = "postech ${var.stage}: monitoring volumes (Prometheus, Alertmanager, Jaeger) and the alert topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.monitoring_key.json
}

resource "aws_kms_alias" "monitoring" {
  name          = "alias/${var.name}-monitoring"
  target_key_id = aws_kms_key.monitoring.key_id
}

data "aws_iam_policy_document" "monitoring_key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is the key itself; administration stays with the account root, as in the AWS default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself; use is granted through the IAM policies of the EBS CSI driver and Alertmanager.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource of the account.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"] # In a key policy, "*" means this key.

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${local.account}:root"]
    }
  }
}

# gp3, encrypted with the key above: every PersistentVolumeClaim of the monitoring stack names
# it. Not the cluster default (the app is stateless and claims nothing).
resource "kubernetes_storage_class_v1" "gp3_encrypted" {
  metadata {
    name = "gp3-encrypted"
  }

  storage_provisioner    = "ebs.csi.aws.com"
  reclaim_policy         = "Delete"
  volume_binding_mode    = "WaitForFirstConsumer"
  allow_volume_expansion = true

  parameters = {
    type      = "gp3"
    encrypted = "true"
    kmsKeyId  = aws_kms_key.monitoring.arn
  }

  depends_on = [aws_eks_addon.ebs_csi_driver]
}

# ---- EBS CSI driver (EKS add-on) ----------------------------------------------------------
# The build AWS marks as default for the cluster's Kubernetes version: it moves only when the
# cluster is upgraded, never between two plans of the same cluster.
data "aws_eks_addon_version" "ebs_csi_driver" {
  addon_name         = "aws-ebs-csi-driver"
  kubernetes_version = var.kubernetes_version
  most_recent        = false
}

resource "aws_eks_addon" "ebs_csi_driver" {
  cluster_name                = var.cluster_name
  addon_name                  = "aws-ebs-csi-driver"
  addon_version               = data.aws_eks_addon_version.ebs_csi_driver.version
  service_account_role_arn    = var.create_irsa_roles ? aws_iam_role.irsa["ebs_csi_driver"].arn : null
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  configuration_values = jsonencode({
    controller = {
      resources = {
        requests = { cpu = "10m", memory = "40Mi" }
        limits   = { cpu = "200m", memory = "256Mi" }
      }
    }
    node = {
      resources = {
        requests = { cpu = "10m", memory = "40Mi" }
        limits   = { cpu = "100m", memory = "256Mi" }
      }
    }
  })
}
