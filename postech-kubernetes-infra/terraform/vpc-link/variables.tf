variable "name" {
  description = "Prefix of the load balancer, target group and security groups (postech-<stage>)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones of the load balancer's subnets (the VPC's zones, at least two)."
  type        = list(string)
}

variable "subnet_cidr" {
  description = "Range of the VPC reserved for the load balancer's subnets (a /24 gives one /26 per zone); the app's NetworkPolicy admits exactly this range."
  type        = string
}

variable "tls_server_name" {
  description = "Name on the listener's certificate: the host of API Gateway's integration URIs, sent as SNI and verified."
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
  description = "NodePort of the app Service (k8s/base/service.yaml)."
  type        = number
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
}
