# The cluster's monitoring (./monitoring): Prometheus, Alertmanager and Grafana, the
# OpenTelemetry Collector and Jaeger, Fluent Bit to CloudWatch Logs, as pinned Helm charts.
# The helm and kubernetes providers reach the cluster created in this same apply through its
# endpoint, with a token from `aws eks get-token` (the deploy workflow's AWS credentials).

provider "helm" {
  kubernetes = {
    host                   = module.eks.cluster_endpoint
    cluster_ca_certificate = base64decode(module.eks.cluster_certificate_authority_data)
    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.eks.cluster_name, "--region", var.aws_region]
    }
  }
}

provider "kubernetes" {
  host                   = module.eks.cluster_endpoint
  cluster_ca_certificate = base64decode(module.eks.cluster_certificate_authority_data)

  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "aws"
    args        = ["eks", "get-token", "--cluster-name", module.eks.cluster_name, "--region", var.aws_region]
  }
}

module "monitoring" {
  source = "./monitoring"

  name                      = local.name
  stage                     = var.stage
  cluster_name              = module.eks.cluster_name
  kubernetes_version        = var.kubernetes_version
  oidc_provider_arn         = module.eks.oidc_provider_arn
  create_irsa_roles         = var.lab_role_arn == null
  app_namespace             = var.app_namespace
  alarm_email               = var.alarm_email
  prometheus_retention_days = var.prometheus_retention_days
  prometheus_volume_gib     = var.prometheus_volume_gib
  trace_retention_hours     = var.trace_retention_hours
  trace_volume_gib          = var.trace_volume_gib
  log_retention_days        = var.log_retention_days
  edge_otlp_node_port       = var.otlp_node_port
}

output "alerts_topic_arn" {
  description = "SNS topic of the stage's cluster alerts (Alertmanager), subscribed by alarm_email."
  value       = module.monitoring.alerts_topic_arn
}

output "container_log_groups" {
  description = "CloudWatch Logs groups of the containers (app, platform)."
  value       = module.monitoring.container_log_groups
}
