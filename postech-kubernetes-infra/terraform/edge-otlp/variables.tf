variable "name" {
  description = "Prefix of the load balancer, target group, security groups and zone tags (postech-<stage>)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer, the edge functions and the private hosted zone."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the load balancer (the ones the edge functions run in), one per availability zone."
  type        = list(string)
}

variable "server_name" {
  description = "Name of the OTLP endpoint: on the listener's certificate and in the private hosted zone (e.g. otlp.<stage>.<chain's domain>)."
  type        = string
}

variable "dns_zone_name" {
  description = "Public Route 53 hosted zone that holds the certificate's DNS validation record."
  type        = string
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
  description = "NodePort of the collector's edge Service (monitoring/tracing.tf, otel-collector-edge)."
  type        = number
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
}
