output "vpc_id" {
  description = "The stage's VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets (nodes, RDS, the VPC link; the internal load balancer has its own)."
  value       = module.network.private_subnet_ids
}

output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "EKS API endpoint."
  value       = module.eks.cluster_endpoint
}

output "workload_security_group_id" {
  description = "Security group every app node carries: the only source RDS admits on 5432."
  value       = module.eks.workload_security_group_id
}

output "app_load_balancer_arn" {
  description = "Internal load balancer in front of the app (API Gateway's private integration target)."
  value       = module.vpc_link.load_balancer_arn
}

output "app_tls_server_name" {
  description = "Name on the internal load balancer's certificate (the host of API Gateway's integration URIs)."
  value       = module.vpc_link.tls_server_name
}

output "load_balancer_subnet_cidrs" {
  description = "The internal load balancer's subnets: the only sources the app's NetworkPolicy admits."
  value       = module.vpc_link.subnet_cidrs
}

output "vpc_link_security_group_id" {
  description = "Security group for API Gateway's VPC link."
  value       = module.vpc_link.vpc_link_security_group_id
}

output "edge_otlp_endpoint" {
  description = "OTLP/HTTP endpoint of the collector for the edge functions (https, resolvable inside the VPC only)."
  value       = module.edge_otlp.endpoint
}

output "edge_functions_security_group_id" {
  description = "Security group of the edge functions (the OTLP load balancer admits it only)."
  value       = module.edge_otlp.edge_functions_security_group_id
}

output "repository_urls" {
  description = "ECR repository URLs by image name."
  value       = module.ecr.repository_urls
}

output "app_role_arn" {
  description = "IRSA role of the app's ServiceAccount (\"none\" under the AWS Academy fallback)."
  value       = local.workload_role_arns.app
}

output "migrator_role_arn" {
  description = "IRSA role of the migration Job's ServiceAccount (\"none\" under the AWS Academy fallback)."
  value       = local.workload_role_arns.migrator
}

output "ssm_parameter_names" {
  description = "SSM parameters written for the other repositories and the app's deploy."
  value       = [for parameter in aws_ssm_parameter.platform : parameter.name]
}

output "deploy_executor_projects" {
  description = "CodeBuild project of each in-VPC deploy step (empty under the AWS Academy fallback)."
  value       = var.lab_role_arn == null ? module.deploy_executor[0].project_names : {}
}
