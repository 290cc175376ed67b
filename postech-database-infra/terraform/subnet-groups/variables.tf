variable "name" {
  description = "Name of the DB subnet group."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (at least two availability zones) the instance and its Multi-AZ standby may live in."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS needs subnets in at least two availability zones."
  }
}
