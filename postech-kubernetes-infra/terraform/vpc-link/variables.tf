variable "name" {
  description = "Prefix of the load balancer, target group and security groups (postech-<stage>)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets of the internal load balancer (at least two availability zones)."
  type        = list(string)
}

variable "node_security_group_id" {
  description = "Security group of the app nodes; gets the NodePort rule from the load balancer."
  type        = string
}

variable "node_autoscaling_group_name" {
  description = "Auto Scaling group of the app node group, attached to the target group."
  type        = string
}

variable "node_port" {
  description = "NodePort of the app Service (k8s/base/service.yaml)."
  type        = number
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
}
