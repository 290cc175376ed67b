variable "name" {
  description = "Name prefix of the stage's resources (postech-<stage>)."
  type        = string
}

variable "stage" {
  description = "Stage the executor deploys (staging or production): scopes its SSM parameters and secrets."
  type        = string
}

variable "vpc_id" {
  description = "VPC the builds run in (the cluster's)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets of the builds' network interfaces (their NAT gateways reach GitHub, ECR and package mirrors)."
  type        = list(string)
}

variable "cluster_name" {
  description = "EKS cluster the builds reach through its private endpoint."
  type        = string
}

variable "cluster_security_group_id" {
  description = "Security group of the EKS control plane's network interfaces; admits 443 from the builds."
  type        = string
}

variable "app_namespace" {
  description = "Namespace of postech-app: the only one the rollout and migration builds may edit."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the builds' CloudWatch Logs."
  type        = number
}

variable "build_image" {
  description = "CodeBuild image of every project (Ubuntu, with the aws CLI, curl, jq, python3 and apt)."
  type        = string
  default     = "aws/codebuild/standard:7.0"
}
