# Where alerts go: Alertmanager (prometheus.tf) publishes every alert of the stage to this
# encrypted SNS topic, which e-mails var.alarm_email (required, validated: a stage cannot be
# deployed without someone to tell). The other repositories have their own topics for their
# CloudWatch alarms (postech-lambda-functions infra/alarms.yml, postech-database-infra
# terraform/rds/alarms.tf).

resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-cluster-alerts"
  display_name      = "postech ${var.stage} alerts"
  kms_master_key_id = aws_kms_key.monitoring.arn
}

resource "aws_sns_topic_subscription" "alerts_email" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# Alertmanager publishes with its IRSA role (SigV4, sns_configs): the topic and its key only.
data "aws_iam_policy_document" "alertmanager" {
  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
  }

  statement {
    sid       = "EncryptForTheEncryptedTopic"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = [aws_kms_key.monitoring.arn]
  }
}

resource "aws_iam_role_policy" "alertmanager" {
  count = var.create_irsa_roles ? 1 : 0

  name   = "publish-alerts"
  role   = aws_iam_role.irsa["alertmanager"].id
  policy = data.aws_iam_policy_document.alertmanager.json
}

locals {
  # Alertmanager's configuration: everything to the topic, critical alerts repeated hourly
  # while they last, warnings every 12 hours. Watchdog (always firing, a dead man's switch
  # for an external checker) and InfoInhibitor go nowhere.
  alertmanager_config = {
    global = { resolve_timeout = "5m" }
    route = {
      receiver        = "sns"
      group_by        = ["alertname", "namespace", "severity"]
      group_wait      = "30s"
      group_interval  = "5m"
      repeat_interval = "12h"
      routes = [
        { receiver = "null", matchers = ["alertname = \"Watchdog\""] },
        { receiver = "null", matchers = ["alertname = \"InfoInhibitor\""] },
        { receiver = "sns", matchers = ["severity = \"critical\""], repeat_interval = "1h" },
      ]
    }
    receivers = [
      { name = "null" },
      {
        name = "sns"
        sns_configs = [{
          topic_arn     = aws_sns_topic.alerts.arn
          sigv4         = { region = local.region }
          send_resolved = true
          # SNS subjects are limited to 100 ASCII characters.
          subject = "[postech ${var.stage}] {{ .Status | toUpper }} {{ .CommonLabels.severity }} {{ .CommonLabels.alertname }}"
        }]
      },
    ]
  }
}
