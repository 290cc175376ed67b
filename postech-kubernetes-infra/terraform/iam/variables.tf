variable "name" {
  description = "Role name prefix (postech-<stage>)."
  type        = string
}

variable "stage" {
  description = "Stage whose secrets (postech/<stage>/...) the roles may read."
  type        = string
}

variable "oidc_provider_arn" {
  description = "The cluster's IRSA OIDC provider."
  type        = string
}

variable "namespace" {
  description = "Namespace of the ServiceAccounts."
  type        = string
}

variable "app_service_account" {
  description = "ServiceAccount of the app (k8s/platform/service-accounts.yaml)."
  type        = string
  default     = "postech-app"
}

variable "migrator_service_account" {
  description = "ServiceAccount of the migration Job (k8s/base/migration-job.yaml)."
  type        = string
  default     = "postech-migrator"
}

variable "registration_email_domain" {
  description = "The SES identity (a domain) the app sends its registration e-mails as."
  type        = string
}
