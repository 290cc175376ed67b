# Inputs of the monitoring module (monitoring.tf).

variable "alarm_email" {
  description = "On-call e-mail address subscribed to the stage's alert topic. Required, no default: a stage cannot be applied without someone the alerts reach."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address (the on-call list of the stage)."
  }
}

variable "prometheus_retention_days" {
  description = "How long Prometheus keeps samples, in days."
  type        = number
  default     = 15
}

variable "prometheus_volume_gib" {
  description = "Prometheus's encrypted gp3 volume, in GiB."
  type        = number
  default     = 50
}

variable "trace_retention_hours" {
  description = "How long Jaeger keeps spans, in hours."
  type        = number
  default     = 72
}

variable "trace_volume_gib" {
  description = "Jaeger's encrypted gp3 volume (Badger), in GiB."
  type        = number
  default     = 20
}
