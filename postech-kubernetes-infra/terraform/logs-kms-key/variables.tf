variable "description" {
  description = "What the key encrypts (shown in the KMS console)."
  type        = string
}

variable "alias" {
  description = "Alias of the key, without the alias/ prefix."
  type        = string
}

variable "log_group_name_pattern" {
  description = "CloudWatch Logs group names (ArnLike pattern, e.g. /aws/eks/postech-staging/*) whose log data CloudWatch Logs may encrypt with the key."
  type        = string
}
