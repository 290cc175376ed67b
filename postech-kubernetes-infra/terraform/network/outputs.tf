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
