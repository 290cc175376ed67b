variable "name" {
  description = "Name prefix of the AWS resources (postech-<stage>)."
  type        = string
}

variable "stage" {
  description = "Deployment stage (staging or production); names the log groups and shows in alert subjects."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster the charts are installed in (the EBS CSI add-on attaches to it)."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes version of the cluster; selects the EBS CSI add-on build AWS marks as default for it."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The cluster's IRSA OIDC provider; null under the AWS Academy fallback (no IRSA roles are created, pods use the node role)."
  type        = string
  default     = null
}

variable "create_irsa_roles" {
  description = "Create IRSA roles for the EBS CSI driver, Alertmanager, Grafana and Fluent Bit (false under the AWS Academy fallback)."
  type        = bool
}

variable "app_namespace" {
  description = "Namespace of postech-app: its container logs go to their own log group."
  type        = string
}

variable "alarm_email" {
  description = "E-mail address subscribed to the stage's alert topic (Alertmanager's alerts). Required: alerts that reach nobody are not alerts."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address: the on-call list that receives the stage's alerts."
  }
}

variable "prometheus_retention_days" {
  description = "How long Prometheus keeps samples."
  type        = number
}

variable "prometheus_volume_gib" {
  description = "Size of Prometheus's encrypted gp3 volume, in GiB (about 1-2 GiB a day for this cluster; keep retention x daily volume well below it)."
  type        = number
}

variable "trace_retention_hours" {
  description = "How long Jaeger keeps spans (Badger TTL)."
  type        = number
}

variable "trace_volume_gib" {
  description = "Size of Jaeger's encrypted gp3 volume (Badger), in GiB."
  type        = number
}

variable "edge_otlp_node_port" {
  description = "NodePort of the collector's edge Service, the target port of the edge functions' OTLP load balancer (../edge-otlp)."
  type        = number
}

variable "log_retention_days" {
  description = "Retention of the container log groups in CloudWatch Logs."
  type        = number
}
