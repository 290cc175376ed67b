variable "name" {
  description = "Prefix of the endpoints' names and security group (postech-<stage>)."
  type        = string
}

variable "vpc_id" {
  description = "VPC the endpoints serve."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets, one per availability zone (the interface endpoints' network interfaces go in the first interface_endpoint_zone_count of them)."
  type        = list(string)
}

variable "private_route_table_ids" {
  description = "Route tables of the private subnets (the S3 gateway endpoint's routes)."
  type        = list(string)
}

variable "interface_endpoint_zone_count" {
  description = "In how many zones each interface endpoint has a network interface (each costs per hour and zone; docs/cost.md). Clients in other zones reach it across zones."
  type        = number

  validation {
    condition     = var.interface_endpoint_zone_count >= 1 && var.interface_endpoint_zone_count <= 3
    error_message = "interface_endpoint_zone_count must be 1, 2 or 3."
  }
}

variable "client_security_group_ids" {
  description = "Security groups admitted on the interface endpoints' 443, by a fixed name (nodes, workload pods, deploy executor)."
  type        = map(string)
}
