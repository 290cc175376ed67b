variable "aws_region" {
  description = "Region of the stages (the roles' permissions are limited to it) and of the state bucket."
  type        = string
  default     = "us-east-1"
}

variable "github_owner" {
  description = "GitHub organisation (or user) owning the five repositories; the roles trust tokens of its repositories only."
  type        = string
}

variable "stages" {
  description = "Deployment stages, each a GitHub Environment of the same name in every deployed repository."
  type        = list(string)
  default     = ["staging", "production"]

  validation {
    condition     = length(setsubtract(var.stages, ["staging", "production"])) == 0
    error_message = "Stages are staging and production (ARCHITECTURE.md)."
  }
}

variable "state_bucket_name" {
  description = "Name of the Terraform state bucket every stack of the account uses (also stores the reviewed plans under plans/). Null: postech-terraform-state-<account id>-<region>."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
