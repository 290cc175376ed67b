output "vpc_id" {
  description = "VPC id."
  value       = module.vpc.vpc_id
}

output "vpc_cidr_block" {
  description = "VPC IPv4 range."
  value       = module.vpc.vpc_cidr_block
}

output "private_subnet_ids" {
  description = "Private subnets, one per availability zone."
  value       = module.vpc.private_subnets
}

output "public_subnet_ids" {
  description = "Public subnets (NAT gateways only)."
  value       = module.vpc.public_subnets
}

output "private_subnet_cidrs" {
  description = "Ranges of the private subnets (nodes, pods, and the database's subnet group)."
  value       = module.vpc.private_subnets_cidr_blocks
}

output "private_route_table_ids" {
  description = "Route tables of the private subnets (the S3 gateway endpoint's routes)."
  value       = module.vpc.private_route_table_ids
}
