# Container logs: Fluent Bit on every node ships them to CloudWatch Logs (README, "Logs": why
# CloudWatch Logs rather than an ELK stack). Two log groups, encrypted with a key CloudWatch
# Logs may use for them only, kept for log_retention_days.

locals {
  fluent_bit_version = "0.58.1"

  log_groups = {
    app      = "/postech/${var.stage}/kubernetes/app"
    platform = "/postech/${var.stage}/kubernetes/platform"
  }
}

module "container_logs_key" {
  source = "../logs-kms-key"

  description            = "postech ${var.stage}: container logs (Fluent Bit)"
  alias                  = "${var.name}-container-logs"
  log_group_name_pattern = "/postech/${var.stage}/kubernetes/*"
}

resource "aws_cloudwatch_log_group" "containers" {
  for_each = local.log_groups

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = module.container_logs_key.key_arn
}

# Fluent Bit writes log events into the two groups, nothing else.
data "aws_iam_policy_document" "fluent_bit" {
  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [for group in aws_cloudwatch_log_group.containers : "${group.arn}:*"]
  }
}

resource "aws_iam_role_policy" "fluent_bit" {
  count = var.create_irsa_roles ? 1 : 0

  name   = "write-container-logs"
  role   = aws_iam_role.irsa["fluent_bit"].id
  policy = data.aws_iam_policy_document.fluent_bit.json
}

resource "helm_release" "fluent_bit" {
  name        = "fluent-bit"
  repository  = "https://fluent.github.io/helm-charts"
  chart       = "fluent-bit"
  version     = local.fluent_bit_version
  namespace   = kubernetes_namespace_v1.this["logging"].metadata[0].name
  timeout     = 600
  max_history = 5
  atomic      = true

  values = [
    templatefile("${path.module}/values/fluent-bit.yaml", {
      app_namespace      = var.app_namespace
      region             = local.region
      app_log_group      = aws_cloudwatch_log_group.containers["app"].name
      platform_log_group = aws_cloudwatch_log_group.containers["platform"].name
    }),
    yamlencode({ serviceAccount = { annotations = local.irsa_annotations.fluent_bit } }),
  ]

  # Its ServiceMonitor needs the CRDs of kube-prometheus-stack.
  depends_on = [helm_release.kube_prometheus_stack]
}
