variable "name" {
  description = "Name of the VPC and prefix of its resources (postech-<stage>)."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster that shares the private subnets (subnet discovery tag)."
  type        = string
}

variable "cidr" {
  description = "IPv4 range of the VPC (a /16 gives /20 subnets)."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones spanned (2-3, named): one private and one public subnet in each."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway instead of one per availability zone."
  type        = bool
}

variable "log_retention_days" {
  description = "Retention of the flow logs."
  type        = number
}

variable "flow_log_role_arn" {
  description = "Existing role the flow logs publish with (AWS Academy); null creates one."
  type        = string
  default     = null
}
