output "alerts_topic_arn" {
  description = "SNS topic Alertmanager publishes the stage's alerts to."
  value       = aws_sns_topic.alerts.arn
}

output "container_log_groups" {
  description = "CloudWatch Logs groups of the containers: app (the app's namespace) and platform (everything else)."
  value       = { for key, group in aws_cloudwatch_log_group.containers : key => group.name }
}

output "otlp_endpoint" {
  description = "OTLP/HTTP endpoint of the collector for workloads of the cluster (OTEL_EXPORTER_OTLP_ENDPOINT)."
  value       = "http://otel-collector.${kubernetes_namespace_v1.this["tracing"].metadata[0].name}.svc.cluster.local:4318"
}

output "chart_versions" {
  description = "Pinned Helm chart versions of the monitoring stack."
  value = {
    kube-prometheus-stack   = local.kube_prometheus_stack_version
    opentelemetry-collector = local.opentelemetry_collector_version
    jaeger                  = local.jaeger_chart_version
    fluent-bit              = local.fluent_bit_version
  }
}
