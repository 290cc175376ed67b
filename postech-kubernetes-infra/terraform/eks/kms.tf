data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

# Envelope encryption of Kubernetes Secrets and encryption of the control-plane log group.
# Rotated yearly by KMS. The cluster role gets kms:Encrypt/Decrypt on it from the EKS
# module (attach_cluster_encryption_policy).
resource "aws_kms_key" "cluster" {
  description             = "postech ${var.cluster_name}: Kubernetes secrets and control-plane logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.cluster_key.json
}

resource "aws_kms_alias" "cluster" {
  name          = "alias/${var.cluster_name}-eks"
  target_key_id = aws_kms_key.cluster.key_id
}

data "aws_iam_policy_document" "cluster_key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is the key itself; administration stays with the account root, as in the AWS default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself; the logs statement is limited by principal and encryption context.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource of the account.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"] # In a key policy, "*" means this key.

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsTheControlPlaneLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/eks/${var.cluster_name}/*"]
    }
  }
}
