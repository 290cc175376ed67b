data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

# One customer-managed key for everything at rest of this database: storage and snapshots,
# Performance Insights, the master user's secret, the app's secret, the exported logs and
# the alarm topic. Rotated yearly by KMS.
resource "aws_kms_key" "database" {
  description             = "postech database ${var.identifier}: storage, snapshots, insights, secrets, logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.database_key.json
}

resource "aws_kms_alias" "database" {
  name          = "alias/${var.identifier}-database"
  target_key_id = aws_kms_key.database.key_id
}

data "aws_iam_policy_document" "database_key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is the key itself; administration stays with the account root, as in the AWS default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is the key itself; the service statements are limited by principal and encryption context.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is the key itself, not every resource of the account.
  # Key administration and use stay with the account's IAM policies (the AWS default key
  # policy); RDS and Secrets Manager use the key through the caller's grants.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"] # In a key policy, "*" means this key.

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts the exported PostgreSQL logs of this instance and its replica only.
  statement {
    sid       = "CloudWatchLogsEncryptsTheInstanceLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        for instance in [var.identifier, "${var.identifier}-replica"] :
        "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/rds/instance/${instance}/*"
      ]
    }
  }

  # CloudWatch alarms publish to the encrypted SNS topic.
  statement {
    sid       = "CloudWatchPublishesAlarms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}
