# Prometheus, Alertmanager, Grafana, kube-state-metrics and node-exporter: kube-prometheus-stack,
# pinned. values/kube-prometheus-stack.yaml holds the static settings; below are the ones that
# depend on the stage or on other resources, the app's alert rules and the dashboards.

locals {
  kube_prometheus_stack_version = "88.5.3"

  # ../../monitoring: the alert rules (tested with promtool by scripts/test_alert_rules.py)
  # and the dashboards (checked by scripts/check_dashboards.py).
  monitoring_dir = "${path.module}/../../monitoring"

  kube_prometheus_stack_values = {
    # Loaded as PrometheusRule objects by the chart.
    additionalPrometheusRulesMap = {
      for file in fileset("${local.monitoring_dir}/alerts", "*.rules.yml") :
      trimsuffix(file, ".rules.yml") => yamldecode(file("${local.monitoring_dir}/alerts/${file}"))
    }
    prometheus = {
      prometheusSpec = {
        retention = "${var.prometheus_retention_days}d"
        # Stop before the volume is full: the oldest blocks go first.
        retentionSize = "${floor(var.prometheus_volume_gib * 0.8)}GiB"
        # On every alert and series sent out: which stage it comes from.
        externalLabels = { stage = var.stage }
        storageSpec = {
          volumeClaimTemplate = {
            spec = {
              storageClassName = kubernetes_storage_class_v1.gp3_encrypted.metadata[0].name
              accessModes      = ["ReadWriteOnce"]
              resources        = { requests = { storage = "${var.prometheus_volume_gib}Gi" } }
            }
          }
        }
      }
    }
    alertmanager = {
      serviceAccount = { name = "alertmanager", annotations = local.irsa_annotations.alertmanager }
      config         = local.alertmanager_config
    }
    grafana = {
      serviceAccount = { name = "grafana", annotations = local.irsa_annotations.grafana }
    }
  }
}

resource "helm_release" "kube_prometheus_stack" {
  name        = "kube-prometheus-stack"
  repository  = "https://prometheus-community.github.io/helm-charts"
  chart       = "kube-prometheus-stack"
  version     = local.kube_prometheus_stack_version
  namespace   = kubernetes_namespace_v1.this["monitoring"].metadata[0].name
  timeout     = 900
  max_history = 5
  atomic      = true

  values = [
    file("${path.module}/values/kube-prometheus-stack.yaml"),
    yamlencode(local.kube_prometheus_stack_values),
  ]

  depends_on = [aws_eks_addon.ebs_csi_driver]
}

# Dashboards as ConfigMaps labelled for Grafana's sidecar, one per JSON file, in the folder
# "postech" (grafana_folder annotation).
resource "kubernetes_config_map_v1" "dashboards" {
  for_each = fileset("${local.monitoring_dir}/dashboards", "*.json")

  metadata {
    name      = "dashboard-${trimsuffix(each.value, ".json")}"
    namespace = kubernetes_namespace_v1.this["monitoring"].metadata[0].name
    labels    = { grafana_dashboard = "1" }
    annotations = {
      grafana_folder = "postech"
    }
  }

  data = {
    (each.value) = file("${local.monitoring_dir}/dashboards/${each.value}")
  }
}

# Grafana reads CloudWatch (the edge and database dashboards) and queries the container logs.
# CloudWatch metric reads have no resource-level permissions; the logs are the stage's groups.
data "aws_iam_policy_document" "grafana" {
  #checkov:skip=CKV_AWS_356:Read-only: GetMetricData, ListMetrics, ec2:DescribeRegions, tag:GetResources and the Logs Insights follow-ups (StopQuery, GetQueryResults) take no resource; the alarm reads cover every alarm of the account on purpose (the dashboards show them).
  statement {
    sid = "ReadCloudWatchMetrics"
    actions = [
      "cloudwatch:DescribeAlarmsForMetric",
      "cloudwatch:DescribeAlarmHistory",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListMetrics",
      "cloudwatch:GetMetricData",
      "ec2:DescribeRegions",
      "tag:GetResources",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "QueryContainerLogs"
    actions   = ["logs:DescribeLogGroups", "logs:GetLogGroupFields", "logs:StartQuery", "logs:GetLogEvents"]
    resources = [for group in aws_cloudwatch_log_group.containers : "${group.arn}:*"]
  }

  statement {
    sid       = "FollowLogQueries"
    actions   = ["logs:StopQuery", "logs:GetQueryResults"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "grafana" {
  count = var.create_irsa_roles ? 1 : 0

  name   = "read-cloudwatch"
  role   = aws_iam_role.irsa["grafana"].id
  policy = data.aws_iam_policy_document.grafana.json
}
