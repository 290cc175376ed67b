# IRSA roles of the monitoring components, one per ServiceAccount, each with only what its
# component calls. Under the AWS Academy fallback (create_irsa_roles = false) none is created
# and the pods use the node role, as the app's do.

locals {
  # The OIDC issuer host, as IRSA condition keys spell it.
  oidc_issuer = var.oidc_provider_arn == null ? "" : replace(var.oidc_provider_arn, "/^arn:[^:]+:iam::[0-9]+:oidc-provider\\//", "")

  irsa_service_accounts = {
    ebs_csi_driver = { namespace = "kube-system", name = "ebs-csi-controller-sa", what = "EBS CSI driver (volumes of the monitoring stack)" }
    alertmanager   = { namespace = "monitoring", name = "alertmanager", what = "Alertmanager (publishes alerts to SNS)" }
    grafana        = { namespace = "monitoring", name = "grafana", what = "Grafana (reads CloudWatch metrics and logs)" }
    fluent_bit     = { namespace = "logging", name = "fluent-bit", what = "Fluent Bit (writes container logs)" }
  }

  irsa_roles = var.create_irsa_roles ? local.irsa_service_accounts : {}
}

data "aws_iam_policy_document" "irsa_trust" {
  for_each = local.irsa_roles

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${each.value.namespace}:${each.value.name}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "irsa" {
  for_each = local.irsa_roles

  name                 = "${var.name}-${replace(each.key, "_", "-")}"
  description          = "${each.value.what} (IRSA: ${each.value.namespace}/${each.value.name})"
  assume_role_policy   = data.aws_iam_policy_document.irsa_trust[each.key].json
  max_session_duration = 3600
}

# The EBS CSI driver: AWS's managed policy for the volumes, plus the monitoring key (EBS uses
# it through grants the driver creates for the volume).
resource "aws_iam_role_policy_attachment" "ebs_csi_driver" {
  count = var.create_irsa_roles ? 1 : 0

  role       = aws_iam_role.irsa["ebs_csi_driver"].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

data "aws_iam_policy_document" "ebs_csi_driver_key" {
  statement {
    sid       = "UseTheMonitoringKeyForVolumes"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = [aws_kms_key.monitoring.arn]
  }

  statement {
    sid       = "GrantTheKeyToEbs"
    actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    resources = [aws_kms_key.monitoring.arn]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
}

resource "aws_iam_role_policy" "ebs_csi_driver_key" {
  count = var.create_irsa_roles ? 1 : 0

  name   = "monitoring-key"
  role   = aws_iam_role.irsa["ebs_csi_driver"].id
  policy = data.aws_iam_policy_document.ebs_csi_driver_key.json
}

locals {
  # ServiceAccount annotations for the charts (none without IRSA).
  irsa_annotations = {
    for key, _ in local.irsa_service_accounts : key => (
      var.create_irsa_roles ? { "eks.amazonaws.com/role-arn" = aws_iam_role.irsa[key].arn } : {}
    )
  }
}
